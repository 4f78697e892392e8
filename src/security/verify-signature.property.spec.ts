import fc from 'fast-check';
import { createHmac } from 'node:crypto';
import type { SignatureScheme } from '../config/app-config';
import { keysFor, VERIFICATION_FAILURES, VerificationFailure, verifySignature } from './verify-signature';

/**
 * Property-based: thousands of random header/body combinations, each built from a correctly
 * signed request (signed here with plain node:crypto, independently of the code under test)
 * and then, most of the time, broken in one known way. The verifier must never throw, must
 * accept every untouched request, and must refuse every broken one with the expected reason.
 */
const NOW = 1_750_000_000;
const TOLERANCE = 300;

type Headers = Record<string, string | string[] | undefined>;
interface Case {
  body: Buffer;
  headers: Headers;
  /** null: must be accepted with `secretIndex`; otherwise the reasons allowed. */
  expected: VerificationFailure[] | null;
  secretIndex: number;
}

interface SchemeUnderTest {
  scheme: SignatureScheme;
  secrets: string[];
  attacker: string;
  names: { id: string; timestamp: string; signature: string };
  signatureValue(secret: string, id: string, timestamp: string, body: Buffer): string;
  idRequired: boolean;
}

const HMAC: SchemeUnderTest = {
  scheme: 'hmac-sha256',
  secrets: ['prop-secret-new-0123456789abcdef0123456789', 'prop-secret-old-0123456789abcdef0123456789'],
  attacker: 'prop-secret-evil-0123456789abcdef012345678',
  names: { id: 'x-webhook-id', timestamp: 'x-webhook-timestamp', signature: 'x-webhook-signature-256' },
  signatureValue: (secret, _id, timestamp, body) =>
    `sha256=${createHmac('sha256', secret)
      .update(Buffer.concat([Buffer.from(`${timestamp}.`), body]))
      .digest('hex')}`,
  idRequired: false,
};

const whsec = (seed: string) => `whsec_${Buffer.from(seed.padEnd(32, '*')).toString('base64')}`;
const STANDARD: SchemeUnderTest = {
  scheme: 'standard-webhooks',
  secrets: [whsec('prop-standard-new'), whsec('prop-standard-old')],
  attacker: whsec('prop-standard-evil'),
  names: { id: 'webhook-id', timestamp: 'webhook-timestamp', signature: 'webhook-signature' },
  signatureValue: (secret, id, timestamp, body) =>
    `v1,${createHmac('sha256', Buffer.from(secret.slice(6), 'base64'))
      .update(Buffer.concat([Buffer.from(`${id}.${timestamp}.`), body]))
      .digest('base64')}`,
  idRequired: true,
};

const bodyArb = fc.oneof(
  fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
  fc.string({ unit: 'grapheme', maxLength: 120 }).map((s) => Buffer.from(s, 'utf8')),
  fc.json({ maxDepth: 3 }).map((s) => Buffer.from(s, 'utf8')),
);
const idArb = fc.stringMatching(/^[A-Za-z0-9_:.-]{1,40}$/);
const spell = (name: string, style: number) =>
  style === 0
    ? name
    : style === 1
      ? name.toUpperCase()
      : name.replace(/(^|-)([a-z])/g, (_m, dash: string, c: string) => dash + c.toUpperCase());

/** A correctly signed request, varied in everything that must not matter. */
function validCase(s: SchemeUnderTest): fc.Arbitrary<Case & { id: string; timestamp: string }> {
  return fc
    .record({
      body: bodyArb,
      secretIndex: fc.integer({ min: 0, max: 1 }),
      offset: fc.integer({ min: -TOLERANCE, max: TOLERANCE }),
      id: idArb,
      sendId: fc.boolean(),
      style: fc.integer({ min: 0, max: 2 }),
      upperHex: fc.boolean(),
      foreign: fc.array(fc.uint8Array({ minLength: 32, maxLength: 32 }), { maxLength: 2 }),
      noise: fc.dictionary(fc.stringMatching(/^x-[a-z]{1,10}$/), fc.string({ maxLength: 20 }), { maxKeys: 3 }),
    })
    .map(({ body, secretIndex, offset, id, sendId, style, upperHex, foreign, noise }) => {
      const timestamp = String(NOW + offset);
      let signature = s.signatureValue(s.secrets[secretIndex]!, id, timestamp, body);
      if (s.scheme === 'hmac-sha256' && upperHex) signature = `sha256=${signature.slice(7).toUpperCase()}`;
      if (s.scheme === 'standard-webhooks' && foreign.length)
        signature = [...foreign.map((f) => `v1,${Buffer.from(f).toString('base64')}`), signature].join(' ');
      const headers: Headers = { ...noise, [spell(s.names.timestamp, style)]: timestamp, [spell(s.names.signature, style)]: signature };
      if (sendId || s.idRequired) headers[spell(s.names.id, style)] = id;
      return { body, headers, expected: null, secretIndex, id, timestamp };
    });
}

