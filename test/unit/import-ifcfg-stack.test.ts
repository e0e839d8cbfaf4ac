import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ImportError, type ImportResult } from '../../src/config/assemble.js';
import { importIfcfg } from '../../src/config/ifcfg.js';

const made: string[] = [];
afterAll(async () => {
  for (const d of made) await rm(d, { recursive: true, force: true });
});

async function tree(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'bondd-ifcfg2-'));
  made.push(dir);
  for (const [name, text] of Object.entries(files)) {
    await mkdir(join(dir, name, '..'), { recursive: true });
    await writeFile(join(dir, name), text);
  }
  return dir;
}

async function problems(dir: string): Promise<string[]> {
  const e = await importIfcfg(dir).then(() => undefined, (x: unknown) => x);
  expect(e).toBeInstanceOf(ImportError);
  return (e as ImportError).problems.map((p) => `${p.file.slice(dir.length + 1)}:${p.line}: ${p.path}: ${p.message}`);
}

const warn = (r: ImportResult) => r.warnings.map((w) => `${w.file.split('/').pop()}:${w.line}: ${w.path}: ${w.message}`);
const slave = (dev: string, master = 'bond0') => `DEVICE=${dev}\nMASTER=${master}\nSLAVE=yes\n`;

describe('import ifcfg: the stack, and one message per cause', () => {
  it('unquoted BONDING_OPTS: imported as initscripts ran it (first word only), one warning saying why', async () => {
    const r = await importIfcfg('test/fixtures/import/ifcfg/unquoted-opts-and-typos');
    const b = r.config.bonds[0]!;
    expect(b).toMatchObject({ mode: 'active-backup', options: {}, addresses: ['192.0.2.90/24'] });
    expect(b.slaves.map((s) => [s.name, s.permMac])).toEqual([['eth0', '52:54:00:b0:00:01'], ['eth1', undefined]]);
    expect(warn(r)).toContainEqual(expect.stringMatching(/^ifcfg-bond0:4: BONDING_OPTS: the value is not quoted: the shell set BONDING_OPTS='mode=1' and took 'miimon=100' as separate/));
    // IPADDR=... PREFIX=24 on one line is two real assignments: no warning.
    expect(warn(r).filter((w) => w.startsWith('ifcfg-bond0:5'))).toEqual([]);
  });

  it('MASTER=yes on a bond is one error with the likely meaning, not nested bonds plus missing-file errors', async () => {
    const dir = await tree({ 'ifcfg-bond0': 'DEVICE=bond0\nMASTER=yes\nBONDING_OPTS="mode=1 miimon=100"\n', 'ifcfg-eth0': slave('eth0'), 'ifcfg-eth1': slave('eth1') });
    expect(await problems(dir)).toEqual(["ifcfg-bond0:2: MASTER: MASTER=yes names no interface: on a bond you probably meant BONDING_MASTER=yes"]);
  });

  it('MASTER=yes on a NIC is one error saying what MASTER and SLAVE mean', async () => {
    const dir = await tree({ 'ifcfg-bond0': 'DEVICE=bond0\nBONDING_OPTS="mode=1 miimon=100"\n', 'ifcfg-eth0': 'DEVICE=eth0\nMASTER=yes\n' });
    expect(await problems(dir)).toEqual([expect.stringMatching(/^ifcfg-eth0:2: MASTER: MASTER=yes names no interface: MASTER names the bond this NIC belongs to/)]);
  });

  it('a slave naming a bond that does not exist gets a did-you-mean', async () => {
    const dir = await tree({ 'ifcfg-bond0': 'DEVICE=bond0\nBONDING_OPTS="mode=1 miimon=100"\n', 'ifcfg-eth0': slave('eth0'), 'ifcfg-eth1': slave('eth1', 'bnod0') });
    expect(await problems(dir)).toEqual([expect.stringMatching(/^ifcfg-eth1:2: MASTER: MASTER=bnod0, but there is no ifcfg file for bnod0.*\(did you mean 'bond0'\?\)/)]);
  });

  it('CR-only line endings are named', async () => {
    const dir = await tree({ 'ifcfg-bond0': 'DEVICE=bond0\rBONDING_OPTS="mode=1 miimon=100"\r' });
    expect(await problems(dir)).toEqual([expect.stringMatching(/^ifcfg-bond0:1: : the file uses CR-only line endings/)]);
  });

  it('VLAN by PHYSDEV + VLAN_ID, TYPE=Bridge with STP and DELAY, BOOTPROTO=dhcp on the bridge', async () => {
    const dir = await tree({
      'ifcfg-bond0': 'DEVICE=bond0\nBONDING_OPTS="mode=active-backup miimon=100"\n',
      'ifcfg-eth0': slave('eth0'),
      'ifcfg-mgmt': 'DEVICE=mgmt\nVLAN=yes\nPHYSDEV=bond0\nVLAN_ID=42\nBRIDGE=brmgmt\n',
      'ifcfg-brmgmt': 'DEVICE=brmgmt\nTYPE=Bridge\nSTP=yes\nDELAY=4\nBOOTPROTO=dhcp\n',
    });
    const r = await importIfcfg(dir);
    expect(r.config.bonds[0]!.vlans).toMatchObject([{ id: 42, name: 'mgmt', bridge: { name: 'brmgmt', stp: true, forwardDelay: 4, dhcp: 'ipv4' } }]);
    expect(r.warnings).toEqual([]);
  });

  it('BRIDGE= naming no bridge file is an error at that line', async () => {
    const dir = await tree({ 'ifcfg-bond0': 'DEVICE=bond0\nBONDING_OPTS="mode=1 miimon=100"\nBRIDGE=br0\n', 'ifcfg-eth0': slave('eth0') });
    expect(await problems(dir)).toEqual([expect.stringMatching(/^ifcfg-bond0:3: BRIDGE: BRIDGE=br0, but there is no ifcfg-br0 with TYPE=Bridge/)]);
  });
});
