import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, type ConfigWarning } from '../../src/config/errors.js';
import { importIfcfg, isIgnoredIfcfgName, parseIfcfgText } from '../../src/config/ifcfg.js';
import type { DesiredBond } from '../../src/config/types.js';

const FIXTURES = join(import.meta.dirname, '../fixtures/config');
const CLASSIC = join(FIXTURES, 'classic');

const made: string[] = [];
afterAll(async () => {
  for (const d of made) await rm(d, { recursive: true, force: true });
});

/** Writes files into a fresh directory: `{ 'ifcfg-bond0': '...', 'modprobe.conf': '...' }`. */
async function tree(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'bondd-ifcfg-'));
  made.push(dir);
  for (const [name, text] of Object.entries(files)) {
    await mkdir(join(dir, name, '..'), { recursive: true });
    await writeFile(join(dir, name), text);
  }
  return dir;
}

const slave = (dev: string, master = 'bond0', extra = '') => `DEVICE=${dev}\nMASTER=${master}\nSLAVE=yes\nBOOTPROTO=none\nONBOOT=yes\n${extra}`;

function bond(r: { config: { bonds: DesiredBond[] } }, name = 'bond0'): DesiredBond {
  const b = r.config.bonds.find((x) => x.name === name);
  expect(b, `no ${name} in ${JSON.stringify(r.config.bonds.map((x) => x.name))}`).toBeDefined();
  return b!;
}

function warningAt(ws: ConfigWarning[], file: string, line: number, path: string, fragment: string): ConfigWarning {
  const w = ws.find((x) => x.file.endsWith(file) && x.line === line && x.path === path && x.message.includes(fragment));
  expect(w, `no warning ${file}:${line} ${path} "${fragment}" in\n${ws.map((x) => `${x.file}:${x.line} ${x.path}: ${x.message}`).join('\n')}`).toBeDefined();
  return w!;
}

describe('classic recipe', () => {
  it('imports ifcfg-bond0 + two slaves + alias/options bond0 as active-backup miimon 100', async () => {
    const dir = join(CLASSIC, 'network-scripts');
    const r = await importIfcfg(dir, { modprobeFiles: [join(CLASSIC, 'modprobe.conf')] });
    expect(r.warnings).toEqual([]);
    expect(r.config.source).toBe(dir);
    expect(r.config.bonds).toEqual([
      {
        name: 'bond0',
        mode: 'active-backup',
        options: { miimon: 100 },
        slaves: [
          { name: 'eth0', options: {}, origin: { file: join(dir, 'ifcfg-eth0'), line: 1 } },
          { name: 'eth1', options: {}, origin: { file: join(dir, 'ifcfg-eth1'), line: 1 } },
        ],
        addresses: ['192.0.2.10/24'],
        routes: [],
        macAddress: 'first-slave',
        backend: 'sysfs',
        drift: 'alert',
        up: true,
        origin: { file: join(dir, 'ifcfg-bond0'), line: 1 },
      },
    ]);
    // ifcfg-lo and the ifcfg-eth0.bak backup (which names a bond7 that does not exist) were skipped.
    expect(r.config.sourceFiles).not.toContain(join(dir, 'ifcfg-lo'));
    expect(r.config.sourceFiles).toContain(join(CLASSIC, 'modprobe.conf'));
  });

  it('without the modprobe file the bond is balance-rr with no options, and says it has no link monitor', async () => {
    const r = await importIfcfg(join(CLASSIC, 'network-scripts'));
    const b = bond(r);
    expect(b.mode).toBe('balance-rr');
    expect(b.options).toEqual({});
    expect(r.warnings.some((w) => w.message.includes('neither miimon nor arp_interval'))).toBe(true);
  });

  it('accepts spaces around =, quotes, export, comments and trailing comments', async () => {
    const dir = await tree({
      'ifcfg-bond0': [
        '# bond for the uplink',
        'DEVICE = bond0',
        "export IPADDR='192.0.2.10'",
        'PREFIX="24"   # /24',
        'ONBOOT = "yes"',
        'BONDING_OPTS = "mode=active-backup miimon=100"',
        '   USERCTL=no',
        'NAME="System bond0"',
        '',
      ].join('\n'),
      'ifcfg-eth0': slave('eth0'),
      'ifcfg-eth1': "DEVICE='eth1'\nMASTER=\"bond0\"\nSLAVE=yes\n",
    });
    const r = await importIfcfg(dir);
    expect(r.warnings).toEqual([]);
    const b = bond(r);
    expect(b.mode).toBe('active-backup');
    expect(b.options).toEqual({ miimon: 100 });
    expect(b.addresses).toEqual(['192.0.2.10/24']);
    expect(b.slaves.map((s) => s.name)).toEqual(['eth0', 'eth1']);
  });

  it('PREFIX wins over a disagreeing NETMASK, with a warning', async () => {
    const dir = await tree({
      'ifcfg-bond0': 'DEVICE=bond0\nIPADDR=192.0.2.10\nPREFIX=25\nNETMASK=255.255.255.0\nBONDING_OPTS="mode=1 miimon=100"\n',
      'ifcfg-eth0': slave('eth0'),
    });
    const r = await importIfcfg(dir);
    expect(bond(r).addresses).toEqual(['192.0.2.10/25']);
    warningAt(r.warnings, 'ifcfg-bond0', 4, 'NETMASK', 'disagrees with PREFIX=25; PREFIX wins');
  });

  it('no PREFIX or NETMASK: classful prefix with a warning', async () => {
    const dir = await tree({
      'ifcfg-bond0': 'DEVICE=bond0\nIPADDR=198.51.100.7\nBONDING_OPTS="mode=1 miimon=100"\n',
      'ifcfg-eth0': slave('eth0'),
    });
    const r = await importIfcfg(dir);
    expect(bond(r).addresses).toEqual(['198.51.100.7/24']);
    warningAt(r.warnings, 'ifcfg-bond0', 2, 'IPADDR', 'classful /24');
  });
});

