/**
 * The circuit breaker's state transitions, as Redis scripts so that every worker process sees
 * and changes one shared state atomically. Time comes from Redis (`TIME`), so processes with
 * skewed clocks agree on when a cool-down ends. One hash per target URL:
 * `state` (closed | open | half_open), `failures` (consecutive), `target`, `opened_at`,
 * `open_until`, `probe_until`, `last_failure_at` (all times in ms).
 */

const NOW = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

/**
 * May a delivery go out now? KEYS[1] = circuit hash; ARGV[1] = probe lease (ms).
 * Returns {allowed (0|1), wait ms when refused, probe (0|1), refused while half-open (0|1)}.
 * When the cool-down is over the first caller becomes the probe (half-open) and holds the slot
 * for the lease; the others wait.
 */
export const ADMIT_SCRIPT = `${NOW}
local state = redis.call('HGET', KEYS[1], 'state')
if not state or state == 'closed' then return {1, 0, 0, 0} end
local untilField = state == 'open' and 'open_until' or 'probe_until'
local untilTs = tonumber(redis.call('HGET', KEYS[1], untilField) or '0')
if now < untilTs then return {0, untilTs - now, 0, state == 'half_open' and 1 or 0} end
redis.call('HSET', KEYS[1], 'state', 'half_open', 'probe_until', now + tonumber(ARGV[1]))
return {1, 0, 1, 0}`;

/**
 * A delivery to the target failed (network error, timeout, 408/425/429/5xx).
 * KEYS[1] = circuit hash, KEYS[2] = index of known circuits; ARGV = threshold, cool-down ms,
 * target URL, key TTL ms. Returns {transition (opened | reopened | none), consecutive failures}.
 */
export const FAILURE_SCRIPT = `${NOW}
local state = redis.call('HGET', KEYS[1], 'state') or 'closed'
local failures = redis.call('HINCRBY', KEYS[1], 'failures', 1)
redis.call('HSET', KEYS[1], 'state', state, 'target', ARGV[3], 'last_failure_at', now)
redis.call('SADD', KEYS[2], KEYS[1])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
if state == 'half_open' or (state == 'closed' and failures >= tonumber(ARGV[1])) then
  redis.call('HSET', KEYS[1], 'state', 'open', 'opened_at', now, 'open_until', now + tonumber(ARGV[2]))
  redis.call('HDEL', KEYS[1], 'probe_until')
  if state == 'half_open' then return {'reopened', failures} end
  return {'opened', failures}
end
return {'none', failures}`;

/**
 * The target answered (2xx, or a permanent 4xx: it is up, just refusing): the failure streak
 * ends and an open or half-open circuit closes. KEYS[1] = circuit hash.
 * Returns the state it left (closed | open | half_open) or 'none' when there was nothing to reset.
 */
export const SUCCESS_SCRIPT = `local state = redis.call('HGET', KEYS[1], 'state')
if not state then return 'none' end
local failures = tonumber(redis.call('HGET', KEYS[1], 'failures') or '0')
if state == 'closed' and failures == 0 then return 'none' end
redis.call('HSET', KEYS[1], 'state', 'closed', 'failures', 0)
redis.call('HDEL', KEYS[1], 'open_until', 'probe_until', 'opened_at')
return state`;
