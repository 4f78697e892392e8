import { clientAddressKey } from './client-address';

describe('clientAddressKey', () => {
  it.each([
    ['IPv4 as is', '203.0.113.7', '203.0.113.7'],
    ['an IPv4-mapped IPv6 address as its IPv4 address', '::ffff:203.0.113.7', '203.0.113.7'],
    ['IPv6 by its /64', '2001:db8:1:2:aaaa:bbbb:cccc:dddd', '2001:db8:1:2::/64'],
    ['two addresses of one /64 alike', '2001:db8:1:2::1', '2001:db8:1:2::/64'],
    ['leading zeros and case folded', '2001:0DB8:0001:0002::ffff', '2001:db8:1:2::/64'],
    ['a compressed prefix expanded', '2001:db8::1', '2001:db8:0:0::/64'],
    ['loopback', '::1', '0:0:0:0::/64'],
    ['a zone id dropped', 'fe80::1%eth0', 'fe80:0:0:0::/64'],
    ['an embedded IPv4 tail', '64:ff9b::192.0.2.1', '64:ff9b:0:0::/64'],
    ['a missing address as "unknown"', undefined, 'unknown'],
    ['text that is not an address as "unknown" (no fresh bucket per invented address)', 'not-an-ip<script>', 'unknown'],
  ])('keys %s', (_label, ip, expected) => {
    expect(clientAddressKey(ip)).toBe(expected);
  });

  it('keeps different /64 networks apart', () => {
    expect(clientAddressKey('2001:db8:1:2::1')).not.toBe(clientAddressKey('2001:db8:1:3::1'));
  });
});
