import type { Request } from 'express';

/**
 * Why a state-changing request comes from another site, or undefined when nothing says so. The
 * browser tells: `Sec-Fetch-Site` when it sends it (same-origin, or none for a typed URL, pass);
 * otherwise `Origin`, whose host must be the one addressed (`null`, sent under some referrer
 * policies, says nothing). A client that sends neither is judged by the CSRF token alone.
 */
export function crossSiteReason(req: Pick<Request, 'headers'>): string | undefined {
  const site = req.headers['sec-fetch-site'];
  if (typeof site === 'string') return site === 'same-origin' || site === 'none' ? undefined : `sent from a ${site} page`;
  const origin = req.headers.origin;
  if (typeof origin === 'string' && origin !== 'null') {
    const host = URL.canParse(origin) ? new URL(origin).host : undefined;
    if (host === undefined || host !== req.headers.host) return 'sent from another origin';
  }
  return undefined;
}
