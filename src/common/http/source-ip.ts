import type { Request } from 'express';
import { isIP } from 'node:net';

/**
 * The client address as an IP: what Express computed from the socket, or from X-Forwarded-For
 * when TRUST_PROXY trusts the hop. Null when it is not an IP: a trusted proxy passes on the
 * sender's own text (`not-an-ip<script>`), which is never stored, logged or used as an address.
 */
export function sourceIpOf(req: Pick<Request, 'ip'>): string | null {
  const ip = req.ip;
  return typeof ip === 'string' && isIP(ip) !== 0 ? ip : null;
}
