/**
 * Stands in for n8n (and for every other subscriber) during the benchmark: a bare node:http
 * server in its own process that answers 200 at once. Requests are grouped by route, the first
 * segment of their path (`/webhook/lead-scraped` → `webhook`, `/fanout-a/lead-scraped` →
 * `fanout-a`). Per route it records, per delivery id (`X-Webhook-Id`), when it first arrived
 * (epoch ms, sub-ms precision) and how many requests came; when the route has a secret it checks
 * each request's signature (HMAC-SHA256 of `${X-Webhook-Timestamp}.${body}`, any of the
 * space-separated `sha256=` values of `X-Webhook-Signature-256`) and counts failures; when it
 * records entities it keeps, per entity of the envelope, the order of first arrivals. A failed
 * check still gets a 200: the orchestrator fails the run on the count, the bridge is not made to retry.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, IncomingMessage } from 'node:http';
import { AddressInfo } from 'node:net';

/** How a route is checked. */
export interface RouteConfig {
  secret?: string;
  /** Parse each body and keep, per `entity.id`, the order in which deliveries first arrived. */
  entities?: boolean;
}

/** What the orchestrator sends over IPC. */
export type ReceiverCommand =
  | { type: 'configure'; routes: Record<string, RouteConfig> }
  | { type: 'reset' }
  | { type: 'count'; route: string }
  | { type: 'report'; route: string };

/** The `report` reply. */
export interface RouteReport {
  type: 'report';
  /** Delivery id → first arrival (epoch ms). */
  arrivals: [string, number][];
  total: number;
  badSignatures: number;
  /** Entity id → delivery ids in order of first arrival (routes that record entities). */
  entities: [string, string[]][];
}

class Route {
  arrivals = new Map<string, number>();
  total = 0;
  badSignatures = 0;
  entities = new Map<string, string[]>();
  constructor(readonly config: RouteConfig = {}) {}
}

const now = () => performance.timeOrigin + performance.now();
const configs = new Map<string, RouteConfig>();
let routes = new Map<string, Route>();

const routeOf = (name: string) => {
  let route = routes.get(name);
  if (!route) routes.set(name, (route = new Route(configs.get(name))));
  return route;
};

function signed(req: IncomingMessage, body: Buffer, secret: string): boolean {
  const timestamp = req.headers['x-webhook-timestamp'];
  const header = req.headers['x-webhook-signature-256'];
  if (typeof timestamp !== 'string' || typeof header !== 'string') return false;
  const expected = createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest();
  return header.split(' ').some((value) => {
    const hex = value.startsWith('sha256=') ? value.slice(7) : '';
    const given = Buffer.from(hex, 'hex');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}

/** The envelope's `entity.id`, or a marker the orchestrator reports as unknown. */
function entityOf(body: Buffer): string {
  try {
    return String((JSON.parse(body.toString('utf8')) as { entity?: { id?: unknown } }).entity?.id);
  } catch {
    return '(unparsable body)';
  }
}

function record(req: IncomingMessage, body: Buffer): void {
  const at = now();
  const route = routeOf((req.url ?? '/').split('/')[1] ?? '');
  const id = req.headers['x-webhook-id'];
  route.total++;
  if (route.config.secret !== undefined && !signed(req, body, route.config.secret)) route.badSignatures++;
  if (typeof id !== 'string' || route.arrivals.has(id)) return;
  route.arrivals.set(id, at);
  if (route.config.entities) {
    const entity = entityOf(body);
    const list = route.entities.get(entity);
    if (list) list.push(id);
    else route.entities.set(entity, [id]);
  }
}

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    record(req, Buffer.concat(chunks));
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': '11' });
    res.end('{"ok":true}');
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => process.send?.({ type: 'ready', port: (server.address() as AddressInfo).port }));

process.on('message', (msg: ReceiverCommand) => {
  if (msg.type === 'configure') {
    for (const [name, config] of Object.entries(msg.routes)) {
      configs.set(name, config);
      routes.set(name, new Route(config));
    }
    process.send?.({ type: 'configured' });
  }
  if (msg.type === 'reset') {
    routes = new Map();
    process.send?.({ type: 'reset' });
  }
  if (msg.type === 'count') {
    const route = routeOf(msg.route);
    process.send?.({ type: 'count', distinct: route.arrivals.size, total: route.total });
  }
  if (msg.type === 'report') {
    const route = routeOf(msg.route);
    const report: RouteReport = {
      type: 'report',
      arrivals: [...route.arrivals],
      total: route.total,
      badSignatures: route.badSignatures,
      entities: [...route.entities],
    };
    process.send?.(report);
  }
});
process.on('disconnect', () => process.exit(0));
