/**
 * Rtnl and NetlinkSocket against the host kernel, inside a namespace of our own (root needed).
 * The host kernel has no bonding driver: kind=bond must fail with EOPNOTSUPP and the kernel's
 * extended-ack text, which proves NETLINK_EXT_ACK decoding.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { u16 } from '../../src/netlink/attributes.js';
import {
  AF_INET,
  AF_INET6,
  ECANCELED,
  ENODEV,
  EOPNOTSUPP,
  IFF_UP,
  IFLA_MTU,
  NLM_F_DUMP,
  RTM_GETLINK,
  RT_SCOPE_LINK,
} from '../../src/netlink/constants.js';
import { ifinfomsg, linkDumpRequest, vethInfoData } from '../../src/netlink/link.js';
import { loadNative } from '../../src/netlink/native.js';
import { Rtnl } from '../../src/netlink/rtnl.js';
import { NetlinkError, NetlinkSocket } from '../../src/netlink/socket.js';

const ns = `bdt-nlr-${process.pid}-${Math.random().toString(36).slice(2, 7)}`;
const netnsPath = `/run/netns/${ns}`;

function ip(...args: string[]): string {
  return execFileSync('ip', ['-n', ns, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

interface IpLink {
  ifindex: number;
  ifname: string;
  mtu: number;
  operstate: string;
  address?: string;
  master?: string;
  flags: string[];
  link_index?: number;
}

function ipLinks(): IpLink[] {
  return JSON.parse(ip('-j', 'link', 'show')) as IpLink[];
}

let rtnl: Rtnl;

beforeAll(() => {
  execFileSync('ip', ['netns', 'add', ns]);
  ip('link', 'set', 'lo', 'up');
  ip('link', 'add', 'nlva', 'type', 'veth', 'peer', 'name', 'nlvb');
  ip('link', 'set', 'nlva', 'up');
  ip('link', 'set', 'nlvb', 'up');
  rtnl = Rtnl.open({ netnsPath });
});

afterAll(() => {
  rtnl?.close();
  execFileSync('ip', ['netns', 'del', ns]);
});

describe('links', () => {
  it('dumps the links of the namespace, matching ip -j link show', async () => {
    const links = await rtnl.getLinks();
    const expected = ipLinks();
    expect(links.map((l) => l.name).sort()).toEqual(expected.map((l) => l.ifname).sort());
    for (const e of expected) {
      const l = links.find((x) => x.index === e.ifindex)!;
      expect(l.name).toBe(e.ifname);
      expect(l.mtu).toBe(e.mtu);
      expect(l.operstate).toBe(e.operstate);
      if (e.address) expect(l.address).toBe(e.address);
      expect(l.up).toBe(e.flags.includes('UP'));
      expect(l.lowerUp).toBe(e.flags.includes('LOWER_UP'));
    }
    const va = links.find((l) => l.name === 'nlva')!;
    const vb = links.find((l) => l.name === 'nlvb')!;
    expect(va.kind).toBe('veth');
    expect(va.link).toBe(vb.index);
    expect(va.carrier).toBe(1);
    expect(va.family).toBe(0);
    expect(links.every((l) => l.family === 0)).toBe(true);
  });

  it('gets one link by name and by index', async () => {
    const byName = await rtnl.getLink('nlva');
    const byIndex = await rtnl.getLink(byName.index);
    expect(byIndex.name).toBe('nlva');
    expect(byIndex.index).toBe(byName.index);
    expect(byName.operstate).toBe('UP');
  });

  it('rejects a missing ifindex or name with NetlinkError ENODEV', async () => {
    const err = await rtnl.getLink(987654).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NetlinkError);
    expect((err as NetlinkError).errno).toBe(ENODEV);
    expect((err as NetlinkError).code).toBe('ENODEV');
    expect((err as NetlinkError).message).toContain('RTM_GETLINK');
    await expect(rtnl.getLink('nlnosuch')).rejects.toMatchObject({ code: 'ENODEV' });
  });

  it('creating kind=bond on a kernel without bonding gives EOPNOTSUPP with the extack text', async () => {
    const err = (await rtnl.createLink({ name: 'nlbond0', kind: 'bond' }).catch((e: unknown) => e)) as NetlinkError;
    expect(err).toBeInstanceOf(NetlinkError);
    expect(err.errno).toBe(EOPNOTSUPP);
    expect(err.code).toBe('EOPNOTSUPP');
    expect(err.extack).toBe('Unknown device type');
    expect(err.message).toContain('Unknown device type');
  });

  it('passes the kernel text of a semantic error', async () => {
    const err = (await rtnl.setLink({ name: 'nlva', mtu: 10 }).catch((e: unknown) => e)) as NetlinkError;
    expect(err).toMatchObject({ code: 'EINVAL', extack: 'mtu less than device minimum' });
  });

  it('locates the offending attribute through NLMSGERR_ATTR_OFFS', async () => {
    // IFLA_MTU with a u16 payload fails policy validation; the kernel points at the attribute.
    const err = (await rtnl.setLink({ name: 'nlva', extra: [u16(IFLA_MTU, 1400)] }).catch((e: unknown) => e)) as NetlinkError;
    expect(err).toBeInstanceOf(NetlinkError);
    expect(err.code).toBe('ERANGE');
    expect(err.extack).toBe('Attribute failed policy validation');
    // nlmsghdr 16 + ifinfomsg 16 + IFLA_IFNAME "nlva\0" (9 -> 12 bytes) = 44
    expect(err.extackOffset).toBe(44);
    expect(err.extackAttrType).toBe(IFLA_MTU);
  });

  it('creates a veth pair and a bridge, enslaves, changes flags/mtu/address, deletes', async () => {
    await rtnl.createLink({ name: 'nlvc', kind: 'veth', infoData: vethInfoData('nlvd') });
    await rtnl.createLink({ name: 'nlbr0', kind: 'bridge', up: true });
    const br = await rtnl.getLink('nlbr0');
    const vc = await rtnl.getLink('nlvc');
    await rtnl.setLink({ index: vc.index, master: br.index, up: true, mtu: 1400, address: '02:00:00:00:00:42' });
    const after = await rtnl.getLink(vc.index);
    expect(after.master).toBe(br.index);
    expect(after.up).toBe(true);
    expect(after.mtu).toBe(1400);
    expect(after.address).toBe('02:00:00:00:00:42');
    expect(after.slaveKind).toBe('bridge');
    expect(ipLinks().find((l) => l.ifname === 'nlvc')?.master).toBe('nlbr0');
    // release, then down, selecting the link by name
    await rtnl.setLink({ index: vc.index, master: 0 });
    await rtnl.setLink({ name: 'nlvc', flags: 0, change: IFF_UP });
    const released = await rtnl.getLink('nlvc');
    expect(released.master).toBeUndefined();
    expect(released.up).toBe(false);
    await rtnl.deleteLink('nlbr0');
    await rtnl.deleteLink(vc.index); // also removes the peer nlvd
    const names = (await rtnl.getLinks()).map((l) => l.name);
    expect(names).not.toContain('nlvc');
    expect(names).not.toContain('nlvd');
    expect(names).not.toContain('nlbr0');
  });
});

describe('addresses and routes', () => {
  it('adds, lists and deletes IPv4 and IPv6 addresses', async () => {
    const va = await rtnl.getLink('nlva');
    await rtnl.addAddress({ index: va.index, address: '192.0.2.10/24' });
    await rtnl.addAddress({ index: va.index, address: '2001:db8:1::10', prefixlen: 64, flags: 0x02 /* NODAD */ });
    const mine = await rtnl.getAddresses(va.index);
    expect(mine.every((a) => a.index === va.index)).toBe(true);
    const v4 = mine.find((a) => a.family === AF_INET)!;
    expect(v4).toMatchObject({ address: '192.0.2.10', local: '192.0.2.10', prefixlen: 24 });
    expect(mine.find((a) => a.family === AF_INET6 && a.address === '2001:db8:1::10')?.prefixlen).toBe(64);
    const all = await rtnl.getAddresses();
    expect(all.some((a) => a.address === '127.0.0.1')).toBe(true);
    expect((await rtnl.getAddresses(undefined, AF_INET6)).every((a) => a.family === AF_INET6)).toBe(true);
    const shown = JSON.parse(ip('-j', 'addr', 'show', 'dev', 'nlva')) as Array<{ addr_info: Array<{ local: string; prefixlen: number }> }>;
    expect(shown[0]!.addr_info.map((a) => `${a.local}/${a.prefixlen}`)).toEqual(
      expect.arrayContaining(['192.0.2.10/24', '2001:db8:1::10/64']),
    );
    await expect(rtnl.addAddress({ index: va.index, address: '192.0.2.10/24' })).rejects.toMatchObject({ code: 'EEXIST' });
    await rtnl.deleteAddress({ index: va.index, address: '192.0.2.10/24' });
    await rtnl.deleteAddress({ index: va.index, address: '2001:db8:1::10/64' });
    const left = await rtnl.getAddresses(va.index);
    expect(left.some((a) => a.address === '192.0.2.10' || a.address === '2001:db8:1::10')).toBe(false);
  });

  it('adds, lists and deletes routes, including default routes', async () => {
    const va = await rtnl.getLink('nlva');
    await rtnl.addAddress({ index: va.index, address: '198.51.100.1/24' });
    await rtnl.addAddress({ index: va.index, address: '2001:db8:2::1/64', flags: 0x02 });
    await rtnl.addRoute({ dst: '203.0.113.0/24', gateway: '198.51.100.254', oif: va.index, priority: 50 });
    await rtnl.addRoute({ dst: 'default', gateway: '198.51.100.254' });
    await rtnl.addRoute({ dst: '::/0', gateway: '2001:db8:2::fe', oif: va.index });
    await rtnl.addRoute({ dst: '192.0.2.128/25', oif: va.index });
    const routes = await rtnl.getRoutes();
    const r = routes.find((x) => x.dst === '203.0.113.0/24')!;
    expect(r).toMatchObject({ gateway: '198.51.100.254', oif: va.index, priority: 50, family: AF_INET, table: 254, protocol: 3 });
    expect(routes.find((x) => x.family === AF_INET && x.dst === 'default')?.gateway).toBe('198.51.100.254');
    expect(routes.find((x) => x.family === AF_INET6 && x.dst === 'default')?.gateway).toBe('2001:db8:2::fe');
    expect(routes.find((x) => x.dst === '192.0.2.128/25')?.scope).toBe(RT_SCOPE_LINK);
    expect(routes.every((x) => x.table === 254)).toBe(true);
    const shown = JSON.parse(ip('-j', 'route', 'show')) as Array<{ dst: string; gateway?: string }>;
    expect(shown.map((x) => x.dst)).toEqual(expect.arrayContaining(['default', '203.0.113.0/24', '192.0.2.128/25']));
    const local = await rtnl.getRoutes({ table: 'all' });
    expect(local.some((x) => x.table === 255)).toBe(true);
    await expect(rtnl.addRoute({ dst: '203.0.113.0/24', gateway: '198.51.100.254', priority: 50 })).rejects.toMatchObject({ code: 'EEXIST' });
    await rtnl.deleteRoute({ dst: '203.0.113.0/24' });
    await rtnl.deleteRoute({ dst: 'default', family: AF_INET });
    await rtnl.deleteRoute({ dst: '::/0' });
    await rtnl.deleteRoute({ dst: '192.0.2.128/25' });
    const left = (await rtnl.getRoutes()).map((x) => `${x.family} ${x.dst}`);
    expect(left).not.toContain(`${AF_INET} 203.0.113.0/24`);
    expect(left).not.toContain(`${AF_INET} default`);
    expect(left).not.toContain(`${AF_INET6} default`);
    await expect(rtnl.deleteRoute({ dst: '203.0.113.0/24' })).rejects.toMatchObject({ code: 'ESRCH' });
  });
});

