/**
 * The bridge under test, in its own process: the real AppModule (API + worker, or API only for
 * the scale-out run), plus an IPC interface through which the orchestrator asks it to raise
 * events through TriggerService and reads back when each event's transaction committed.
 */
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { getDataSourceToken } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppModule } from '../src/app/app.module';
import { configureHttpApp } from '../src/app/app.setup';
import { loadConfig } from '../src/config/load-config';
import { EventInput } from '../src/events/event-envelope';
import { TriggerService } from '../src/triggers/trigger.service';

/** What the orchestrator (bench/run.ts) sends over IPC. */
type BridgeCommand =
  | { type: 'produce'; count: number; batch: number; concurrency: number }
  | { type: 'produceAtRate'; rate: number; durationMs: number }
  | { type: 'commits' }
  | { type: 'audit' };

const now = () => performance.timeOrigin + performance.now();

function leadEvent(n: number): EventInput {
  const id = `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
  return {
    type: 'lead_scraped',
    entity: { type: 'lead', id },
    data: {
      lead: {
        id,
        title: `Plumber in Lyon #${n} — 20 years of experience, free quotes`,
        url: `https://ads.example/lyon/plumbing/${n}`,
        email: `contact${n}@plomberie.example`,
        phone: '+33 4 00 00 00 00',
        city: 'Lyon',
        category: 'plumbing',
        source: 'classifieds',
        score: n % 100,
        status: 'new',
        metadata: { scraped_page: Math.floor(n / 20), keywords: ['plombier', 'dépannage', 'chauffe-eau'] },
      },
    },
  };
}

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const app = await NestFactory.create(AppModule.forRoot(config), { rawBody: true, bodyParser: false, bufferLogs: true });
  configureHttpApp(app, config);
  await app.listen(config.port, '127.0.0.1');
  const triggers = app.get(TriggerService);
  const dataSource = app.get<DataSource>(getDataSourceToken());
  const commits = new Map<string, number>();
  let counter = 0;

  /** `count` events in transactions of `batch`, `concurrency` transactions in flight. */
  async function produce(count: number, batch: number, concurrency: number): Promise<number> {
    const started = now();
    let remaining = count;
    const lane = async () => {
      while (remaining > 0) {
        const size = Math.min(batch, remaining);
        remaining -= size;
        const inputs = Array.from({ length: size }, () => leadEvent(counter++));
        const envelopes = await dataSource.transaction((manager) => triggers.emitMany(inputs, { manager }));
        const at = now();
        for (const e of envelopes) commits.set(e.id, at);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, lane));
    return now() - started;
  }

  /** One event per transaction at a fixed rate for `durationMs`. */
  async function produceAtRate(rate: number, durationMs: number): Promise<number> {
    const started = now();
    const pending: Promise<void>[] = [];
    let sent = 0;
    while (now() - started < durationMs) {
      const due = Math.floor(((now() - started) / 1000) * rate);
      for (; sent < due; sent++) {
        pending.push(
          triggers.emit('lead_scraped', leadEvent(counter++)).then((e) => {
            if (e) commits.set(e.id, now());
          }),
        );
      }
      await new Promise((r) => setTimeout(r, 1));
    }
    await Promise.all(pending);
    return sent;
  }

  const handle = async (msg: BridgeCommand) => {
    try {
      if (msg.type === 'produce') process.send?.({ type: 'produced', ms: await produce(msg.count, msg.batch, msg.concurrency) });
      if (msg.type === 'produceAtRate') process.send?.({ type: 'producedAtRate', sent: await produceAtRate(msg.rate, msg.durationMs) });
      if (msg.type === 'commits') {
        process.send?.({ type: 'commits', commits: [...commits] });
        commits.clear();
      }
      if (msg.type === 'audit') {
        const [row] = await dataSource.query(
          `SELECT (SELECT count(*) FROM webhook_queue WHERE status = 'sent')::int AS sent,
                  (SELECT count(*) FROM webhook_queue)::int AS events,
                  (SELECT count(*) FROM webhook_logs WHERE direction = 'outgoing')::int AS logs,
                  (SELECT count(*) FROM webhook_retry_history)::int AS history`,
        );
        process.send?.({ type: 'audit', ...row });
      }
    } catch (error) {
      process.send?.({ type: 'error', message: error instanceof Error ? error.stack : String(error) });
    }
  };
  process.on('message', (msg: BridgeCommand) => void handle(msg));
  process.on('disconnect', () => void app.close().then(() => process.exit(0)));
  process.send?.({ type: 'ready', pid: process.pid });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
