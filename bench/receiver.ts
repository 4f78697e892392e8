/**
 * Stands in for n8n during the benchmark: a bare node:http server in its own process that
 * answers 200 at once and records, per delivery id, when it arrived (epoch ms, sub-ms
 * precision) and how often. The orchestrator talks to it over IPC.
 */
import { createServer } from 'node:http';
import { AddressInfo } from 'node:net';

const now = () => performance.timeOrigin + performance.now();
let arrivals = new Map<string, number>();
let total = 0;

const server = createServer((req, res) => {
  const id = req.headers['x-webhook-id'];
  req.resume();
  req.on('end', () => {
    total++;
    if (typeof id === 'string' && !arrivals.has(id)) arrivals.set(id, now());
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': '11' });
    res.end('{"ok":true}');
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => process.send?.({ type: 'ready', port: (server.address() as AddressInfo).port }));

process.on('message', (msg: { type: string }) => {
  if (msg.type === 'count') process.send?.({ type: 'count', distinct: arrivals.size, total });
  if (msg.type === 'arrivals') process.send?.({ type: 'arrivals', distinct: arrivals.size, total, arrivals: [...arrivals] });
  if (msg.type === 'reset') {
    arrivals = new Map();
    total = 0;
    process.send?.({ type: 'reset' });
  }
});
process.on('disconnect', () => process.exit(0));