describe('BONDING_OPTS', () => {
  it('reads numbers or names, accumulates arp_ip_target (+addr and comma lists), moves primary out', async () => {
    const dir = await tree({
      'ifcfg-bond0':
        'DEVICE=bond0\nTYPE=Bond\nBONDING_MASTER=yes\nIPADDR=192.0.2.10\nPREFIX=24\n' +
        'BONDING_OPTS="mode=1 arp_interval=1000 arp_ip_target=+192.0.2.1 arp_ip_target=192.0.2.2,192.0.2.3 primary=eth1 num_unsol_na=3 fail_over_mac=active"\n',
      'ifcfg-eth0': slave('eth0'),
      'ifcfg-eth1': slave('eth1'),
    });
    const r = await importIfcfg(dir);
    const b = bond(r);
    expect(b.mode).toBe('active-backup');
    expect(b.primary).toBe('eth1');
    expect(b.options).toEqual({
      arp_interval: 1000,
      arp_ip_target: ['192.0.2.1', '192.0.2.2', '192.0.2.3'],
      fail_over_mac: 'active',
      num_grat_arp: 3,
    });
    expect(r.warnings).toEqual([]);
  });

  it('mode by name, 802.3ad options, per-slave keys and HWADDR', async () => {
    const dir = await tree({
      'ifcfg-bond1': 'DEVICE=bond1\nBONDING_OPTS="mode=802.3ad miimon=100 lacp_rate=fast xmit_hash_policy=layer3+4"\nMTU=9000\nMACADDR=02:00:00:00:B0:01\n',
      'ifcfg-ens1f0': slave('ens1f0', 'bond1', 'HWADDR=52:54:00:AA:BB:01\n'),
      'ifcfg-ens1f1': slave('ens1f1', 'bond1', 'HWADDR=52-54-00-aa-bb-02\nBOND_PORT_QUEUE_ID=3\n'),
    });
    const r = await importIfcfg(dir);
    const b = bond(r, 'bond1');
    expect(b.mode).toBe('802.3ad');
    expect(b.options).toEqual({ miimon: 100, lacp_rate: 'fast', xmit_hash_policy: 'layer3+4' });
    expect(b.mtu).toBe(9000);
    expect(b.macAddress).toBe('02:00:00:00:b0:01');
    expect(b.slaves.map(({ origin: _o, ...s }) => s)).toEqual([
      { name: 'ens1f0', permMac: '52:54:00:aa:bb:01', options: {} },
      { name: 'ens1f1', permMac: '52:54:00:aa:bb:02', options: { queue_id: 3 } },
    ]);
  });
});

