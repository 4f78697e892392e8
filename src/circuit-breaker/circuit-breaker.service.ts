import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { hashedKey } from '../redis/hashed-key';
import { REDIS, RedisClient } from '../redis/redis.module';
import { ADMIT_SCRIPT, FAILURE_SCRIPT, SUCCESS_SCRIPT } from './circuit-breaker.scripts';

export type CircuitState = 'closed' | 'open' | 'half_open';

export interface CircuitSnapshot {
  target: string;
  state: CircuitState;
  consecutive_failures: number;
  opened_at: string | null;
  /** When the next probe may go out (open) or when the probe's slot expires (half_open). */
  retry_at: string | null;
}

export type Admission = { allowed: true; probe: boolean } | { allowed: false; waitMs: number };

/** What a failure did to the circuit: `opened` / `reopened` mean deliveries to the target now wait. */
export type FailureTransition = 'opened' | 'reopened' | 'none';

type CircuitRedis = RedisClient & {
  circuitAdmit(key: string, leaseMs: number): Promise<[number, number, number, number]>;
  circuitFailure(
    key: string,
    index: string,
    threshold: number,
    cooldownMs: number,
    target: string,
    ttlMs: number,
  ): Promise<[FailureTransition, number]>;
  circuitSuccess(key: string): Promise<string>;
};

/**
 * How long a closed circuit is trusted without asking Redis (at most, and at most a quarter of
 * the cool-down): a circuit opened by another process is noticed here within this time. Keeps
 * the breaker off the per-delivery hot path.
 */
const MAX_CLOSED_CACHE_MS = 250;

/** A circuit nobody failed against for this long is forgotten. */
const CIRCUIT_TTL_MS = 7 * 24 * 3600_000;

/**
 * One circuit per target URL, shared by every worker process through Redis (keys under
 * `${QUEUE_PREFIX}:circuit:`). After CIRCUIT_FAILURE_THRESHOLD consecutive failures the circuit
 * opens: deliveries to that URL wait for CIRCUIT_COOLDOWN_MS without spending attempts; then one
 * probe (half-open) goes out and its answer closes or re-opens the circuit. A refusal is cached
 * in-process until its wait ends, and a closed circuit is trusted for up to 250 ms, so a backlog does
 * not ask Redis once per job. Redis errors fail open: the breaker never blocks deliveries on its
 * own outage.
 */
@Injectable()
export class CircuitBreakerService {
  private readonly logger = new Logger(CircuitBreakerService.name);
  private readonly redis: CircuitRedis;
  private readonly prefix: string;
  private readonly index: string;
  private readonly threshold: number;
  private readonly cooldownMs: number;
  private readonly probeLeaseMs: number;
  private readonly halfOpenRecheckMs: number;
  private readonly closedCacheMs: number;
  private readonly waits = new Map<string, number>();
  /** Targets known closed until this time: admitted without asking Redis. */
  private readonly closedUntil = new Map<string, number>();
  /** Targets whose next success must reach Redis (this process saw a failure or sent a probe). */
  private readonly dirty = new Set<string>();
  /** When this process last told Redis about a success, per target. */
  private readonly lastSuccessSync = new Map<string, number>();

  constructor(@Inject(REDIS) redis: RedisClient, @Inject(APP_CONFIG) config: AppConfig) {
    this.redis = redis as CircuitRedis;
    // `{circuit}`: every circuit and their index share one Redis Cluster slot (the failure script
    // touches a circuit and the index; `list` reads them all in one pipeline).
    this.prefix = `${config.redis.queuePrefix}:{circuit}:`;
    this.index = `${this.prefix}targets`;
    this.threshold = config.circuit.failureThreshold;
    this.cooldownMs = config.circuit.cooldownMs;
    // The probe holds its slot for as long as a delivery can take, plus a margin.
    this.probeLeaseMs = config.webhook.timeoutMs + 5000;
    // While the probe is out, the others check again this often (not only when its lease ends),
    // so a backlog follows a successful probe within seconds.
    this.halfOpenRecheckMs = Math.max(1000, Math.min(15_000, Math.round(this.cooldownMs / 4)));
    this.closedCacheMs = Math.min(MAX_CLOSED_CACHE_MS, Math.round(this.cooldownMs / 4));
    if (!('circuitAdmit' in redis)) {
      redis.defineCommand('circuitAdmit', { numberOfKeys: 1, lua: ADMIT_SCRIPT });
      redis.defineCommand('circuitFailure', { numberOfKeys: 2, lua: FAILURE_SCRIPT });
      redis.defineCommand('circuitSuccess', { numberOfKeys: 1, lua: SUCCESS_SCRIPT });
    }
  }

  get enabled(): boolean {
    return this.threshold > 0;
  }

