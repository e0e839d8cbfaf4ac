/**
 * The stack operations of KernelHost against the host kernel in a namespace of our own (the
 * host has the bridge driver, not 8021q or bonding; VLANs are tested in the guest): a bridge
 * created with STP settings and bondd's alias reads back like `ip -d link` shows it, a port
 * joins and leaves it, disable_ipv6/accept_ra are written through the namespace's /proc/sys and
 * read back through rtnetlink, and bad device names never reach a path.
 */
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { devconfPath } from '../../src/netlink/devconf.js';
import { KernelHost } from '../../src/plan/host.js';

const ns = `bdt-stk-${process.pid}-${Math.random().toString(36).slice(2, 7)}`;
const netnsPath = `/run/netns/${ns}`;
const ip = (...args: string[]) => execFileSync('ip', ['-n', ns, ...args], { encoding: 'utf8' });
const sysctl = (dev: string, key: string) => execFileSync('ip', ['netns', 'exec', ns, 'cat', `/proc/sys/net/ipv6/conf/${dev}/${key}`], { encoding: 'utf8' }).trim();

let host: KernelHost;

beforeAll(() => {
  execFileSync('ip', ['netns', 'add', ns]);
  ip('link', 'add', 'p0', 'type', 'veth', 'peer', 'name', 'p1');
  host = KernelHost.open({ netnsPath });
});

afterAll(async () => {
  await host?.close();
  execFileSync('ip', ['netns', 'del', ns]);
});

describe('KernelHost stack operations (host kernel, bridge driver)', () => {
  it('creates a bridge with STP, forward delay and the alias, and reads them back', async () => {
    await host.createBridge('brx', { stp: true, forwardDelay: 4 }, 'bondd:bond0');
    const j = JSON.parse(ip('-d', '-j', 'link', 'show', 'brx'))[0];
    expect(j.ifalias).toBe('bondd:bond0');
    expect(j.linkinfo.info_data.stp_state).toBe(1);
    expect(j.linkinfo.info_data.forward_delay).toBe(400);
    const seen = (await host.observe()).interfaces.find((i) => i.name === 'brx')!;
    expect(seen).toMatchObject({ kind: 'bridge', alias: 'bondd:bond0', bridge: { stp: true, forwardDelay: 4 } });
  });

  it('turns STP off and the delay below 2 s in the order the kernel accepts', async () => {
    await host.setBridge('brx', { stp: false, forwardDelay: 0.5 });
    const seen = (await host.observe()).interfaces.find((i) => i.name === 'brx')!;
    expect(seen.bridge).toEqual({ stp: false, forwardDelay: 0.5 });
  });

  it('adds a port, switches its IPv6 off, and releases it', async () => {
    await host.setMaster('p0', 'brx');
    await host.setDevconf('p0', 'disable_ipv6', 1);
    await host.setDevconf('brx', 'accept_ra', 0);
    expect(sysctl('p0', 'disable_ipv6')).toBe('1');
    expect(sysctl('brx', 'accept_ra')).toBe('0');
    let seen = (await host.observe()).interfaces;
    expect(seen.find((i) => i.name === 'p0')).toMatchObject({ master: 'brx', inet6: { disableIpv6: 1 } });
    expect(seen.find((i) => i.name === 'brx')!.inet6!.acceptRa).toBe(0);
    await host.setMaster('p0', null);
    seen = (await host.observe()).interfaces;
    expect(seen.find((i) => i.name === 'p0')!.master).toBeNull();
  });

  it('deletes the bridge', async () => {
    await host.deleteLink('brx');
    expect((await host.observe()).interfaces.some((i) => i.name === 'brx')).toBe(false);
  });

  it('validates a device name before it becomes part of a /proc/sys path', async () => {
    expect(() => devconfPath('../all', 'accept_ra')).toThrow(/not a valid interface name/);
    expect(() => devconfPath('..', 'accept_ra')).toThrow(/not a valid interface name/);
    await expect(host.setDevconf('a/b', 'accept_ra', 0)).rejects.toThrow(/not a valid interface name/);
    expect(() => devconfPath('eth0', 'forwarding' as 'accept_ra')).toThrow(/not an IPv6 device setting/);
  });
});
