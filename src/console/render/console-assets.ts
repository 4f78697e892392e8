import { Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONSOLE_ROUTE } from '../console.constants';

/** The files of src/console/public (copied next to the compiled code by `nest build`), served at /console/assets/<name>. */
const FILES = {
  'console.css': 'text/css; charset=utf-8',
  'console.js': 'text/javascript; charset=utf-8',
  'favicon.svg': 'image/svg+xml',
} as const;

export type AssetName = keyof typeof FILES;

export interface Asset {
  body: Buffer;
  type: string;
  etag: string;
}

export const PUBLIC_DIR = join(__dirname, '..', 'public');

/**
 * The console's static files, read once at start-up (a fixed list: no path from a request ever
 * reaches the file system). Each URL carries a hash of its content, so it can be cached for good.
 */
@Injectable()
export class ConsoleAssets {
  private readonly files = new Map<string, Asset>();

  constructor() {
    for (const [name, type] of Object.entries(FILES)) {
      const body = readFileSync(join(PUBLIC_DIR, name));
      this.files.set(name, { body, type, etag: createHash('sha256').update(body).digest('hex').slice(0, 16) });
    }
  }

  find(name: string): Asset | undefined {
    return this.files.get(name);
  }

  url(name: AssetName): string {
    return `${CONSOLE_ROUTE}/assets/${name}?v=${this.files.get(name)?.etag ?? ''}`;
  }
}
