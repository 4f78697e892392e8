import { getMetadataStorage } from 'class-validator';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EVENT_TYPES, eventUrlVariable } from '../events/event-catalog';
import { EnvironmentVariables } from './env.schema';

const ROOT = join(__dirname, '..', '..');
const EVENT_URL_FAMILY = 'N8N_WEBHOOK_URL_<EVENT>';

/** Every variable the schema declares (what `loadConfig` reads), sorted. */
function schemaVariables(): string[] {
  const metadata = getMetadataStorage().getTargetValidationMetadatas(EnvironmentVariables, '', true, false);
  return [...new Set(metadata.map((m) => m.propertyName))].sort();
}

/** The names `.env.example` sets or shows commented out (`NAME=…` or `# NAME=…`). */
function envExampleVariables(): string[] {
  const text = readFileSync(join(ROOT, '.env.example'), 'utf8');
  return [...new Set([...text.matchAll(/^#?\s*([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]!))].sort();
}

/** The names in the first column of the README's configuration table (a row may name several). */
function readmeVariables(): string[] {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = /^## Configuration\n([\s\S]*?)^## /m.exec(readme)?.[1] ?? '';
  const rows = section.split('\n').filter((line) => /^\|\s*`/.test(line));
  const names = rows.flatMap((row) => [...(row.split('|')[1] ?? '').matchAll(/`([A-Z][A-Z0-9_<>]*)`/g)].map((m) => m[1]!));
  return [...new Set(names)].sort();
}

describe('configuration docs', () => {
  const schema = schemaVariables();
  const eventUrls = EVENT_TYPES.map(eventUrlVariable).sort();

  it('finds the variables it compares', () => {
    expect(schema.length).toBeGreaterThan(40);
    expect(envExampleVariables().length).toBeGreaterThan(40);
    expect(readmeVariables().length).toBeGreaterThan(40);
  });

  it('.env.example shows every variable of the schema and every N8N_WEBHOOK_URL_<EVENT>, and nothing else', () => {
    expect(envExampleVariables()).toEqual([...schema, ...eventUrls].sort());
  });

  it("the README's configuration table has a row for every variable of the schema and for N8N_WEBHOOK_URL_<EVENT>, and nothing else", () => {
    expect(readmeVariables()).toEqual([...schema, EVENT_URL_FAMILY].sort());
  });
});
