#!/usr/bin/env node
// Prints a strong webhook secret: 32 random bytes as hex (default scheme) or whsec_<base64> (--standard).
import { randomBytes } from 'node:crypto';
const bytes = randomBytes(32);
process.stdout.write(process.argv.includes('--standard') ? `whsec_${bytes.toString('base64')}\n` : `${bytes.toString('hex')}\n`);
