import { parseCidr } from './cidr.js';

describe('parseCidr', () => {
  test('normalizes IPv4 CIDRs to their network address, as iptables-save prints them', () => {
    expect(parseCidr('10.1.2.3/8')).toEqual({ family: 4, text: '10.0.0.0/8' });
    expect(parseCidr(' 192.168.7.9/23 ')).toEqual({ family: 4, text: '192.168.6.0/23' });
    expect(parseCidr('0.0.0.0/0')).toEqual({ family: 4, text: '0.0.0.0/0' });
  });

  test('reads a bare address as a single host', () => {
    expect(parseCidr('10.200.1.2')).toEqual({ family: 4, text: '10.200.1.2/32' });
    expect(parseCidr('fd00:200::7')).toEqual({ family: 6, text: 'fd00:200::7/128' });
  });

  test('prints IPv6 the way glibc inet_ntop does', () => {
    // Left: input; right: what Python's socket.inet_ntop (glibc) printed for the masked address.
    const cases: [string, string][] = [
      ['FD00:0200:0000:0000:0000:0000:0000:0001/64', 'fd00:200::/64'],
      ['2001:db8:0:0:1:0:0:1/128', '2001:db8::1:0:0:1/128'],
      ['1:0:0:1:0:0:0:0/128', '1:0:0:1::/128'],
      ['::1:0:0:0:1/128', '::1:0:0:0:1/128'],
      ['::2/128', '::2/128'],
      ['::0.0.0.2/128', '::2/128'],
      ['::1.2.3.4/128', '::1.2.3.4/128'],
      ['0:0:0:0:0:0:1:0/128', '::0.1.0.0/128'],
      ['::ffff:1.2.3.4/128', '::ffff:1.2.3.4/128'],
      ['0:0:0:0:0:ffff:0:1/128', '::ffff:0.0.0.1/128'],
      ['::ffff:0:0/96', '::ffff:0.0.0.0/96'],
      ['1:2:3:4:5:6:7:8/128', '1:2:3:4:5:6:7:8/128'],
      ['1:0:2:0:3:0:4:0/128', '1:0:2:0:3:0:4:0/128'],
      ['1:0:0:2:0:0:3:4/128', '1::2:0:0:3:4/128'],
      ['::/0', '::/0'],
    ];
    for (const [input, text] of cases) expect(parseCidr(input)).toEqual({ family: 6, text });
  });

  test('refuses what is not a CIDR instead of dropping it silently', () => {
    for (const bad of [
      '',
      'x',
      '10.0.0.0/33',
      '10.0.0.0/',
      '10.0.0.0/-1',
      '10.0.0/8',
      '::/129',
      'fe80::1%eth0/64',
      '1::2::3',
    ]) {
      expect(parseCidr(bad)).toBeNull();
    }
  });
});
