#!/usr/bin/env node
// Writes the importable n8n workflows in n8n/*.json from the definitions below and the Code node
// sources in scripts/n8n/code/. The JSON files are what operators import; this script is how we
// maintain them (code reviewed as code, stable ids, tidy layout).
//   node scripts/n8n/build-workflows.mjs           # rewrite n8n/*.json
//   node scripts/n8n/build-workflows.mjs --check   # exit 1 when a file is out of date
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { receiverWorkflow } from './workflows/receiver.mjs';
import { callbackSenderWorkflow } from './workflows/callback-sender.mjs';
import { errorReporterWorkflow } from './workflows/error-reporter.mjs';
import { alertsWorkflow } from './workflows/alerts.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const outputs = {
  'n8n/bridge-callback-sender.json': callbackSenderWorkflow(),
  'n8n/bridge-alert-receiver.json': alertsWorkflow(),
  'n8n/bridge-error-reporter.json': errorReporterWorkflow(),
  'n8n/bridge-event-receiver.json': receiverWorkflow(),
};

const check = process.argv.includes('--check');
let stale = 0;
for (const [file, workflow] of Object.entries(outputs)) {
  const path = join(root, file);
  const text = `${JSON.stringify(workflow, null, 2)}\n`;
  let current = null;
  try {
    current = readFileSync(path, 'utf8');
  } catch {
    current = null;
  }
  if (current === text) continue;
  if (check) {
    console.error(`${file} is out of date: run node scripts/n8n/build-workflows.mjs`);
    stale++;
  } else {
    writeFileSync(path, text);
    console.log(`wrote ${file} (${createHash('sha256').update(text).digest('hex').slice(0, 12)})`);
  }
}
process.exit(stale ? 1 : 0);
