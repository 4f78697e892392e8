// Prints N distinct free TCP ports on 127.0.0.1, space-separated (default 1).
import { createServer } from 'node:net';

const count = Number(process.argv[2] ?? 1);
const servers = [];
for (let i = 0; i < count; i++) {
  const server = createServer();
  await new Promise((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  servers.push(server);
}
const ports = servers.map((s) => s.address().port);
await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
console.log(ports.join(' '));
