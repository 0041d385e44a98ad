// Conformance with a third-party xDS client: @grpc/grpc-js-xds resolves an xds:/// target through
// this server over SotW ADS (LDS → RDS → CDS → EDS, named subscriptions, ACKs with version and
// nonce) and an RPC reaches the endpoint the cache names; then an EDS change moves it to another
// endpoint. It runs in a child process because grpc-js-xds reads its bootstrap from the
// environment once.
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { Snapshot, TYPE_URL, workloadKey } from '../../src/xds/index.js';
import { envoyResources, startTestServer, type TestServer } from './support/fixtures.js';

const CHILD = fileURLToPath(new URL('./support/grpc-xds-child.js', import.meta.url));
const raw = (b: Buffer) => b;

async function echoServer(reply: string): Promise<{ server: grpc.Server; port: number }> {
  const server = new grpc.Server();
  server.addService(
    { Say: { path: '/test.Echo/Say', requestStream: false, responseStream: false, requestSerialize: raw, requestDeserialize: raw, responseSerialize: raw, responseDeserialize: raw } },
    { Say: (_call: unknown, cb: grpc.sendUnaryData<Buffer>) => cb(null, Buffer.from(reply)) },
  );
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  return { server, port };
}

describe('@grpc/grpc-js-xds as a SotW ADS client (LDS/RDS/CDS/EDS)', { timeout: 60_000 }, () => {
  let t: TestServer;
  let a: { server: grpc.Server; port: number };
  let b: { server: grpc.Server; port: number };
  let child: ChildProcessWithoutNullStreams;
  let replies: AsyncIterator<string>;
  const fixture = { listener: 'echo.test', route: 'echo-route', cluster: 'echo-cluster', edsName: 'echo-eds' };
  const key = workloadKey('test', 'echo-client');

  before(async () => {
    t = await startTestServer();
    a = await echoServer('server-a');
    b = await echoServer('server-b');
    t.cache.setSnapshot(key, Snapshot.from(envoyResources({ ...fixture, endpoints: [{ host: '127.0.0.1', port: a.port }] })));
    const bootstrap = {
      xds_servers: [{ server_uri: t.address, channel_creds: [{ type: 'insecure' }], server_features: ['xds_v3'] }],
      node: { id: 'sidecar~10.0.0.9~echo-client-0.test~test.svc.cluster.local', cluster: 'echo-client', metadata: { NAMESPACE: 'test', WORKLOAD_NAME: 'echo-client' }, locality: {} },
    };
    child = spawn(process.execPath, [CHILD, `xds:///${fixture.listener}`], { env: { ...process.env, GRPC_XDS_BOOTSTRAP_CONFIG: JSON.stringify(bootstrap) } });
    child.stderr.on('data', (d: Buffer) => process.stderr.write(d));
    replies = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  });

  after(async () => {
    child.stdin.write('exit\n');
    await new Promise((r) => child.once('exit', r));
    a.server.forceShutdown();
    b.server.forceShutdown();
    await t.close();
  });

  async function expectReply(want: string): Promise<{ ok: boolean; reply: string; calls: number }> {
    child.stdin.write(`expect ${want}\n`);
    const line = await replies.next();
    return JSON.parse(line.value as string);
  }

  it('resolves xds:///echo.test through the server and the RPC reaches the endpoint from EDS', async () => {
    const r = await expectReply('server-a');
    assert.equal(r.ok, true, `last reply: ${r.reply}`);
    const stream = t.server.streams().find((s) => s.key === key);
    assert.ok(stream, 'the grpc-js-xds stream is mapped to workload test/echo-client');
    assert.equal(stream.protocol, 'sotw');
    const types = new Map(stream.types.map((x) => [x.typeUrl, x]));
    for (const [typeUrl, name] of [
      [TYPE_URL.listener, fixture.listener],
      [TYPE_URL.routeConfiguration, fixture.route],
      [TYPE_URL.cluster, fixture.cluster],
      [TYPE_URL.clusterLoadAssignment, fixture.edsName],
    ]) {
      const ty = types.get(typeUrl);
      assert.ok(ty, `${typeUrl} was requested`);
      assert.deepEqual(ty.names, [name], `${typeUrl}: a named subscription`);
      assert.equal(ty.wildcard, false);
      assert.equal(ty.ackedVersion, ty.sentVersion, `${typeUrl}: the client ACKed the version sent`);
      assert.equal(ty.awaitingAck, false);
    }
    assert.equal(t.server.nacks().length, 0, JSON.stringify(t.server.nacks()));
    assert.ok(t.server.metrics().acks >= 4);
  });

  it('follows an EDS update pushed by the cache to another endpoint, and ACKs it', async () => {
    const before = t.server.metrics();
    t.cache.setSnapshot(key, Snapshot.from(envoyResources({ ...fixture, endpoints: [{ host: '127.0.0.1', port: b.port }] })));
    const r = await expectReply('server-b');
    assert.equal(r.ok, true, `last reply: ${r.reply}`);
    const after = t.server.metrics();
    assert.equal(after.pushes - before.pushes, 1, 'one push: only the ClusterLoadAssignment changed');
    assert.equal(after.resourcesSent - before.resourcesSent, 1);
    const eds = t.server.streams().find((s) => s.key === key)!.types.find((x) => x.typeUrl === TYPE_URL.clusterLoadAssignment)!;
    assert.equal(eds.ackedVersion, eds.sentVersion);
    assert.equal(t.server.nacks().length, 0);
  });
});
