import { describe, expect, it } from 'vitest';
import {
  classfulPrefix,
  formatIPv6,
  gatewayProblem,
  hostAddressWarning,
  macProblem,
  netmaskToPrefix,
  normaliseMac,
  parseCidr,
  parseIp,
  parseIPv4,
  parseIPv6,
  type Cidr,
} from '../../src/config/addr.js';
import { closest, ConfigError, Diagnostics, formatProblem } from '../../src/config/errors.js';
import { emptyModprobeConfig, parseModprobe } from '../../src/config/modprobe.js';

describe('addresses', () => {
  it('IPv4 is strict dotted quad', () => {
    expect(parseIPv4('192.0.2.10')).toBe(0xc000020an);
    for (const bad of ['192.0.2', '192.0.2.256', '192.0.2.010', '192.0.2.1.', ' 192.0.2.1', '1e2.0.0.1']) expect(parseIPv4(bad), bad).toBeUndefined();
  });

  it('IPv6 parses all forms and prints RFC 5952 text', () => {
    const cases: [string, string][] = [
      ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
      ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], // first of two equal runs
      ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'], // a single zero group is not compressed
      ['::', '::'],
      ['::1', '::1'],
      ['fe80::', 'fe80::'],
      ['::ffff:192.0.2.1', '::ffff:192.0.2.1'], // IPv4-mapped: dotted, as inet_ntop and the netlink decoder print it
      ['::ffff:c000:201', '::ffff:192.0.2.1'],
      ['::fffe:c000:201', '::fffe:c000:201'],
      ['2001:db8::0:0:10', '2001:db8::10'],
    ];
    for (const [input, want] of cases) {
      const v = parseIPv6(input);
      expect(v, input).toBeDefined();
      expect(formatIPv6(v!), input).toBe(want);
    }
    for (const bad of ['2001:db8:::1', '1::2::3', '2001:db8::g', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7', '12345::', '::192.0.2.300']) {
      expect(parseIPv6(bad), bad).toBeUndefined();
    }
  });

  it('CIDR parsing, defaults and messages', () => {
    expect((parseCidr('2001:DB8::10/64') as Cidr).text).toBe('2001:db8::10/64');
    expect((parseCidr('2001:db8::10', { 6: 64 }) as Cidr).text).toBe('2001:db8::10/64');
    expect(parseCidr('192.0.2.1/33')).toContain("invalid prefix length '33' (valid: 0..32 for IPv4)");
    expect(parseCidr('192.0.2.1/')).toContain('invalid prefix length');
    expect(parseCidr('192.0.2.1')).toContain('has no prefix length (write it as 192.0.2.1/<0-32>)');
    expect(parseCidr('host.example/24')).toContain('is not a valid address');
  });

  it('netmasks must be contiguous', () => {
    expect(netmaskToPrefix('255.255.255.0')).toBe(24);
    expect(netmaskToPrefix('255.255.255.255')).toBe(32);
    expect(netmaskToPrefix('0.0.0.0')).toBe(0);
    expect(netmaskToPrefix('255.255.254.0')).toBe(23);
    expect(netmaskToPrefix('255.0.255.0')).toBeUndefined();
    expect(netmaskToPrefix('255.255.255.1')).toBeUndefined();
    expect(classfulPrefix(parseIPv4('10.1.2.3')!)).toBe(8);
    expect(classfulPrefix(parseIPv4('172.16.0.1')!)).toBe(16);
    expect(classfulPrefix(parseIPv4('192.0.2.1')!)).toBe(24);
  });

  it('gateways must be inside a subnet of their family; IPv6 link-local always is', () => {
    const nets = ['192.0.2.10/24', '2001:db8::10/64'].map((a) => parseCidr(a) as Cidr);
    expect(gatewayProblem(parseIp('192.0.2.1')!, nets)).toBeUndefined();
    expect(gatewayProblem(parseIp('2001:db8::1')!, nets)).toBeUndefined();
    expect(gatewayProblem(parseIp('fe80::1')!, [])).toBeUndefined();
    expect(gatewayProblem(parseIp('192.0.3.1')!, nets)).toContain('outside the bond\'s IPv4 subnets (192.0.2.0/24)');
    expect(gatewayProblem(parseIp('2001:db8:1::1')!, [nets[0]!])).toContain('the bond has no IPv6 address');
  });

  it('network and broadcast addresses as host addresses are warned about', () => {
    expect(hostAddressWarning(parseCidr('192.0.2.0/24') as Cidr)).toContain('network address');
    expect(hostAddressWarning(parseCidr('192.0.2.255/24') as Cidr)).toContain('broadcast address');
    expect(hostAddressWarning(parseCidr('192.0.2.1/24') as Cidr)).toBeUndefined();
    expect(hostAddressWarning(parseCidr('192.0.2.0/31') as Cidr)).toBeUndefined();
  });

  it('MACs', () => {
    expect(normaliseMac('52:54:00:AA:bb:0C')).toBe('52:54:00:aa:bb:0c');
    expect(normaliseMac('52-54-00-aa-bb-0c')).toBe('52:54:00:aa:bb:0c');
    expect(normaliseMac('52:54-00:aa:bb:0c')).toBeUndefined();
    expect(normaliseMac('52:54:00:aa:bb')).toBeUndefined();
    expect(macProblem('01:00:5e:00:00:01')).toContain('multicast');
    expect(macProblem('00:00:00:00:00:00')).toContain('all-zero');
    expect(macProblem('02:00:00:00:00:01')).toBeUndefined();
  });
});

