/**
 * Pure parts of running under systemd: sd-daemon priority prefixes on every line, MONOTONIC_USEC
 * from CLOCK_MONOTONIC, the persisted confirm window (atomic files, Maps survive JSON), and the
 * files that keep udev, networkd and NetworkManager off bondd's devices.
 */
import { mkdtemp, mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { DesiredConfig } from '../../src/config/types.js';
import { LINK_FILE, NETWORK_FILE, NM_FILE, bonddDevices, keepOthersOut } from '../../src/daemon/coexist.js';
import { ConfirmStore, configDigest, type PendingConfirm } from '../../src/daemon/confirm-store.js';
import { PRIORITY, withPriority } from '../../src/daemon/log.js';
import { monotonicUsec } from '../../src/daemon/notify.js';
import { emptyHost } from '../../src/plan/observed.js';

const dirs: string[] = [];
async function scratch(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'bondd-sd-'));
  dirs.push(d);
  return d;
}
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

function cfg(bonds: Array<{ name: string; slaves: Array<{ name?: string; permMac?: string }> }>): DesiredConfig {
  return { source: '/etc/bondd/bondd.yaml', bonds: bonds.map((b) => ({ ...b, mode: 'active-backup', options: {}, addresses: [], routes: [], backend: 'sysfs', drift: 'alert', up: true, slaves: b.slaves.map((s) => ({ ...s, options: {} })) })) } as unknown as DesiredConfig;
}

describe('journald priorities', () => {
  it('prefixes every line of a multi-line message', () => {
    expect(withPriority(PRIORITY.err, 'bondd: invalid configuration, nothing changed:\n/etc/bondd/bondd.yaml:4: bonds.b0.mode: sideways')).toBe(
      '<3>bondd: invalid configuration, nothing changed:\n<3>/etc/bondd/bondd.yaml:4: bonds.b0.mode: sideways\n',
    );
    expect(withPriority(PRIORITY.notice, 'b0: active slave none → eth0')).toBe('<5>b0: active slave none → eth0\n');
  });
});

describe('MONOTONIC_USEC', () => {
  it('is CLOCK_MONOTONIC (which /proc/uptime also counts, since boot), not time since the process started', async () => {
    const uptimeUs = Number((await readFile('/proc/uptime', 'utf8')).split(' ')[0]) * 1e6;
    const ours = Number(monotonicUsec());
    // /proc/uptime is CLOCK_BOOTTIME (includes suspend); equal on a machine that never slept,
    // and never smaller. performance.now() would be seconds at most here.
    expect(ours).toBeLessThanOrEqual(uptimeUs + 1e6);
    expect(ours).toBeGreaterThan(uptimeUs * 0.5);
    expect(ours).toBeGreaterThan(performance.now() * 1000);
  });
});

describe('confirm store', () => {
  it('round-trips a pending confirm (Maps included) and leaves no temporary file', async () => {
    const dir = await scratch();
    const store = new ConfirmStore(dir);
    const before = emptyHost();
    before.addresses.set('b0', ['192.0.2.1/24']);
    before.routes.set('b0', [{ to: '0.0.0.0/0', via: '192.0.2.254' }]);
    const confirmed = cfg([{ name: 'b0', slaves: [{ name: 'eth1' }] }]);
    const pending: PendingConfirm = { deadline: 1, appliedAt: 0, applied: 'x', source: 's', confirmed, before, touched: confirmed.bonds };
    await store.savePending(pending);
    const back = await store.loadPending();
    expect(back?.before.addresses.get('b0')).toEqual(['192.0.2.1/24']);
    expect(back?.before.routes.get('b0')).toEqual([{ to: '0.0.0.0/0', via: '192.0.2.254' }]);
    expect(back?.before.bonds).toBeInstanceOf(Map);
    expect(back?.confirmed).toEqual(confirmed);
    expect(await readdir(dir)).toEqual(['pending-confirm.json']);
    await store.clearPending();
    expect(await store.loadPending()).toBeNull();
  });

  it('a corrupt file is an error naming it, not a silent "nothing pending"', async () => {
    const dir = await scratch();
    await writeFile(join(dir, 'pending-confirm.json'), '{"deadl');
    await expect(new ConfirmStore(dir).loadPending()).rejects.toThrow(join(dir, 'pending-confirm.json'));
  });

  it('the digest follows what the configuration asks for', () => {
    const a = cfg([{ name: 'b0', slaves: [{ name: 'eth1' }] }]);
    const b = cfg([{ name: 'b0', slaves: [{ name: 'eth2' }] }]);
    expect(configDigest(a)).toBe(configDigest({ ...a, source: '/elsewhere' }));
    expect(configDigest(a)).not.toBe(configDigest(b));
  });
});

