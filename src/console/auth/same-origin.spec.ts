import { crossSiteReason } from './same-origin';

const req = (headers: Record<string, string>) => ({ headers: { host: 'bridge.example:3000', ...headers } });

describe('crossSiteReason', () => {
  it.each([
    ['Sec-Fetch-Site same-origin', { 'sec-fetch-site': 'same-origin', origin: 'http://elsewhere.example' }],
    ['Sec-Fetch-Site none (a typed URL)', { 'sec-fetch-site': 'none' }],
    ['an Origin naming this host', { origin: 'https://bridge.example:3000' }],
    ['Origin null (no-referrer policies)', { origin: 'null' }],
    ['neither header (a script; the CSRF token decides)', {}],
  ])('lets through %s', (_label, headers) => expect(crossSiteReason(req(headers))).toBeUndefined());

  it.each([
    [
      'Sec-Fetch-Site same-site (another port of the same host)',
      { 'sec-fetch-site': 'same-site', origin: 'https://bridge.example:3000' },
      /same-site/,
    ],
    ['Sec-Fetch-Site cross-site', { 'sec-fetch-site': 'cross-site' }, /cross-site/],
    ['an Origin naming another host', { origin: 'https://evil.example' }, /another origin/],
    ['an Origin naming another port', { origin: 'https://bridge.example:4000' }, /another origin/],
    ['an Origin that is not a URL', { origin: 'nonsense' }, /another origin/],
  ])('refuses %s', (_label, headers, why) => expect(crossSiteReason(req(headers))).toMatch(why));
});