describe('diagnostics', () => {
  it('formats positions and sorts problems', () => {
    expect(formatProblem({ file: 'f', line: 3, column: 7, path: 'a.b', message: 'm' })).toBe('f:3:7: a.b: m');
    expect(formatProblem({ file: 'f', line: 3, path: 'KEY', message: 'm' })).toBe('f:3: KEY: m');
    expect(formatProblem({ file: 'f', line: 0, path: '', message: 'm' })).toBe('f: m');
    const e = new ConfigError([
      { file: 'b', line: 1, path: 'x', message: 'late file' },
      { file: 'a', line: 9, column: 2, path: 'y', message: 'second' },
      { file: 'a', line: 9, column: 1, path: 'z', message: 'first' },
    ]);
    expect(e.message).toBe('configuration has 3 problems:\n  a:9:1: z: first\n  a:9:2: y: second\n  b:1: x: late file');
  });

  it('suggests only plausible typos', () => {
    expect(closest('mimon', ['miimon', 'mode'])).toBe('miimon');
    expect(closest('lacp-rate', ['lacp_rate'])).toBe('lacp_rate');
    expect(closest('xyzzy', ['miimon', 'mode'])).toBeUndefined();
  });
});

describe('modprobe reader', () => {
  it('reads aliases, per-instance and module options, continuations and quotes; ignores other modules', () => {
    const d = new Diagnostics();
    const cfg = emptyModprobeConfig();
    parseModprobe(
      [
        '# bonding',
        'alias bond0 bonding',
        'alias eth0 e1000e',
        'options bond0 -o bond0 mode=1 \\',
        '   miimon=100',
        'options bonding max_bonds=0 arp_ip_target="192.0.2.1,192.0.2.2"',
        'options e1000e IntMode=1',
        'blacklist bonding_old',
        'remove bonding /sbin/true',
      ].join('\n'),
      '/etc/modprobe.d/b.conf',
      d,
      cfg,
    );
    expect([...cfg.aliases.keys()]).toEqual(['bond0']);
    expect(cfg.instanceOptions.get('bond0')!.map((o) => `${o.line} ${o.key}=${o.value}`)).toEqual(['4 mode=1', '4 miimon=100']);
    expect(cfg.moduleOptions.map((o) => `${o.line} ${o.key}=${o.value}`)).toEqual(['6 max_bonds=0', '6 arp_ip_target=192.0.2.1,192.0.2.2']);
    expect(d.errors).toEqual([]);
    expect(d.warnings.map((w) => `${w.line} ${w.path}`)).toEqual(['9 remove bonding']);
  });

  it('reports bonding lines it cannot read', () => {
    const d = new Diagnostics();
    parseModprobe('options bonding miimon\noptions bonding mode="1\noptions\n', 'm.conf', d, emptyModprobeConfig());
    expect(d.errors.map((e) => `${e.line} ${e.path}: ${e.message}`)).toEqual([
      "1 options bonding miimon: 'miimon' is not key=value (e.g. miimon=100)",
      '2 options: unterminated double quote; close the quote',
      '3 options: options needs a module name and key=value parameters (e.g. options bonding max_bonds=0)',
    ]);
  });
});
