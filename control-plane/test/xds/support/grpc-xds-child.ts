// Child process for the grpc-js-xds conformance test: a gRPC client whose channel target is
// xds:///<listener>, resolved by @grpc/grpc-js-xds through the control plane named in
// GRPC_XDS_BOOTSTRAP_CONFIG. Each stdin line "expect <reply>" makes it call /test.Echo/Say until
// the reply is <reply> (the route, cluster and endpoints all came over xDS), then it prints one
// JSON line {ok, reply, calls}.
import * as grpc from '@grpc/grpc-js';
import * as xds from '@grpc/grpc-js-xds';
import { createInterface } from 'node:readline';

xds.register();
const client = new grpc.Client(process.argv[2], grpc.credentials.createInsecure());

function say(): Promise<string> {
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest('/test.Echo/Say', (b: Buffer) => b, (b: Buffer) => b, Buffer.from('hi'), { deadline: Date.now() + 2000 }, (err, reply) =>
      err ? reject(err) : resolve(reply!.toString()),
    );
  });
}

async function expect(want: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  let calls = 0;
  let last = '';
  while (Date.now() < deadline) {
    calls++;
    try {
      last = await say();
      if (last === want) {
        process.stdout.write(JSON.stringify({ ok: true, reply: last, calls }) + '\n');
        return;
      }
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  process.stdout.write(JSON.stringify({ ok: false, reply: last, calls }) + '\n');
}

const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  const [cmd, arg] = line.split(' ');
  if (cmd === 'expect') void expect(arg);
  if (cmd === 'exit') {
    client.close();
    process.exit(0);
  }
});
