import type { Request } from 'express';
import { PayloadTooLargeError, RequestAbortedError, RequestTimeoutError, UnsupportedMediaTypeError } from '../../common/errors/app-errors';

/** The fields of a submitted form: a name may repeat (a group of checkboxes). */
export class FormFields {
  constructor(private readonly params: URLSearchParams = new URLSearchParams()) {}

  /** The first value of `name`, trimmed; undefined when absent. */
  get(name: string): string | undefined {
    return this.params.get(name)?.trim();
  }

  /** The first value of `name` as sent (a password is not trimmed). */
  raw(name: string): string | undefined {
    return this.params.get(name) ?? undefined;
  }

  all(name: string): string[] {
    return this.params.getAll(name).map((v) => v.trim());
  }

  has(name: string): boolean {
    return this.params.has(name);
  }
}

const FORM_TYPE = 'application/x-www-form-urlencoded';

/**
 * Reads an HTML form's body (`application/x-www-form-urlencoded`, UTF-8) up to `limit` bytes
 * within `timeoutMs`. The console reads forms itself, after its session check, as the JSON API's
 * body reader does for JSON (which refuses forms): nothing is read for an unauthenticated page.
 */
export async function readForm(req: Request, limit: number, timeoutMs: number): Promise<FormFields> {
  const length = req.headers['content-length'];
  const hasBody = req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
  if (!hasBody) return new FormFields();
  const [type = '', ...params] = (req.headers['content-type'] ?? '').split(';');
  const charset = params.find((p) => p.trim().toLowerCase().startsWith('charset='))?.split('=')[1];
  if (type.trim().toLowerCase() !== FORM_TYPE || (charset !== undefined && !/^"?utf-?8"?$/i.test(charset.trim())))
    throw new UnsupportedMediaTypeError('Console forms are sent as application/x-www-form-urlencoded in UTF-8');
  if (Number(length) > limit) throw new PayloadTooLargeError(limit);
  const bytes = await collect(req, limit, timeoutMs);
  return new FormFields(new URLSearchParams(bytes.toString('utf8')));
}

function collect(req: Request, limit: number, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    const finish = (error?: Error) => {
      clearTimeout(timer);
      req.off('data', onData).off('end', onEnd).off('error', onError).off('close', onClose);
      if (error) {
        if (error instanceof PayloadTooLargeError) req.resume();
        reject(error);
      } else resolve(Buffer.concat(chunks, received));
    };
    const onData = (chunk: Buffer) => {
      received += chunk.length;
      if (received > limit) finish(new PayloadTooLargeError(limit));
      else chunks.push(chunk);
    };
    const onEnd = () => finish();
    const onError = () => finish(new RequestAbortedError());
    const onClose = () => {
      if (!req.complete) finish(new RequestAbortedError());
    };
    const timer = setTimeout(() => finish(new RequestTimeoutError(timeoutMs)), timeoutMs);
    req.on('data', onData).on('end', onEnd).on('error', onError).on('close', onClose);
  });
}
