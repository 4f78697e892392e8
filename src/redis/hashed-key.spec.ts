import { createHash } from 'node:crypto';
import { hashedKey } from './hashed-key';

describe('hashedKey', () => {
  it('is the prefix and the first 32 hex digits of the SHA-256 of the text', () => {
    const url = 'https://user:pass@n8n.example/webhook/lead-scraped';
    const key = hashedKey('bridge:circuit:', url);
    expect(key).toBe(`bridge:circuit:${createHash('sha256').update(url).digest('hex').slice(0, 32)}`);
    expect(key).not.toContain('pass');
    expect(hashedKey('p:', 'a')).not.toBe(hashedKey('p:', 'b'));
  });
});
