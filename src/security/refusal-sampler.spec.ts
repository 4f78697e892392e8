import { RefusalSampler, SuppressedRefusals } from './refusal-sampler';

describe('RefusalSampler', () => {
  let now = 0;
  let reported: SuppressedRefusals[];
  const options = { windowMs: 60_000, recordedPerWindow: 3, recordedPerWindowTotal: 5, maxKeys: 4 };
  const make = (over = {}) =>
    new RefusalSampler(
      { ...options, ...over },
      (s) => reported.push(s),
      () => now,
    );
  beforeEach(() => {
    now = 1_000_000;
    reported = [];
  });

  it('records the first N refusals per address and reason per window, counts the rest, reports them when the window ends', () => {
    const sut = make();
    const admitted = Array.from({ length: 10 }, () => sut.admit('198.51.100.7', 'signature_missing'));
    expect(admitted.filter(Boolean)).toHaveLength(3);
    expect(sut.admit('198.51.100.7', 'signature_mismatch')).toBe(true);
    now += 60_000;
    sut.sweep();
    expect(reported).toEqual([
      { sourceIp: '198.51.100.7', reason: 'signature_missing', recorded: 3, suppressed: 7, windowStart: new Date(1_000_000) },
    ]);
    // A new window records again.
    expect(sut.admit('198.51.100.7', 'signature_missing')).toBe(true);
  });

  it('caps the rows of all addresses together, and shares one window per reason once maxKeys addresses are tracked', () => {
    const sut = make();
    const admitted = ['a', 'b', 'c', 'd', 'e', 'f', 'g'].map((ip) => sut.admit(`10.0.0.${ip.charCodeAt(0)}`, 'signature_missing'));
    expect(admitted.filter(Boolean)).toHaveLength(5);
    sut.stop();
    // Four addresses tracked, the rest under '*'; every refusal is accounted for.
    const counted = reported.reduce((n, s) => n + s.suppressed, 0);
    expect(counted).toBe(2);
    expect(reported.some((s) => s.sourceIp === '*')).toBe(true);
  });

  it('keeps refusals without a usable address apart, and reports open windows on stop', () => {
    const sut = make({ recordedPerWindow: 1 });
    sut.admit(null, 'signature_missing');
    expect(sut.admit(null, 'signature_missing')).toBe(false);
    sut.stop();
    expect(reported).toEqual([expect.objectContaining({ sourceIp: 'unknown', suppressed: 1 })]);
  });
});
