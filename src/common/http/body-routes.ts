import type { Request } from 'express';

/**
 * Routes whose body is authenticated by its bytes (n8n callbacks, and the signature test
 * endpoint): read with CALLBACK_BODY_LIMIT, never parsed before the signature guard ran.
 * Every other route (the admin API) is read with BODY_LIMIT.
 */
export const CALLBACK_PATH_PREFIXES = ['/api/v1/webhooks/n8n/', '/api/v1/webhooks/test'] as const;

/** The request path without its query string. */
export function requestPath(req: Partial<Pick<Request, 'originalUrl' | 'url'>>): string {
  // Express sets both on a routed request; a bare Node request (or a test double) may lack them.
  const [path = ''] = (req.originalUrl ?? req.url ?? '').split('?');
  return path;
}

/** Express matches routes case-insensitively, so this does too. */
export function isCallbackPath(path: string): boolean {
  const p = path.toLowerCase();
  return CALLBACK_PATH_PREFIXES.some((prefix) => p.startsWith(prefix.endsWith('/') ? prefix : `${prefix}/`) || p === prefix);
}
