import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';
import { ConfigValidationError } from '../config/config.errors';
import { loadConfig } from '../config/load-config';
import { generateSecret } from './secret';

const SCRIPT = join(__dirname, '../../scripts/generate-secret.mjs');
const HEX_SECRET = /^[0-9a-f]{64}$/;
const STANDARD_SECRET = /^whsec_[A-Za-z0-9+/]{43}=$/;

function runScript(...args: string[]): string {
  return execFileSync(process.execPath, [SCRIPT, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

/** The WEBHOOK_SECRET problems production would report (other production rules are not this suite's concern). */
function secretProblems(secret: string, scheme: string): string[] {
  try {
    loadConfig(productionEnv(secret, scheme));
    return [];
  } catch (error) {
    if (!(error instanceof ConfigValidationError)) throw error;
    return error.problems.filter((p) => p.startsWith('WEBHOOK_SECRET'));
  }
}

const productionEnv = (secret: string, scheme: string) => ({
  NODE_ENV: 'production',
  WEBHOOK_SECRET: secret,
  WEBHOOK_SIGNATURE_SCHEME: scheme,
  ADMIN_TOKEN: 'a-real-admin-token-7f3a9c2e5b1d',
});

describe('generateSecret', () => {
  it('makes 32 random bytes as 64 hex characters for hmac-sha256 (the default)', () => {
    const secret = generateSecret();
    expect(secret).toMatch(HEX_SECRET);
    expect(generateSecret('hmac-sha256')).not.toBe(secret);
  });

  it('makes whsec_<base64 of 32 bytes> for standard-webhooks, usable by the standardwebhooks library', () => {
    const secret = generateSecret('standard-webhooks');
    expect(secret).toMatch(STANDARD_SECRET);
    expect(Buffer.from(secret.slice(6), 'base64')).toHaveLength(32);
    expect(() => new Webhook(secret)).not.toThrow();
  });

  it('produces secrets the production configuration accepts', () => {
    expect(secretProblems(generateSecret('hmac-sha256'), 'hmac-sha256')).toEqual([]);
    expect(secretProblems(generateSecret('standard-webhooks'), 'standard-webhooks')).toEqual([]);
    // The check is live: a weak secret is reported.
    expect(secretProblems('short', 'hmac-sha256')).not.toEqual([]);
  });
});

describe('npm run secret:generate (scripts/generate-secret.mjs)', () => {
  it('prints the same formats as generateSecret', () => {
    expect(runScript()).toMatch(HEX_SECRET);
    expect(runScript('--scheme=hmac-sha256')).toMatch(HEX_SECRET);
    expect(runScript('--scheme=standard-webhooks')).toMatch(STANDARD_SECRET);
    expect(runScript('--scheme', 'standard-webhooks')).toMatch(STANDARD_SECRET);
    expect(runScript('--standard')).toMatch(STANDARD_SECRET);
  });

  it('prints a different secret each run, accepted by the production configuration', () => {
    const a = runScript();
    expect(runScript()).not.toBe(a);
    expect(secretProblems(a, 'hmac-sha256')).toEqual([]);
    expect(secretProblems(runScript('--standard'), 'standard-webhooks')).toEqual([]);
  });

  it('refuses an unknown scheme with exit code 2', () => {
    expect(() => runScript('--scheme=md5')).toThrow(expect.objectContaining({ status: 2 }));
  });
});
