/**
 * The bridge under test, in its own process: the real AppModule (API + worker, or API only for
 * the scale-out run), plus an IPC interface through which the orchestrator asks it to raise
 * events through TriggerService, reads back when (and in which order) each event's transaction
 * committed, and stores subscriptions the way the admin API does (when that API is not there).
 */
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { getDataSourceToken } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppModule } from '../src/app/app.module';
import { configureHttpApp } from '../src/app/app.setup';
import { loadConfig } from '../src/config/load-config';
import type { EventType } from '../src/events/event-catalog';
import { EventInput } from '../src/events/event-envelope';
import { generateSecret } from '../src/security/secret';
import { SecretCipher } from '../src/subscriptions/secret-cipher';
import type { Ordering } from '../src/subscriptions/subscription.entity';
import { SubscriptionRepository } from '../src/subscriptions/subscription.repository';
import { TriggerService } from '../src/triggers/trigger.service';

/** What the orchestrator (bench/run.ts) sends over IPC. */
export type BridgeCommand =
  | { type: 'produce'; count: number; batch: number; concurrency: number }
  | { type: 'produceEach'; count: number; concurrency: number; eventType: EventType; entities?: number }
  | { type: 'produceAtRate'; rate: number; durationMs: number }
  | { type: 'commits' }
  | { type: 'audit' }
  | { type: 'subscribe'; name: string; url: string; eventTypes: string[]; ordering: Ordering }
  | { type: 'unsubscribe'; id: string };

/** A committed event: its id, when its transaction's commit returned (epoch ms), its entity id. */
export type Commit = [id: string, at: number, entity: string];

const now = () => performance.timeOrigin + performance.now();

const leadId = (n: number, variant = 8) => `00000000-0000-4000-${variant}000-${String(n).padStart(12, '0')}`;

/** A lead event (`lead_scraped` unless told), about lead `entity` when given (else a lead of its own). */
function leadEvent(n: number, type: EventType = 'lead_scraped', entity?: string): EventInput {
  const id = entity ?? leadId(n);
  return {
    type,
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
  let commits: Commit[] = [];
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
        for (const e of envelopes) commits.push([e.id, at, e.entity.id]);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, lane));
    return now() - started;
  }

  /**
   * `count` events, one per transaction (a business transaction raising one event), `concurrency`
   * transactions in flight. With `entities`, each event is about one of that many leads, drawn at
   * random, so that transactions about the same lead overlap; commits are recorded in the order
   * their transactions returned, which per lead is their commit order (the second of two
   * overlapping transactions waits on the first's lock on the lead's chain, then needs another
   * round trip to commit).
   */
  async function produceEach(count: number, concurrency: number, type: EventType, entities?: number): Promise<number> {
    const started = now();
    let remaining = count;
    const lane = async () => {
      while (remaining > 0) {
        remaining--;
        const n = counter++;
        const entity = entities ? leadId(Math.floor(Math.random() * entities), 9) : undefined;
        const input = leadEvent(n, type, entity);
        const envelope = await dataSource.transaction((manager) => triggers.emit(type, input, { manager }));
        if (envelope) commits.push([envelope.id, now(), envelope.entity.id]);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, lane));
    return now() - started;
  }

  /** Stores a subscription as the admin API does after validating it (repository + cipher); returns its id and secret. */
  async function subscribe(msg: Extract<BridgeCommand, { type: 'subscribe' }>) {
    const secret = generateSecret(config.webhook.scheme);
    const row = await app.get(SubscriptionRepository).create({
      name: msg.name,
      url: msg.url,
      eventTypes: msg.eventTypes,
      enabled: true,
      ordering: msg.ordering,
      headers: {},
      description: null,
      secretEnc: app.get(SecretCipher).encrypt(secret),
    });
    return { id: row.id, secret };
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
            if (e) commits.push([e.id, now(), e.entity.id]);
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
      if (msg.type === 'produceEach')
        process.send?.({ type: 'produced', ms: await produceEach(msg.count, msg.concurrency, msg.eventType, msg.entities) });
      if (msg.type === 'commits') {
        process.send?.({ type: 'commits', commits });
        commits = [];
      }
      if (msg.type === 'subscribe') process.send?.({ type: 'subscribed', ...(await subscribe(msg)) });
      if (msg.type === 'unsubscribe')
        process.send?.({ type: 'unsubscribed', deleted: await app.get(SubscriptionRepository).softDelete(msg.id) });
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
