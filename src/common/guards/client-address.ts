import { isIP, isIPv6 } from 'node:net';

/**
 * The key a source address is counted under: IPv4 as is (an IPv4-mapped IPv6 address too), IPv6
 * by its /64 network, since one host commonly holds a whole /64 and could otherwise try every
 * address in it. `req.ip` follows the app's TRUST_PROXY setting.
 */
export function clientAddressKey(ip: string | undefined): string {
  // Not an IP (a trusted proxy passing on the sender's text): one shared bucket, so a sender
  // cannot open a fresh budget per request by inventing addresses.
  if (!ip || isIP(ip.replace(/%.*$/, '')) === 0) return 'unknown';
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(ip)?.[1];
  if (mapped !== undefined) return mapped;
  const address = ip.replace(/%.*$/, ''); // zone id (fe80::1%eth0)
  if (!isIPv6(address)) return ip;
  return `${ipv6Groups(address).slice(0, 4).join(':')}::/64`;
}

/** The eight 16-bit groups of a valid IPv6 address, as lower-case hex without leading zeros. */
function ipv6Groups(address: string): string[] {
  const split = (part: string) => (part ? part.split(':').flatMap((g) => (g.includes('.') ? ['0', '0'] : [g])) : []);
  const [head = '', tail] = address.split('::');
  const left = split(head);
  const right = tail === undefined ? [] : split(tail);
  const groups = tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return groups.map((g) => parseInt(g, 16).toString(16));
}
