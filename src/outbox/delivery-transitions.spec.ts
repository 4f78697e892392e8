import {
  andFrom,
  canLeave,
  canReach,
  CANCELLABLE,
  FINISHED,
  fromStatuses,
  IN_QUEUE,
  REPLAYABLE,
  RETRYABLE,
  statusCondition,
  toStatus,
  TransitionName,
  TransitionNotAllowedError,
  TRANSITIONS,
} from './delivery-transitions';
import { DELIVERY_STATUSES, DeliveryStatus } from './outbox-event.entity';

const NAMES = Object.keys(TRANSITIONS) as TransitionName[];

describe('delivery transitions', () => {
  it('splits every status into in-queue or finished, never both', () => {
    expect([...IN_QUEUE, ...FINISHED].sort()).toEqual([...DELIVERY_STATUSES].sort());
    expect(IN_QUEUE.filter((s) => (FINISHED as readonly string[]).includes(s))).toEqual([]);
  });

  it.each(NAMES)('%s names real statuses only', (name) => {
    for (const status of [...TRANSITIONS[name].from, ...TRANSITIONS[name].to]) expect(DELIVERY_STATUSES).toContain(status);
  });

  it('creates rows only as pending (cancelled for a disabled subscription), and deletes only finished rows', () => {
    expect(TRANSITIONS.record).toEqual({ from: [], to: ['pending', 'cancelled'] });
    expect(TRANSITIONS.cleanUp.to).toEqual([]);
    expect([...TRANSITIONS.cleanUp.from].sort()).toEqual([...FINISHED].sort());
  });

  it('never lets a worker claim a finished row', () => {
    for (const status of FINISHED) expect(canLeave('claim', status)).toBe(false);
    for (const status of IN_QUEUE) expect(canLeave('claim', status)).toBe(true);
    expect(TRANSITIONS.claim.to).toEqual(['sending']);
  });

  it('does not cancel a row a worker is sending, nor a finished one', () => {
    expect(canLeave('cancel', 'sending')).toBe(false);
    for (const status of FINISHED) expect(canLeave('cancel', status)).toBe(false);
    expect([...CANCELLABLE].sort()).toEqual(['pending', 'queued', 'retrying']);
  });

  it('sends again only finished rows: retry takes failed or cancelled, replay any finished row', () => {
    expect([...RETRYABLE].sort()).toEqual(['cancelled', 'failed']);
    expect([...REPLAYABLE].sort()).toEqual([...FINISHED].sort());
    for (const name of ['retry', 'replay'] as const) {
      expect(TRANSITIONS[name].to).toEqual(['queued']);
      for (const status of IN_QUEUE) expect(canLeave(name, status)).toBe(false);
    }
  });

  it('holds only a row being sent, back to queued or retrying', () => {
    expect(TRANSITIONS.hold.from).toEqual(['sending']);
    expect(canReach('hold', 'queued')).toBe(true);
    expect(canReach('hold', 'retrying')).toBe(true);
    expect(canReach('hold', 'sent')).toBe(false);
  });

  it('publishes pending rows only; the relay re-queues rows a job should exist for', () => {
    expect(TRANSITIONS.publish).toEqual({ from: ['pending'], to: ['queued'] });
    expect([...TRANSITIONS.requeueLost.from].sort()).toEqual(['queued', 'retrying', 'sending']);
    expect([...TRANSITIONS.requeueLost.to].sort()).toEqual(['queued', 'sending']);
  });

  it('records an attempt whatever the row says meanwhile, as one of the attempt outcomes', () => {
    expect([...TRANSITIONS.recordAttempt.from].sort()).toEqual([...DELIVERY_STATUSES].sort());
    expect([...TRANSITIONS.recordAttempt.to].sort()).toEqual(['cancelled', 'failed', 'retrying', 'sent']);
  });

  it('refuses statuses outside a transition', () => {
    expect(fromStatuses('replay', ['failed'])).toEqual(['failed']);
    expect(fromStatuses('cleanUp')).toEqual([...FINISHED]);
    expect(() => fromStatuses('replay', ['sending'])).toThrow(TransitionNotAllowedError);
    expect(() => fromStatuses('cancel', ['sending'])).toThrow('Transition cancel does not go from sending');
    expect(toStatus('hold', 'retrying')).toBe('retrying');
    expect(() => toStatus('claim', 'sent' as 'sending')).toThrow(TransitionNotAllowedError);
  });

  it('writes the from set as the guard of an UPDATE', () => {
    expect(andFrom('publish')).toBe(" AND status = 'pending'");
    expect(andFrom('claim', 'q.status')).toBe(" AND q.status IN ('pending', 'queued', 'retrying', 'sending')");
    expect(andFrom('cancel')).toBe(" AND status IN ('pending', 'queued', 'retrying')");
    expect(andFrom('hold')).toBe(" AND status = 'sending'");
    expect(andFrom('recordAttempt', 'q.status')).toBe('');
    expect(() => andFrom('record')).toThrow();
  });

  it('writes only known statuses into SQL', () => {
    expect(statusCondition('status', ['sent', 'failed'])).toBe("status IN ('sent', 'failed')");
    expect(() => statusCondition('status', ["sent'; DROP TABLE webhook_queue; --" as DeliveryStatus])).toThrow('Not a delivery status');
    expect(() => statusCondition('status', [])).toThrow();
  });
});
