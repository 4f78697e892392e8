#!/usr/bin/env node
// Prints a new webhook secret: 32 random bytes, the same formats as generateSecret() in
// src/security/secret.ts (kept standalone so it runs without a build; a unit test checks both agree):
//   hmac-sha256 (default)  64 hex characters, used by both sides as a plain string
//   standard-webhooks      whsec_<base64>
//   --key                  a SECRETS_ENCRYPTION_KEY instead: 32 random bytes as 64 hex characters
// Usage: npm run secret:generate [-- --scheme=standard-webhooks | --standard | --key]
import { randomBytes } from 'node:crypto';

const SCHEMES = ['hmac-sha256', 'standard-webhooks'];
const args = process.argv.slice(2);

function schemeFrom(argv) {
  if (argv.includes('--standard')) return 'standard-webhooks';
  const index = argv.findIndex((a) => a === '--scheme' || a.startsWith('--scheme='));
  if (index === -1) return 'hmac-sha256';
  return argv[index].includes('=') ? argv[index].slice('--scheme='.length) : argv[index + 1];
}

if (args.includes('--help') || args.includes('-h')) {
  process.stdout.write('Usage: npm run secret:generate [-- --scheme=hmac-sha256|standard-webhooks | --key]\n');
  process.exit(0);
}
if (args.includes('--key')) {
  process.stdout.write(`${randomBytes(32).toString('hex')}\n`);
  process.exit(0);
}
const scheme = schemeFrom(args);
if (!SCHEMES.includes(scheme)) {
  process.stderr.write(`Unknown scheme "${scheme}"; expected one of ${SCHEMES.join(', ')}\n`);
  process.exit(2);
}
const bytes = randomBytes(32);
process.stdout.write(scheme === 'standard-webhooks' ? `whsec_${bytes.toString('base64')}\n` : `${bytes.toString('hex')}\n`);