describe('NetlinkSocket behaviour', () => {
  it('answers 50 concurrent requests (getLink and dumps mixed)', async () => {
    const va = await rtnl.getLink('nlva');
    const jobs: Array<Promise<string>> = [];
    for (let i = 0; i < 50; i++) {
      if (i % 3 === 0) jobs.push(rtnl.getLinks().then((l) => `dump:${l.length}`));
      else if (i % 3 === 1) jobs.push(rtnl.getLink(va.index).then((l) => `link:${l.name}`));
      else jobs.push(rtnl.getLink(987000 + i).then(() => 'unexpected', (e: NetlinkError) => e.code));
    }
    const results = await Promise.all(jobs);
    const count = ipLinks().length;
    for (let i = 0; i < 50; i++) {
      expect(results[i]).toBe(i % 3 === 0 ? `dump:${count}` : i % 3 === 1 ? 'link:nlva' : 'ENODEV');
    }
    expect(rtnl.socket.pendingCount).toBe(0);
  });

  it('serialises dumps on one socket (the kernel would answer EBUSY)', async () => {
    const s = NetlinkSocket.open({ netnsPath });
    try {
      const dumps = await Promise.all(Array.from({ length: 8 }, () => s.request(RTM_GETLINK, NLM_F_DUMP, linkDumpRequest())));
      expect(new Set(dumps.map((d) => d.length)).size).toBe(1);
    } finally {
      s.close();
    }
  });

  it('close() rejects pending requests with ECANCELED and is idempotent', async () => {
    const s = NetlinkSocket.open({ netnsPath });
    const pending = [s.request(RTM_GETLINK, NLM_F_DUMP, linkDumpRequest()), s.request(RTM_GETLINK, NLM_F_DUMP, linkDumpRequest())];
    s.close();
    s.close();
    for (const p of pending) await expect(p).rejects.toMatchObject({ errno: ECANCELED, code: 'ECANCELED' });
    await expect(s.request(RTM_GETLINK, NLM_F_DUMP, linkDumpRequest())).rejects.toMatchObject({ errno: ECANCELED });
    expect(s.closed).toBe(true);
  });

  it('reads a reply without waiting for the event loop (drain), so a chain of requests needs no poll', async () => {
    const s = NetlinkSocket.open({ netnsPath, timeoutMs: 1 });
    try {
      // The loop is kept busy past the 1 ms timeout right after the send: only a reply read from
      // a microtask (before timers and the poll phase) can win.
      const single = s.request(RTM_GETLINK, 0, ifinfomsg(0, 1, 0, 0));
      const until = Date.now() + 10;
      queueMicrotask(() => {
        while (Date.now() < until);
      });
      expect((await single).length).toBe(1);
    } finally {
      s.close();
    }
  });

  it('times out a request with ETIMEDOUT and swallows its late reply', async () => {
    // Without drain() the replies wait for the poll phase, after the expired timers: late.
    const native = { ...loadNative(), drain: undefined };
    const s = NetlinkSocket.open({ netnsPath, timeoutMs: 1, native });
    const stray: unknown[] = [];
    s.on('message', (m) => stray.push(m));
    try {
      const single = s.request(RTM_GETLINK, 0, ifinfomsg(0, 1, 0, 0));
      const dump = s.request(RTM_GETLINK, NLM_F_DUMP, linkDumpRequest());
      // Keep the loop busy past the timeout: expired timers run before the next poll phase
      // that would deliver the replies.
      const until = Date.now() + 10;
      while (Date.now() < until);
      await expect(single).rejects.toMatchObject({ code: 'ETIMEDOUT', errno: 110 });
      await expect(dump).rejects.toMatchObject({ code: 'ETIMEDOUT' });
      // The abandoned dump still holds the dump slot until its DONE arrives; a new dump waits.
      const ok = await s.request(RTM_GETLINK, NLM_F_DUMP, linkDumpRequest(), { timeoutMs: 5000 });
      expect(ok.length).toBeGreaterThan(0);
      expect(stray).toEqual([]);
    } finally {
      s.close();
    }
  });

  it('sets the receive buffer (SO_RCVBUFFORCE) and reports it', () => {
    const s = NetlinkSocket.open({ netnsPath, rcvbuf: 1 << 20 });
    try {
      expect(s.rcvbuf).toBe(2 << 20); // the kernel doubles the value for bookkeeping
    } finally {
      s.close();
    }
  });

  it('opening in a missing namespace fails with ENOENT', () => {
    expect(() => NetlinkSocket.open({ netnsPath: '/run/netns/bdt-does-not-exist' })).toThrow(
      expect.objectContaining({ code: 'ENOENT' }) as unknown as Error,
    );
  });

  it('releases the file descriptor of a garbage-collected idle socket', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const fds = (): number => readdirSync('/proc/self/fd').length;
    gc();
    // Let earlier close() calls finish: the fd is closed when libuv closes the poll handle.
    await new Promise((resolve) => setTimeout(resolve, 20));
    const before = fds();
    // Open them in another function so that no variable of this one keeps the last socket alive.
    const opened = await openIdleSockets(20);
    expect(opened).toBe(20);
    expect(fds()).toBe(before + 20);
    for (let i = 0; i < 20 && fds() > before; i++) {
      gc();
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(fds()).toBeLessThanOrEqual(before);
  });
});

async function openIdleSockets(count: number): Promise<number> {
  const sockets: NetlinkSocket[] = [];
  for (let i = 0; i < count; i++) {
    const s = NetlinkSocket.open({ netnsPath });
    await s.request(RTM_GETLINK, 0, ifinfomsg(0, 1, 0, 0));
    sockets.push(s);
  }
  return sockets.length;
}