describe('modprobe', () => {
  it('module-wide options bonding are defaults for every bond; own values win; max_bonds is noted', async () => {
    const dir = await tree({
      'ifcfg-bond0': 'DEVICE=bond0\nBONDING_OPTS="miimon=200"\n',
      'ifcfg-bond1': 'DEVICE=bond1\nBONDING_MASTER=yes\n',
      'ifcfg-eth0': slave('eth0'),
      'ifcfg-eth1': slave('eth1', 'bond1'),
      'modprobe.d/bonding.conf': '# defaults\noptions bonding max_bonds=2 mode=4 \\\n   miimon=100 lacp_rate=1\n',
    });
    const r = await importIfcfg(dir, { modprobeFiles: [join(dir, 'modprobe.d/bonding.conf')] });
    expect(bond(r, 'bond0')).toMatchObject({ mode: '802.3ad', options: { miimon: 200, lacp_rate: 'fast' } });
    expect(bond(r, 'bond1')).toMatchObject({ mode: '802.3ad', options: { miimon: 100, lacp_rate: 'fast' } });
    warningAt(r.warnings, 'modprobe.d/bonding.conf', 2, 'options bonding max_bonds', 'max_bonds=2 is a module parameter');
    // No conflict warning: overriding a module default is what module defaults are for.
    expect(r.warnings.filter((w) => w.message.includes('wins'))).toEqual([]);
  });

  it('BONDING_OPTS wins over options <bond>, with a warning naming both places', async () => {
    const dir = await tree({
      'ifcfg-bond0': 'DEVICE=bond0\nBONDING_OPTS="mode=active-backup miimon=200"\n',
      'ifcfg-eth0': slave('eth0'),
      'modprobe.conf': 'alias bond0 bonding\noptions bond0 miimon=100 mode=1 downdelay=200\ninstall bonding /sbin/modprobe --ignore-install bonding\n',
    });
    const mp = join(dir, 'modprobe.conf');
    const r = await importIfcfg(dir, { modprobeFiles: [mp] });
    expect(bond(r).options).toEqual({ miimon: 200, downdelay: 200 });
    warningAt(r.warnings, 'ifcfg-bond0', 2, 'BONDING_OPTS.miimon', `miimon=200 overrides miimon=100 from ${mp}:2; BONDING_OPTS wins`);
    // Same mode spelled differently is not a conflict.
    expect(r.warnings.some((w) => w.path === 'BONDING_OPTS.mode')).toBe(false);
    warningAt(r.warnings, 'modprobe.conf', 3, 'install bonding', 'not imported');
  });

  it('notes aliases and options for bonds without an ifcfg file; skips -o', async () => {
    const dir = await tree({
      'ifcfg-bond0': 'DEVICE=bond0\n',
      'ifcfg-eth0': slave('eth0'),
      'modprobe.conf': 'alias bond0 bonding\noptions bond0 -o bond0 mode=1 miimon=100\nalias bond1 bonding\noptions bond1 mode=4\noptions e1000e InterruptThrottleRate=1\n',
    });
    const r = await importIfcfg(dir, { modprobeFiles: [join(dir, 'modprobe.conf')] });
    expect(bond(r)).toMatchObject({ mode: 'active-backup', options: { miimon: 100 } });
    expect(r.config.bonds).toHaveLength(1);
    warningAt(r.warnings, 'modprobe.conf', 3, 'alias bond1', 'no ifcfg file for bond1');
    warningAt(r.warnings, 'modprobe.conf', 4, 'options bond1', 'no ifcfg file for bond1');
  });

  it('a modprobe file that does not exist is an error', async () => {
    const dir = await tree({ 'ifcfg-bond0': 'DEVICE=bond0\n', 'ifcfg-eth0': slave('eth0') });
    await expect(importIfcfg(dir, { modprobeFiles: [join(dir, 'nope.conf')] })).rejects.toThrow(/nope\.conf: cannot read modprobe file/);
  });
});