/** Removes a header whatever its spelling, then sets it (lower case) unless `value` is undefined. */
function withHeader(headers: Headers, name: string, value?: string | string[]): Headers {
  const out = Object.fromEntries(Object.entries(headers).filter(([k]) => k.toLowerCase() !== name));
  if (value !== undefined) out[name] = value;
  return out;
}

function headerOf(headers: Headers, name: string): string {
  return Object.entries(headers).find(([k]) => k.toLowerCase() === name)?.[1] as string;
}

function brokenCase(s: SchemeUnderTest): fc.Arbitrary<Case> {
  const v = validCase(s);
  const bad = (c: Case, headers: Headers, expected: VerificationFailure[], body = c.body): Case => ({ ...c, headers, body, expected });
  const { id: ID, timestamp: TS, signature: SIG } = s.names;
  return fc.oneof(
    fc.tuple(v, fc.nat(), fc.integer({ min: 0, max: 7 })).map(([c, at, bit]) => {
      const body = c.body.length ? Buffer.from(c.body) : Buffer.from([0]);
      if (c.body.length) body[at % body.length]! ^= 1 << bit;
      return bad(c, c.headers, ['signature_mismatch'], body);
    }),
    fc
      .tuple(v, fc.uint8Array({ minLength: 1, maxLength: 4 }))
      .map(([c, extra]) => bad(c, c.headers, ['signature_mismatch'], Buffer.concat([c.body, extra]))),
    fc
      .tuple(
        v,
        fc.integer({ min: -2 * TOLERANCE, max: 2 * TOLERANCE }).filter((d) => d !== 0),
      )
      .map(([c, delta]) => {
        const shifted = Number(c.timestamp) + delta;
        return bad(c, withHeader(c.headers, TS, String(shifted)), [
          Math.abs(shifted - NOW) > TOLERANCE ? 'timestamp_out_of_tolerance' : 'signature_mismatch',
        ]);
      }),
    fc.tuple(v, fc.integer({ min: TOLERANCE + 1, max: 10 ** 8 }), fc.boolean()).map(([c, distance, past]) => {
      const timestamp = String(NOW + (past ? -distance : distance));
      return bad(c, withHeader(withHeader(c.headers, TS, timestamp), SIG, s.signatureValue(s.secrets[0]!, c.id, timestamp, c.body)), [
        'timestamp_out_of_tolerance',
      ]);
    }),
    v.map((c) => bad(c, withHeader(c.headers, SIG, s.signatureValue(s.attacker, c.id, c.timestamp, c.body)), ['signature_mismatch'])),
    fc.tuple(v, fc.uint8Array({ minLength: 32, maxLength: 32 })).map(([c, random]) => {
      const value =
        s.scheme === 'hmac-sha256' ? `sha256=${Buffer.from(random).toString('hex')}` : `v1,${Buffer.from(random).toString('base64')}`;
      return bad(c, withHeader(c.headers, SIG, value), ['signature_mismatch']);
    }),
    v.map((c) => bad(c, withHeader(c.headers, SIG), ['signature_missing'])),
    v.map((c) => bad(c, withHeader(c.headers, TS), ['timestamp_missing'])),
    fc.tuple(v, fc.boolean()).map(([c, asArray]) => {
      const sig = headerOf(c.headers, SIG);
      return bad(c, withHeader(c.headers, SIG, asArray ? [sig, sig] : `${sig}, ${sig}`), ['signature_malformed']);
    }),
    fc
      .tuple(v, fc.boolean())
      .map(([c, asArray]) =>
        bad(c, withHeader(c.headers, TS, asArray ? [c.timestamp, c.timestamp] : `${c.timestamp}, ${c.timestamp}`), [
          'timestamp_out_of_tolerance',
        ]),
      ),
    fc
      .tuple(v, fc.string({ maxLength: 90 }))
      .map(([c, garbage]) =>
        bad(c, withHeader(c.headers, SIG, garbage), garbage === '' ? ['signature_missing'] : ['signature_malformed', 'signature_mismatch']),
      ),
    fc
      .tuple(
        v,
        fc.string({ maxLength: 20 }).filter((t) => !/^[0-9]{1,12}$/.test(t)),
      )
      .map(([c, garbage]) =>
        bad(c, withHeader(c.headers, TS, garbage), garbage === '' ? ['timestamp_missing'] : ['timestamp_out_of_tolerance']),
      ),
    fc.tuple(v, idArb, idArb).map(([c, a, b]) => bad(c, withHeader(c.headers, ID, `${a}, ${b}`), ['signature_malformed'])),
    v.map((c) =>
      bad(
        c,
        {
          ...c.headers,
          [spell(SIG, 2) === SIG ? SIG.toUpperCase() : spell(SIG, 2)]: headerOf(c.headers, SIG),
          [SIG]: headerOf(c.headers, SIG),
        },
        ['signature_malformed'],
      ),
    ),
    ...(s.idRequired
      ? [
          v.map((c) => bad(c, withHeader(c.headers, ID), ['signature_malformed'])),
          fc
            .tuple(v, idArb)
            .filter(([c, other]) => other !== c.id)
            .map(([c, other]) => bad(c, withHeader(c.headers, ID, other), ['signature_mismatch'])),
        ]
      : []),
  );
}

