import type { IncomingHttpHeaders } from 'node:http';
import { UnsupportedMediaTypeError } from '../errors/app-errors';

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json$/;
const UTF8 = /^utf-?8$/;

/**
 * Refuses (415 `unsupported_media_type`) a body we would not read as JSON: a media type other
 * than `application/json` or `application/*+json` (forms included), a charset other than UTF-8
 * (none means UTF-8, RFC 8259), or a `Content-Encoding` (no compressed bodies: their size is
 * not their size).
 */
export function assertJsonContentType(headers: IncomingHttpHeaders): void {
  const header = headers['content-type'];
  const [type = '', ...params] = (header ?? '').split(';');
  if (!JSON_TYPE.test(type.trim().toLowerCase()))
    throw new UnsupportedMediaTypeError(`Request bodies must be sent as application/json${header ? ` (got ${clip(type.trim())})` : ''}`);
  const charset = params
    .map((p) => p.split('='))
    .find(([name = '']) => name.trim().toLowerCase() === 'charset')?.[1]
    ?.trim()
    .replace(/^"(.*)"$/, '$1')
    .toLowerCase();
  if (charset !== undefined && !UTF8.test(charset))
    throw new UnsupportedMediaTypeError(`Request bodies must be UTF-8 JSON (got charset ${clip(charset)})`);
  const encoding = headers['content-encoding']?.trim().toLowerCase();
  if (encoding && encoding !== 'identity')
    throw new UnsupportedMediaTypeError(`Compressed request bodies are not accepted (got Content-Encoding ${clip(encoding)})`);
}

/** Header values are the sender's: keep them short in an answer. */
function clip(value: string): string {
  return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
}