describe('addresses, gateways, flags', () => {
  it('IPADDRn secondaries, IPv6 with secondaries and a gateway, DEFROUTE, ONBOOT=no', async () => {
    const dir = await tree({
      'ifcfg-bond0': [
        'DEVICE=bond0',
        'BONDING_OPTS="mode=balance-alb miimon=100"',
        'ONBOOT=no',
        'IPADDR0=192.0.2.10',
        'PREFIX0=24',
        'IPADDR1=198.51.100.10',
        'NETMASK1=255.255.255.128',
        'GATEWAY=198.51.100.1',
        'IPV6INIT=yes',
        'IPV6ADDR=2001:DB8:0:0::10',
        'IPV6ADDR_SECONDARIES="2001:db8:1::10/80 2001:db8:2::10/64"',
        'IPV6_DEFAULTGW=fe80::1%bond0',
        '',
      ].join('\n'),
      'ifcfg-eth0': slave('eth0'),
      'ifcfg-eth1': slave('eth1'),
    });
    const r = await importIfcfg(dir);
    const b = bond(r);
    expect(b.up).toBe(false);
    expect(b.mode).toBe('balance-alb');
    expect(b.addresses).toEqual(['192.0.2.10/24', '198.51.100.10/25', '2001:db8::10/64', '2001:db8:1::10/80', '2001:db8:2::10/64']);
    expect(b.gateway).toEqual({ v4: '198.51.100.1', v6: 'fe80::1' });
    expect(r.warnings).toEqual([]);
  });

  it('DEFROUTE=no drops GATEWAY; IPV6ADDR without IPV6INIT is ignored; both with warnings', async () => {
    const dir = await tree({
      'ifcfg-bond0': 'DEVICE=bond0\nBONDING_OPTS="mode=1 miimon=100"\nIPADDR=192.0.2.10\nPREFIX=24\nGATEWAY=192.0.2.1\nDEFROUTE=no\nIPV6ADDR=2001:db8::10/64\n',
      'ifcfg-eth0': slave('eth0'),
    });
    const r = await importIfcfg(dir);
    expect(bond(r).gateway).toBeUndefined();
    expect(bond(r).addresses).toEqual(['192.0.2.10/24']);
    warningAt(r.warnings, 'ifcfg-bond0', 5, 'GATEWAY', 'DEFROUTE=no');
    warningAt(r.warnings, 'ifcfg-bond0', 7, 'IPV6ADDR', 'IPV6INIT is not yes');
  });

  it('warns about unknown keys (with a suggestion), slave-only mistakes, a bond without slaves, MASTER without SLAVE', async () => {
    const dir = await tree({
      'ifcfg-bond0': 'DEVICE=bond0\nBONDING_OPTS="mode=1 miimon=100"\nONBOT=yes\n',
      'ifcfg-bond1': 'DEVICE=bond1\nTYPE=Bond\nBONDING_OPTS="mode=1 miimon=100"\n',
      'ifcfg-eth0': 'DEVICE=eth0\nMASTER=bond0\nSLAVE=yes\nMTU=9000\nIPADDR=192.0.2.99\n',
      'ifcfg-eth1': 'DEVICE=eth1\nMASTER=bond0\n',
      'ifcfg-eth5': 'this is not shell\nDEVICE=eth5\n',
    });
    const r = await importIfcfg(dir);
    warningAt(r.warnings, 'ifcfg-bond0', 3, 'ONBOT', "unknown key ONBOT; ignored (did you mean 'ONBOOT'?)");
    warningAt(r.warnings, 'ifcfg-eth0', 4, 'MTU', 'MTU on a slave is ignored');
    warningAt(r.warnings, 'ifcfg-eth0', 5, 'IPADDR', 'IPADDR on a slave is ignored');
    warningAt(r.warnings, 'ifcfg-bond1', 1, 'DEVICE', 'bond1 has no slaves');
    warningAt(r.warnings, 'ifcfg-eth1', 2, 'MASTER', 'without SLAVE=yes');
    // Not part of a bond's stack: named once as not imported; its junk line is not our business.
    expect(r.warnings.filter((w) => w.file.endsWith('ifcfg-eth5')).map((w) => w.message)).toEqual([expect.stringMatching(/^interface eth5 is not part of any bond's stack; not imported/)]);
    expect(bond(r).slaves.map((s) => s.name)).toEqual(['eth0', 'eth1']);
  });

  it('reports every problem of a directory at once', async () => {
    const dir = await tree({
      'ifcfg-bond0': 'DEVICE=bond0\nBONDING_OPTS="mode=1 miimon=100"\nIPADDR=192.0.2.10\nNETMASK=255.255.0.255\nMTU=12\n',
      'ifcfg-eth0': slave('eth0'),
      'ifcfg-eth1': slave('eth1', 'bond3'),
    });
    const err = await importIfcfg(dir).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ConfigError);
    const lines = (err as ConfigError).problems.map((p) => `${p.file.slice(dir.length + 1)}:${p.line}: ${p.path}`);
    expect(lines).toEqual(['ifcfg-bond0:4: NETMASK', 'ifcfg-bond0:5: MTU', 'ifcfg-eth1:2: MASTER']);
  });
});

describe('alias files and static routes', () => {
  it('an alias file (ifcfg-bond0:1) adds its addresses to the bond; a VLAN or plain NIC is not ours', async () => {
    const dir = await tree({
      'ifcfg-bond0': 'DEVICE=bond0\nIPADDR=192.0.2.10\nPREFIX=24\nBONDING_OPTS="mode=1 miimon=100"\n',
      'ifcfg-bond0:1': 'DEVICE=bond0:1\nIPADDR=192.0.2.20\nNETMASK=255.255.255.0\nONBOOT=yes\nMTU=9000\n',
      'ifcfg-bond0:db': 'DEVICE=bond0:db\nIPADDR1=198.51.100.5\nPREFIX1=25\n',
      'ifcfg-eth9:1': 'DEVICE=eth9:1\nIPADDR=203.0.113.9\nPREFIX=24\n',
      'ifcfg-eth0': slave('eth0'),
    });
    const r = await importIfcfg(dir);
    expect(bond(r).addresses).toEqual(['192.0.2.10/24', '192.0.2.20/24', '198.51.100.5/25']);
    warningAt(r.warnings, 'ifcfg-bond0:1', 5, 'MTU', 'MTU in the alias file bond0:1 is ignored');
    warningAt(r.warnings, 'ifcfg-bond0:db', 1, 'IPADDR', 'alias bond0:db has no IPADDR');
    expect(r.config.sourceFiles!.map((f) => f.slice(dir.length + 1))).toEqual(['ifcfg-bond0', 'ifcfg-bond0:1', 'ifcfg-bond0:db', 'ifcfg-eth0']);
  });

  it('a bad address in an alias file is an error naming that file and line', async () => {
    const dir = await tree({
      'ifcfg-bond0': 'DEVICE=bond0\nIPADDR=192.0.2.10\nPREFIX=24\nBONDING_OPTS="mode=1 miimon=100"\n',
      'ifcfg-bond0:1': 'DEVICE=bond0:1\nIPADDR=192.0.2.300\n',
      'ifcfg-eth0': slave('eth0'),
    });
    const err = await importIfcfg(dir).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).problems.map((p) => `${p.file.slice(dir.length + 1)}:${p.line}: ${p.path}`)).toEqual(['ifcfg-bond0:1:2: IPADDR']);
  });

  it('route-<bond> in both formats and route6-<bond> become routes', async () => {
    const dir = await tree({
      'ifcfg-bond0': 'DEVICE=bond0\nIPADDR=192.0.2.10\nPREFIX=24\nIPV6INIT=yes\nIPV6ADDR=2001:db8::10/64\nBONDING_OPTS="mode=1 miimon=100"\n',
      'ifcfg-eth0': slave('eth0'),
      'ifcfg-bond1': 'DEVICE=bond1\nIPADDR=203.0.113.10\nPREFIX=24\nBONDING_OPTS="mode=1 miimon=100"\n',
      'ifcfg-eth1': slave('eth1', 'bond1'),
      'route-bond0': '# static routes\n198.51.100.0/24 via 192.0.2.1 dev bond0\n203.0.113.128/25 via 192.0.2.2 metric 20\n192.0.2.128/32 dev bond0\n',
      'route6-bond0': '2001:db8:1::/48 via 2001:db8::1 metric 1024\ndefault via 2001:db8::fe\n',
      'route-bond1': 'ADDRESS0=198.51.100.0\nNETMASK0=255.255.255.128\nGATEWAY0=203.0.113.1\nADDRESS1="198.51.100.128"\nNETMASK1=255.255.255.128\nGATEWAY1=203.0.113.2\nMETRIC1=5\nADDRESS3=192.0.2.0\n',
      'route-bond0.bak': 'garbage\n',
    });
    const r = await importIfcfg(dir);
    expect(bond(r).routes).toEqual([
      { to: '198.51.100.0/24', via: '192.0.2.1' },
      { to: '203.0.113.128/25', via: '192.0.2.2', metric: 20 },
      { to: '192.0.2.128/32' },
      { to: '2001:db8:1::/48', via: '2001:db8::1', metric: 1024 },
      { to: '::/0', via: '2001:db8::fe' },
    ]);
    expect(bond(r, 'bond1').routes).toEqual([
      { to: '198.51.100.0/25', via: '203.0.113.1' },
      { to: '198.51.100.128/25', via: '203.0.113.2', metric: 5 },
    ]);
    warningAt(r.warnings, 'route-bond1', 8, 'ADDRESS3', 'stops at the first missing number');
    expect(r.warnings.some((w) => w.message.includes('not imported'))).toBe(false);
  });

  it('route lines bondd can not express, host bits and next hops outside the subnet are errors with file and line', async () => {
    const dir = await tree({
      'ifcfg-bond0': 'DEVICE=bond0\nIPADDR=192.0.2.10\nPREFIX=24\nBONDING_OPTS="mode=1 miimon=100"\n',
      'ifcfg-eth0': slave('eth0'),
      'route-bond0': [
        '198.51.100.0/24 via 192.0.2.1 table 100',
        '198.51.100.7/24 via 192.0.2.1',
        '203.0.113.0/24 via 192.0.2.1 dev eth7',
        'default',
        '2001:db8::/32 via 192.0.2.1',
        '',
      ].join('\n'),
      'route6-bond0': '2001:db8::/32 via 192.0.2.1\n',
    });
    const err = await importIfcfg(dir).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    const problems = (err as ConfigError).problems.map((p) => `${p.file.slice(dir.length + 1)}:${p.line}: ${p.message}`);
    expect(problems).toEqual([
      expect.stringMatching(/^route-bond0:1: .*'table' is not supported/),
      expect.stringMatching(/^route-bond0:2: 198.51.100.7\/24 has host bits set/),
      expect.stringMatching(/^route-bond0:3: .*only routes through bond0/),
      expect.stringMatching(/^route-bond0:4: .*a default route needs via/),
      expect.stringMatching(/^route-bond0:5: .*is IPv6, but route-bond0 holds IPv4 routes/),
      expect.stringMatching(/^route6-bond0:1: .*next hop 192.0.2.1 is IPv4, the route is IPv6/),
    ]);
  });

  it('a next hop outside the bond subnets is an error at the route line', async () => {
    const dir = await tree({
      'ifcfg-bond0': 'DEVICE=bond0\nIPADDR=192.0.2.10\nPREFIX=24\nBONDING_OPTS="mode=1 miimon=100"\n',
      'ifcfg-eth0': slave('eth0'),
      'route-bond0': '198.51.100.0/24 via 192.0.2.1\n203.0.113.0/24 via 198.51.100.1\n',
    });
    const err = await importIfcfg(dir).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    const problems = (err as ConfigError).problems.map((p) => `${p.file.slice(dir.length + 1)}:${p.line}: ${p.message}`);
    expect(problems).toEqual([expect.stringMatching(/^route-bond0:2: next hop 198.51.100.1 is outside the bond's IPv4 subnets/)]);
  });
});

describe('reader details', () => {
  it('skips backups and loopback', () => {
    for (const n of ['ifcfg-eth0~', 'ifcfg-eth0.bak', 'ifcfg-eth0.rpmsave', 'ifcfg-eth0.rpmnew', 'ifcfg-eth0.orig', 'ifcfg-eth0.old', 'ifcfg-lo', 'route-bond0']) {
      expect(isIgnoredIfcfgName(n), n).toBe(true);
    }
    for (const n of ['ifcfg-eth0', 'ifcfg-bond0', 'ifcfg-ens1f0']) expect(isIgnoredIfcfgName(n), n).toBe(false);
  });

  it('handles escapes, single quotes, continuations and reports the last assignment of a key', () => {
    const f = parseIfcfgText(
      'A="a \\"quoted\\" \\$x"\nB=\'lit $x\\n\'\nC=x\\ y\nD=one\nD=two\nE="con\\\ntinued"\n',
      '/x/ifcfg-t',
    );
    const v = (k: string) => f.entries.get(k)?.value;
    expect(v('A')).toBe('a "quoted" $x');
    expect(v('B')).toBe('lit $x\\n');
    expect(v('C')).toBe('x y');
    expect(v('D')).toBe('two');
    expect(f.entries.get('D')!.line).toBe(5);
    expect(v('E')).toBe('continued');
    expect(f.diag.warnings.map((w) => `${w.line} ${w.path}`)).toEqual(['5 D']);
    expect(f.suffix).toBe('t');
  });
});
