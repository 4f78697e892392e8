import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const PRODUCT = 'n8n-webhook-bridge';

/**
 * `n8n-webhook-bridge/<version>`, the version read once from the project's package.json
 * (found by walking up from this file, so it works from `src/` under ts-node and from `dist/src/`).
 */
export const USER_AGENT = `${PRODUCT}/${readVersion(__dirname)}`;

function readVersion(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === PRODUCT && pkg.version) return pkg.version;
    }
    if (dirname(dir) === dir) return '0.0.0';
  }
}