describe('coexistence files', () => {
  it("name exactly bondd's devices: bonds in the .link file, bonds and slaves in .network and NetworkManager", async () => {
    const root = await scratch();
    await mkdir(join(root, 'etc/NetworkManager'), { recursive: true });
    const config = cfg([
      { name: 'bond0', slaves: [{ name: 'eth1' }, { name: 'eth2' }] },
      { name: 'bond1', slaves: [{ permMac: '52:54:00:00:00:09' }] },
    ]);
    expect(bonddDevices(config)).toEqual({ bonds: ['bond0', 'bond1'], names: ['bond0', 'bond1', 'eth1', 'eth2'], macs: ['52:54:00:00:00:09'] });
    const r = await keepOthersOut(config, { root });
    expect(r.warnings).toEqual([]);
    const link = await readFile(join(root, LINK_FILE), 'utf8');
    expect(link).toMatch(/^OriginalName=bond0 bond1$/m);
    expect(link).toMatch(/^MACAddressPolicy=none$/m);
    const network = await readFile(join(root, NETWORK_FILE), 'utf8');
    expect(network).toMatch(/^Name=bond0 bond1 eth1 eth2$/m);
    expect(network).toMatch(/^Unmanaged=yes$/m);
    expect(await readFile(join(root, NETWORK_FILE.replace('.network', '-mac.network')), 'utf8')).toMatch(/^PermanentMACAddress=52:54:00:00:00:09$/m);
    expect(await readFile(join(root, NM_FILE), 'utf8')).toMatch(/^unmanaged-devices=interface-name:bond0;interface-name:bond1;interface-name:eth1;interface-name:eth2;mac:52:54:00:00:00:09$/m);
  });

  it("a bond's VLANs and bridges are bondd's devices too", () => {
    const config = cfg([{ name: 'bond0', slaves: [{ name: 'eth1' }] }]);
    Object.assign(config.bonds[0]!, { vlans: [{ id: 10, name: 'bond0.10', bridge: { name: 'vmbr10' } }], bridge: undefined });
    expect(bonddDevices(config).names).toEqual(['bond0', 'bond0.10', 'vmbr10', 'eth1']);
  });

  it('a configuration without bonds removes the files (nothing of the old one stays claimed)', async () => {
    const root = await scratch();
    await keepOthersOut(cfg([{ name: 'bond0', slaves: [{ name: 'eth1' }] }]), { root });
    await keepOthersOut(cfg([]), { root });
    await expect(readFile(join(root, LINK_FILE))).rejects.toThrow(/ENOENT/);
    await expect(readFile(join(root, NETWORK_FILE))).rejects.toThrow(/ENOENT/);
  });

  it('warns when ifupdown or netplan configure the same devices (file:line)', async () => {
    const root = await scratch();
    await mkdir(join(root, 'etc/network/interfaces.d'), { recursive: true });
    await mkdir(join(root, 'etc/netplan'), { recursive: true });
    await writeFile(join(root, 'etc/network/interfaces'), 'auto lo\niface lo inet loopback\n# auto eth1\nallow-hotplug eth1\niface eth1 inet dhcp\n');
    await writeFile(join(root, 'etc/netplan/50-cloud-init.yaml'), 'network:\n  ethernets:\n    eth2:\n      dhcp4: true\n    eth20:\n      dhcp4: true\n');
    const r = await keepOthersOut(cfg([{ name: 'bond0', slaves: [{ name: 'eth1' }, { name: 'eth2' }] }]), { root });
    expect(r.warnings).toEqual([
      '/etc/network/interfaces:4: ifupdown also configures eth1; remove it there (bondd cannot keep ifupdown out)',
      '/etc/netplan/50-cloud-init.yaml:3: netplan also configures eth2; remove it there (bondd cannot keep netplan out)',
    ]);
  });
});
