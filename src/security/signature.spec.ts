import {
  decodeStandardSecret,
  digestsEqual,
  formatHmacSignature,
  formatStandardSignature,
  hmacSignatureHex,
  isValidDeliveryId,
  parseHmacSignature,
  parseStandardSignatures,
  parseTimestamp,
  standardSignatureBytes,
} from './signature';

// Vectors computed with OpenSSL, not with this code:
//   printf '%s' '1700000000.{"hello":"wörld"}' | openssl dgst -sha256 -hmac 'test-secret'
//   printf '%s' 'msg_1.1700000000.{"a":1}' | openssl dgst -sha256 -mac HMAC -macopt hexkey:<hex of the key> -binary | base64
const HMAC_VECTOR = '55f16396e1b806299879a1428131e7e62f13a398dab79180c795777e6de7349f';
const STANDARD_SECRET = 'whsec_YWJjZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXowMTIzNDU=';
const STANDARD_VECTOR = 'WXXXI49qiilOmUepnKjiByerzSz58tEc2lRzPsIVGPI=';
const HEX64 = 'a'.repeat(64);

describe('signature primitives', () => {
  describe('hmacSignatureHex', () => {
    it('matches OpenSSL for HMAC-SHA256(secret as UTF-8, "<timestamp>.<body>")', () => {
      expect(hmacSignatureHex('test-secret', 1700000000, '{"hello":"wörld"}')).toBe(HMAC_VECTOR);
    });

    it('gives the same digest for a string body and its UTF-8 bytes, and for a numeric or string timestamp', () => {
      const body = '{"hello":"wörld"}';
      expect(hmacSignatureHex('test-secret', '1700000000', Buffer.from(body, 'utf8'))).toBe(HMAC_VECTOR);
    });

    it('formats the header value as sha256=<hex>', () => {
      expect(formatHmacSignature(HMAC_VECTOR)).toBe(`sha256=${HMAC_VECTOR}`);
    });
  });

  describe('parseHmacSignature', () => {
    it('decodes a lower-case digest into its 32 bytes', () => {
      expect(parseHmacSignature(`sha256=${HMAC_VECTOR}`)?.toString('hex')).toBe(HMAC_VECTOR);
    });

    it('accepts upper-case and mixed-case hex as the same bytes', () => {
      expect(parseHmacSignature(`sha256=${HMAC_VECTOR.toUpperCase()}`)?.toString('hex')).toBe(HMAC_VECTOR);
      const mixed = HMAC_VECTOR.replace(/[a-f]/g, (c, i: number) => (i % 2 ? c.toUpperCase() : c));
      expect(parseHmacSignature(`sha256=${mixed}`)?.toString('hex')).toBe(HMAC_VECTOR);
    });

    it.each([
      ['empty', ''],
      ['prefix only', 'sha256='],
      ['no prefix', HEX64],
      ['another algorithm', `sha1=${HEX64}`],
      ['upper-case prefix', `SHA256=${HEX64}`],
      ['non-hex digits', `sha256=${'g'.repeat(64)}`],
      ['odd length', `sha256=${'a'.repeat(63)}`],
      ['too short (31 bytes)', `sha256=${'a'.repeat(62)}`],
      ['too long (33 bytes)', `sha256=${'a'.repeat(66)}`],
      ['a space after the prefix', `sha256= ${HEX64}`],
      ['trailing space', `sha256=${HEX64} `],
      ['comma-joined duplicate', `sha256=${HEX64}, sha256=${HEX64}`],
      ['base64 instead of hex', `sha256=${Buffer.alloc(32, 1).toString('base64')}`],
    ])('refuses %s', (_label, value) => {
      expect(parseHmacSignature(value)).toBeNull();
    });
  });

  describe('Standard Webhooks', () => {
    it('decodes whsec_ secrets to their base64 key, with or without the prefix', () => {
      expect(decodeStandardSecret(STANDARD_SECRET).toString('utf8')).toBe('abcdefghijklmnopqrstuvwxyz012345');
      expect(decodeStandardSecret(STANDARD_SECRET.slice(6)).toString('utf8')).toBe('abcdefghijklmnopqrstuvwxyz012345');
    });

    it('matches OpenSSL for HMAC-SHA256(key, "<id>.<timestamp>.<body>") in base64', () => {
      const digest = standardSignatureBytes(decodeStandardSecret(STANDARD_SECRET), 'msg_1', 1700000000, '{"a":1}');
      expect(formatStandardSignature(digest)).toBe(`v1,${STANDARD_VECTOR}`);
    });

    it('parses every v1 signature of a space-separated list and skips other versions', () => {
      const other = Buffer.alloc(32, 7).toString('base64');
      const parsed = parseStandardSignatures(`v1a,${other} v1,${STANDARD_VECTOR} v1,${other}`);
      expect(parsed?.map((d) => d.toString('base64'))).toEqual([STANDARD_VECTOR, other]);
    });

    it.each([
      ['empty', ''],
      ['spaces only', '   '],
      ['no version', STANDARD_VECTOR],
      ['only other versions', `v2,${STANDARD_VECTOR}`],
      ['wrong digest length', `v1,${Buffer.alloc(31).toString('base64')}`],
      ['not base64', `v1,${'!'.repeat(43)}=`],
      ['url-safe base64', `v1,${'-'.repeat(43)}=`],
      ['missing padding', `v1,${STANDARD_VECTOR.slice(0, -1)}`],
      ['comma-joined duplicate', `v1,${STANDARD_VECTOR}, v1,${STANDARD_VECTOR}`],
      ['a malformed entry beside a good one', `v1,${STANDARD_VECTOR} garbage`],
    ])('refuses %s', (_label, value) => {
      expect(parseStandardSignatures(value)).toBeNull();
    });
  });

  describe('parseTimestamp', () => {
    it('reads plain decimal unix seconds', () => {
      expect(parseTimestamp('1700000000')).toBe(1700000000);
      expect(parseTimestamp('0')).toBe(0);
    });

    it.each([
      ['-1700000000'],
      ['+1700000000'],
      ['1700000000.5'],
      ['1.7e9'],
      ['abc'],
      [' 1700000000'],
      ['1700000000 '],
      ['0x6553f100'],
      ['1700000000, 1700000001'],
      ['9'.repeat(13)],
      [''],
    ])('refuses %p', (value) => {
      expect(parseTimestamp(value)).toBeNull();
    });
  });

  describe('isValidDeliveryId', () => {
    it('accepts uuids, numeric ids and msg_ ids', () => {
      for (const id of ['3f2c1a9e-8a8b-4b6f-9f47-4c1f0f2b1f00', '12345', 'msg_2LhCQ9', 'exec:42/node.1'])
        expect(isValidDeliveryId(id)).toBe(true);
    });

    it('refuses empty, spaced, comma-joined, non-ASCII and over-long ids', () => {
      for (const id of ['', 'a b', 'a, b', 'a,b', 'idé', 'x'.repeat(256)]) expect(isValidDeliveryId(id)).toBe(false);
    });
  });

  describe('digestsEqual', () => {
    it('compares 32-byte digests and refuses any other length without throwing', () => {
      const a = Buffer.alloc(32, 1);
      expect(digestsEqual(a, Buffer.alloc(32, 1))).toBe(true);
      expect(digestsEqual(a, Buffer.alloc(32, 2))).toBe(false);
      expect(digestsEqual(a, Buffer.alloc(31, 1))).toBe(false);
      expect(digestsEqual(Buffer.alloc(0), Buffer.alloc(0))).toBe(false);
    });
  });
});