  async admit(target: string): Promise<Admission> {
    if (!this.enabled) return { allowed: true, probe: false };
    if ((this.closedUntil.get(target) ?? 0) > Date.now()) return { allowed: true, probe: false };
    const cachedUntil = this.waits.get(target);
    if (cachedUntil !== undefined) {
      if (Date.now() < cachedUntil) return { allowed: false, waitMs: cachedUntil - Date.now() };
      this.waits.delete(target);
    }
    try {
      const [allowed, untilMs, probe, halfOpen] = await this.redis.circuitAdmit(this.key(target), this.probeLeaseMs);
      if (allowed && probe === 1) this.dirty.add(target);
      else if (allowed && !halfOpen) this.closedUntil.set(target, Date.now() + this.closedCacheMs);
      if (allowed) return { allowed: true, probe: probe === 1 };
      const waitMs = halfOpen ? Math.min(untilMs, this.halfOpenRecheckMs) : untilMs;
      this.waits.set(target, Date.now() + waitMs);
      return { allowed: false, waitMs };
    } catch (error) {
      this.logger.warn({ err: error, target }, 'Circuit state unavailable; delivering anyway');
      return { allowed: true, probe: false };
    }
  }

  async recordFailure(target: string): Promise<FailureTransition> {
    if (!this.enabled) return 'none';
    this.closedUntil.delete(target);
    this.dirty.add(target);
    try {
      const [transition, failures] = await this.redis.circuitFailure(
        this.key(target),
        this.index,
        this.threshold,
        this.cooldownMs,
        target,
        CIRCUIT_TTL_MS,
      );
      if (transition !== 'none') {
        this.waits.set(target, Date.now() + this.cooldownMs);
        this.logger.warn(
          { target, consecutive_failures: failures, cooldown_ms: this.cooldownMs },
          `Circuit ${transition}: deliveries to this target wait`,
        );
      }
      return transition;
    } catch (error) {
      this.logger.warn({ err: error, target }, 'Could not record a failure in the circuit state');
      return 'none';
    }
  }

  async recordSuccess(target: string): Promise<void> {
    if (!this.enabled) return;
    const now = Date.now();
    // A closed circuit with no failure seen here needs a reset at most once per cache period.
    if (!this.dirty.has(target) && now - (this.lastSuccessSync.get(target) ?? 0) < this.closedCacheMs) return;
    try {
      this.waits.delete(target);
      this.dirty.delete(target);
      this.lastSuccessSync.set(target, now);
      const left = await this.redis.circuitSuccess(this.key(target));
      if (left === 'open' || left === 'half_open') this.logger.log({ target }, 'Circuit closed: the target answers again');
    } catch (error) {
      this.logger.warn({ err: error, target }, 'Could not record a success in the circuit state');
    }
  }

  /** Every circuit that has seen a failure in the last week, most severe first. */
  async list(): Promise<CircuitSnapshot[]> {
    if (!this.enabled) return [];
    const keys = await this.redis.smembers(this.index);
    if (keys.length === 0) return [];
    const replies = (await this.redis.pipeline(keys.map((k) => ['hgetall', k])).exec()) ?? [];
    const now = Date.now();
    const snapshots: CircuitSnapshot[] = [];
    const gone: string[] = [];
    replies.forEach(([error, hash], i) => {
      const key = keys[i];
      if (key === undefined) throw new Error(`Redis answered ${replies.length} replies to ${keys.length} commands`);
      const h = hash as Partial<Record<string, string>> | null;
      const target = h?.target;
      if (error || !h || !target) return void gone.push(key);
      snapshots.push(toSnapshot({ ...h, target }, now));
    });
    if (gone.length) await this.redis.srem(this.index, ...gone).catch(() => undefined);
    const rank: Record<CircuitState, number> = { open: 0, half_open: 1, closed: 2 };
    return snapshots.sort((a, b) => rank[a.state] - rank[b.state] || a.target.localeCompare(b.target));
  }

  private key(target: string): string {
    return hashedKey(this.prefix, target);
  }
}

/** A stored circuit as reported; an open circuit whose cool-down is over reports half_open (the next delivery probes). */
function toSnapshot(h: Partial<Record<string, string>> & { target: string }, now: number): CircuitSnapshot {
  const stored = (h.state ?? 'closed') as CircuitState;
  const openUntil = Number(h.open_until ?? 0);
  const probeUntil = Number(h.probe_until ?? 0);
  const state: CircuitState = stored === 'open' && now >= openUntil ? 'half_open' : stored;
  const retryAt = stored === 'open' ? openUntil : stored === 'half_open' ? probeUntil : 0;
  return {
    target: h.target,
    state,
    consecutive_failures: Number(h.failures ?? 0),
    opened_at: h.opened_at ? new Date(Number(h.opened_at)).toISOString() : null,
    retry_at: retryAt ? new Date(retryAt).toISOString() : null,
  };
}
