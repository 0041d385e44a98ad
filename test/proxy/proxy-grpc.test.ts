// gRPC end to end through `meshward proxy` (h2c both sides): a real @grpc/grpc-js client and
// server, with a policy that allows one method of the service and not the other.
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { startHarness, type Harness } from '../support/proxy-harness.js';

const PROTO = fileURLToPath(new URL('../../../test/fixtures/proto/orders.proto', import.meta.url));

interface Order {
  id: string;
  item: string;
}
type Unary = (req: { id: number }, cb: (err: grpc.ServiceError | null, res?: Order) => void) => void;
interface OrdersClient extends grpc.Client {
  GetOrder: Unary;
  DeleteOrder: Unary;
}

const POLICY = `apiVersion: meshward.io/v1alpha1
kind: SecurityPolicy
metadata: {name: orders, namespace: shop}
spec:
  selector: {workloads: [orders]}
  mode: protect
  ingress:
    - name: grpc-reads
      grpc: [{service: shop.v1.Orders, methods: [GetOrder]}]
`;

describe('meshward proxy, gRPC', { timeout: 30_000 }, () => {
  let server: grpc.Server;
  let h: Harness;
  let client: OrdersClient;
  const calls: string[] = [];

  before(async () => {
    const def = protoLoader.loadSync(PROTO, { longs: String });
    const pkg = grpc.loadPackageDefinition(def) as unknown as {
      shop: { v1: { Orders: grpc.ServiceClientConstructor } };
    };
    server = new grpc.Server();
    server.addService(pkg.shop.v1.Orders.service, {
      GetOrder: (call: grpc.ServerUnaryCall<{ id: string }, Order>, cb: grpc.sendUnaryData<Order>) => {
        calls.push(`get ${call.request.id}`);
        cb(null, { id: call.request.id, item: 'beans' });
      },
      DeleteOrder: (call: grpc.ServerUnaryCall<{ id: string }, Order>, cb: grpc.sendUnaryData<Order>) => {
        calls.push(`delete ${call.request.id}`);
        cb(null, { id: call.request.id, item: '' });
      },
    });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
    );
    h = await startHarness({ policy: POLICY, upstream: `http://127.0.0.1:${port}` });
    client = new pkg.shop.v1.Orders(`127.0.0.1:${h.port}`, grpc.credentials.createInsecure()) as unknown as OrdersClient;
  });
  after(async () => {
    client.close();
    await h.close();
    server.forceShutdown();
  });

  it('lets an allowed method through, with the reply and trailers intact', async () => {
    const res = await new Promise<Order>((resolve, reject) => client.GetOrder({ id: 42 }, (err, r) => (err ? reject(err) : resolve(r as Order))));
    assert.equal(res.id, '42');
    assert.equal(res.item, 'beans');
    assert.deepEqual(calls, ['get 42']);
  });

  it('denies another method with PERMISSION_DENIED, before the server sees it', async () => {
    const err = await new Promise<grpc.ServiceError>((resolve, reject) =>
      client.DeleteOrder({ id: 42 }, (e) => (e ? resolve(e) : reject(new Error('DeleteOrder succeeded')))),
    );
    assert.equal(err.code, grpc.status.PERMISSION_DENIED);
    assert.deepEqual(calls, ['get 42']);
    const e = await h.events.waitFor((ev) => ev.kind === 'http.policy' && ev.protocol === 'grpc');
    assert.deepEqual(e.grpc, { service: 'shop.v1.Orders', method: 'DeleteOrder' });
    assert.equal(e.action, 'block');
  });
});
