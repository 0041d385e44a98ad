// The application the proxy benchmark forwards to, in its own process so it does not share the
// proxy's event loop: a small JSON answer to every request. Prints its port when ready.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

const body = JSON.stringify({ id: 12345, item: 'espresso beans', quantity: 2, status: 'shipped' });
const server = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${(server.address() as AddressInfo).port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
