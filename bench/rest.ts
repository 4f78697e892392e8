/**
 * The `rest` section: leads created one per request through `POST /api/v1/leads` (bearer
 * ADMIN_TOKEN, a unique url each) by concurrent clients, against the all-in-one bridge started as
 * production starts it (`src/main.ts`, APP_ROLE=all), until every lead's `lead_scraped` reached
 * the receiver. Every lead created must arrive exactly as the lead the API answered with.
 */
import { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Pool } from 'undici';
import { ADMIN_DB, ADMIN_TOKEN, bridgeEnv, fail, log, options, rss, SECRET } from './context';
import { configureRoutes, matchIds, received, resetReceiver, routeReport } from './deliveries';
import { recordCpu } from './delivery-run';
import { backendCpuMeter } from './pg-probes';
import { cpuMeter, forkTs, freePort, peakRssMb, round, stop, until, untilReached, withDatabase } from './support';

/** Starts `src/main.ts` and waits for `/health/ready`; rejects when it exits first. */
async function startBridge(env: Record<string, string>, port: number): Promise<ChildProcess> {
  const child = forkTs('src/main.ts', env);
  let exited: number | string | null | undefined;
  child.once('exit', (code, signal) => (exited = signal ?? code));
  await until(
    async () => {
      if (exited !== undefined) throw new Error(`the bridge exited (${exited}) before it was ready`);
      try {
        return (await fetch(`http://127.0.0.1:${port}/health/ready`)).ok;
      } catch {
        return false;
      }
    },
    60_000,
    200,
  );
  return child;
}

/** Creates `count` leads from `clients` concurrent clients; returns the ids the API answered with. */
async function createLeads(
  api: Pool,
  count: number,
  clients: number,
  tag: string,
): Promise<{ ids: string[]; refused: Map<number, number> }> {
  const ids: string[] = [];
  const refused = new Map<number, number>();
  let next = 0;
  const client = async () => {
    while (next < count) {
      const n = next++;
      const res = await api.request({
        method: 'POST',
        path: '/api/v1/leads',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          title: `Plumber in Lyon #${n} — 20 years of experience, free quotes`,
          url: `https://ads.example/${tag}/lyon/plumbing/${n}`,
          email: `contact${n}@plomberie.example`,
          phone: '+33 4 00 00 00 00',
          city: 'Lyon',
          category: 'plumbing',
          source: 'classifieds',
          score: n % 100,
          metadata: { scraped_page: Math.floor(n / 20), keywords: ['plombier', 'dépannage', 'chauffe-eau'] },
        }),
      });
      const body = (await res.body.json()) as { id?: string };
      if (res.statusCode === 201 && body.id) ids.push(body.id);
      else refused.set(res.statusCode, (refused.get(res.statusCode) ?? 0) + 1);
    }
  };
  await Promise.all(Array.from({ length: clients }, client));
  return { ids, refused };
}

export async function rest(receiver: ChildProcess, receiverUrl: string) {
  return withDatabase(ADMIN_DB, async (databaseUrl) => {
    const port = await freePort();
    const bridge = await startBridge(bridgeEnv(databaseUrl, receiverUrl, `bench-${randomBytes(4).toString('hex')}`, port, 'all'), port);
    const api = new Pool(`http://127.0.0.1:${port}`, { connections: options.restClients });
    let stopping = false;
    bridge.once('exit', (code, signal) => {
      if (!stopping) fail('rest', `the bridge process exited during the section (${signal ?? code})`);
    });
    try {
      await configureRoutes(receiver, { webhook: { secret: SECRET, entities: true } });
      // Warm-up: 200 leads through the whole path.
      await resetReceiver(receiver);
      const warm = await createLeads(api, 200, options.restClients, 'warm-up');
      if ((await untilReached(() => received(receiver, 'webhook'), 200)) < 200 || warm.ids.length < 200)
        fail('rest', `warm-up: ${warm.ids.length} of 200 leads created, not all of their events received`);
      await resetReceiver(receiver);

      const meter = cpuMeter([bridge.pid]);
      const postgresMeter = await backendCpuMeter(ADMIN_DB, databaseUrl);
      const started = performance.now();
      const { ids, refused } = await createLeads(api, options.restLeads, options.restClients, 'bench');
      const createdMs = performance.now() - started;
      await untilReached(() => received(receiver, 'webhook'), ids.length);
      const deliveredMs = performance.now() - started;
      const cpuMs = meter();
      const postgresCpuMs = await postgresMeter();
      for (const [status, n] of refused) fail('rest', `${n} creates answered ${status}`);

      // Each created lead's lead_scraped, once: the entity ids received are the lead ids the API answered with.
      // (The event ids are the bridge's own; matchIds counts the signatures and the duplicates.)
      const report = await routeReport(receiver, 'webhook');
      const check = matchIds(
        'rest',
        report.arrivals.map(([id]) => id),
        report,
        'webhook',
      );
      const perLead = new Map(report.entities);
      const missing = ids.filter((id) => perLead.get(id)?.length !== 1);
      const created = new Set(ids);
      const unexpected = [...perLead.keys()].filter((id) => !created.has(id));
      if (missing.length) fail('rest', `${missing.length} created leads without exactly one lead_scraped received (e.g. ${missing[0]})`);
      if (unexpected.length) fail('rest', `${unexpected.length} lead_scraped received for leads not created here`);
      rss.rest_bridge = peakRssMb(bridge.pid);
      const result = {
        leads: options.restLeads,
        clients: options.restClients,
        created: ids.length,
        creates_per_s: Math.round(ids.length / (createdMs / 1000)),
        end_to_end_s: round(deliveredMs / 1000, 2),
        events_per_s: Math.round(ids.length / (deliveredMs / 1000)),
        leads_missing: missing.length,
        cpu_ms_per_event: recordCpu('rest', cpuMs, ids.length),
        // The database's side of the same events: what fewer statements per create save.
        postgres_cpu_ms_per_event: round(postgresCpuMs / ids.length, 3),
        routes: [{ ...check, missing: missing.length, unexpected: unexpected.length }],
      };
      log(`rest: ${JSON.stringify(result)}`);
      return result;
    } finally {
      stopping = true;
      await api.close();
      await stop(bridge);
    }
  });
}
