import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { start } from './support.js';

const raw = (b: Buffer) => b;
const method = (name: string, streaming: boolean) => ({
  path: `/test.Echo/${name}`,
  requestStream: streaming,
  responseStream: streaming,
  requestSerialize: raw,
  requestDeserialize: raw,
  responseSerialize: raw,
  responseDeserialize: raw,
  originalName: name,
});

async function grpcServer() {
  const server = new grpc.Server();
  const seenMetadata: string[] = [];
  server.addService(
    { Echo: method('Echo', false), Deny: method('Deny', false), Chat: method('Chat', true) } as unknown as grpc.ServiceDefinition,
    {
      Echo: (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => {
        seenMetadata.push(String(call.metadata.get('x-md')[0]));
        cb(null, Buffer.concat([Buffer.from('echo:'), call.request]));
      },
      Deny: (_call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) =>
        cb({ code: grpc.status.PERMISSION_DENIED, details: 'nope' }),
      Chat: (call: grpc.ServerDuplexStream<Buffer, Buffer>) => {
        const md = new grpc.Metadata();
        md.set('x-server', 'init');
        call.sendMetadata(md);
        call.on('data', (m: Buffer) => call.write(Buffer.concat([Buffer.from('re:'), m])));
        call.on('end', () => {
          const trailers = new grpc.Metadata();
          trailers.set('x-trailer', 'bye');
          call.end(trailers);
        });
      },
    } as unknown as grpc.UntypedServiceImplementation,
  );
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  return { url: `http://127.0.0.1:${port}`, seenMetadata, close: () => server.forceShutdown() };
}

describe('gRPC calls and streams (grpc-js, raw bytes)', () => {
  it('a unary call answers with proxy_on_grpc_receive on success', async () => {
    const srv = await grpcServer();
    const s = await start('grpc-call:backend,test.Echo,Echo,hello', { clusters: { backend: { url: srv.url } } });
    try {
      assert.match(s.logs.matching('grpc_call ').at(-1)!, /status=0 token=5$/, 'call tokens are 5, 9, 13...');
      const line = await s.logs.waitFor('grpc_receive');
      assert.equal(line, 'grpc_receive token=5 size=10 msg=echo:hello');
      assert.ok(srv.seenMetadata.includes('v'), 'initial metadata reaches the server');
      assert.equal(s.logs.matching('grpc_close').length, 0, 'no close callback for a successful unary call');
    } finally {
      await s.close();
      srv.close();
    }
  });

  it('a failing unary call answers with proxy_on_grpc_close and the status message', async () => {
    const srv = await grpcServer();
    const s = await start('grpc-call:backend,test.Echo,Deny,x', { clusters: { backend: { url: srv.url } } });
    try {
      const line = await s.logs.waitFor('grpc_close');
      // The call is already forgotten when the callback runs: closing it again is NotFound.
      assert.equal(line, 'grpc_close token=5 code=7 status=7:nope close=1');
    } finally {
      await s.close();
      srv.close();
    }
  });

  it('a stream reports initial metadata, each message, trailing metadata and close', async () => {
    const srv = await grpcServer();
    const s = await start('grpc-stream:backend,test.Echo,Chat', { clusters: { backend: { url: srv.url } } });
    try {
      assert.match(s.logs.matching('grpc_stream ').at(-1)!, /status=0 token=6$/, 'stream tokens are 6, 10, 14...');
      assert.equal(s.logs.get('gs.send1'), '0');
      assert.equal(s.logs.get('gs.send2'), '0');
      await s.logs.waitFor('grpc_close');
      const events = s.logs.messages().filter((m) => m.startsWith('grpc_') && !m.startsWith('grpc_stream'));
      const [initial, ...rest] = events;
      assert.match(initial, /^grpc_initial token=6 n=\d+ :status=200\|content-type=application\/grpc\+proto\|/);
      assert.ok(initial.includes('|x-server=init'), initial);
      assert.deepEqual(rest, [
        'grpc_receive token=6 size=5 msg=re:m1',
        'grpc_receive token=6 size=5 msg=re:m2',
        'grpc_trailing token=6 n=3 grpc-status=0|grpc-message=OK|x-trailer=bye',
        'grpc_close token=6 code=0 status=0:OK close=0',
      ]);
    } finally {
      await s.close();
      srv.close();
    }
  });
});