/** Headers nobody signed: random names (including ours, in any case) and random values. */
function garbageCase(s: SchemeUnderTest): fc.Arbitrary<Case> {
  const name = fc.oneof(
    fc.constantFrom(...Object.values(s.names)).chain((n) => fc.integer({ min: 0, max: 2 }).map((st) => spell(n, st))),
    fc.string({ maxLength: 12 }),
  );
  const value = fc.oneof(
    fc.string({ maxLength: 80 }),
    fc.array(fc.string({ maxLength: 80 }), { maxLength: 3 }),
    fc.stringMatching(/^sha256=[0-9a-fA-F]{0,70}$/),
    fc.stringMatching(/^(v1,[A-Za-z0-9+/]{43}= ?){1,3}$/),
    fc.integer({ min: NOW - 400, max: NOW + 400 }).map(String),
    fc.constant(undefined),
  );
  return fc
    .record({ body: bodyArb, headers: fc.dictionary(name, value, { maxKeys: 6 }) })
    .map(({ body, headers }) => ({ body, headers, expected: [...VERIFICATION_FAILURES], secretIndex: -1 }));
}

function check(s: SchemeUnderTest, numRuns: number): void {
  const keys = keysFor(s.scheme, s.secrets);
  const arbitrary = fc.oneof(
    { arbitrary: validCase(s), weight: 2 },
    { arbitrary: brokenCase(s), weight: 6 },
    { arbitrary: garbageCase(s), weight: 2 },
  );
  let accepted = 0;
  let refused = 0;
  fc.assert(
    fc.property(arbitrary, (c) => {
      const result = verifySignature({ scheme: s.scheme, keys, toleranceSeconds: TOLERANCE, body: c.body, headers: c.headers, now: NOW });
      if (c.expected === null) {
        expect(result).toMatchObject({ ok: true, secretIndex: c.secretIndex });
        accepted++;
      } else {
        expect(result.ok).toBe(false);
        if (!result.ok) expect(c.expected).toContain(result.reason);
        refused++;
      }
    }),
    { numRuns },
  );
  // The generator really exercised both sides.
  expect(accepted).toBeGreaterThan(numRuns / 10);
  expect(refused).toBeGreaterThan(numRuns / 2);
}

describe('verifySignature under random input (fast-check)', () => {
  it('hmac-sha256: 10,000 combinations, no throw, no false accept, no false refusal, the expected reason', () => {
    check(HMAC, 10_000);
  });

  it('standard-webhooks: 5,000 combinations, same properties', () => {
    check(STANDARD, 5_000);
  });
});
