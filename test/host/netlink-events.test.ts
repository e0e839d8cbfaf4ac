/**
 * LinkWatcher against the host kernel, inside a namespace of our own (root needed): carrier
 * events, receive-queue overruns and the resync that follows them, AF_BRIDGE filtering.
 */
import { execFileSync, spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AF_BRIDGE } from '../../src/netlink/constants.js';
import type { LinkMessage } from '../../src/netlink/link.js';
import { type LinkWatcher, Rtnl, subscribeLinks } from '../../src/netlink/rtnl.js';

const ns = `bdt-nle-${process.pid}-${Math.random().toString(36).slice(2, 7)}`;
const netnsPath = `/run/netns/${ns}`;

function ip(...args: string[]): string {
  return execFileSync('ip', ['-n', ns, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Resolves with the first link message matching `match`, or rejects after timeoutMs. */
function nextLink(watcher: LinkWatcher, match: (l: LinkMessage) => boolean, timeoutMs = 5000): Promise<LinkMessage> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      watcher.off('link', onLink);
      reject(new Error(`no matching link event within ${timeoutMs} ms`));
    }, timeoutMs);
    const onLink = (l: LinkMessage): void => {
      if (!match(l)) return;
      clearTimeout(timer);
      watcher.off('link', onLink);
      resolve(l);
    };
    watcher.on('link', onLink);
  });
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface IpLink {
  ifindex: number;
  ifname: string;
  mtu: number;
  operstate: string;
  address?: string;
  master?: string;
  flags: string[];
}

/** The fields of a link that both `ip -j link show` and our decoder describe. */
function summary(l: { index: number; name: string; mtu: number; operstate: string; address?: string; flags: string[] }): string {
  const f = ['UP', 'LOWER_UP'].filter((x) => l.flags.includes(x)).join(',');
  return `${l.index} ${l.name} mtu=${l.mtu} ${l.operstate} ${l.address ?? '-'} ${f}`;
}

function ipSummary(): string[] {
  const links = JSON.parse(ip('-j', 'link', 'show')) as IpLink[];
  return links.map((l) => summary({ index: l.ifindex, name: l.ifname, mtu: l.mtu, operstate: l.operstate, address: l.address, flags: l.flags })).sort();
}

function ourSummary(links: LinkMessage[]): string[] {
  return links
    .map((l) => summary({ ...l, flags: [...(l.up ? ['UP'] : []), ...(l.lowerUp ? ['LOWER_UP'] : [])] }))
    .sort();
}

let rtnl: Rtnl;
let vaIndex: number;

beforeAll(async () => {
  execFileSync('ip', ['netns', 'add', ns]);
  ip('link', 'set', 'lo', 'up');
  ip('link', 'add', 'nlva', 'type', 'veth', 'peer', 'name', 'nlvb');
  ip('link', 'set', 'nlva', 'up');
  ip('link', 'set', 'nlvb', 'up');
  rtnl = Rtnl.open({ netnsPath });
  vaIndex = (await rtnl.getLink('nlva')).index;
});

afterAll(() => {
  rtnl?.close();
  execFileSync('ip', ['netns', 'del', ns]);
});

describe('LinkWatcher', () => {
  it('sees the carrier of a veth go down and up when its peer is set down and up', async () => {
    const watcher = subscribeLinks({ netnsPath });
    try {
      const down = nextLink(watcher, (l) => l.index === vaIndex && l.carrier === 0);
      ip('link', 'set', 'nlvb', 'down');
      const d = await down;
      expect(d).toMatchObject({ type: 'new', name: 'nlva', family: 0, carrier: 0, lowerUp: false, up: true, operstate: 'LOWERLAYERDOWN' });
      const up = nextLink(watcher, (l) => l.index === vaIndex && l.carrier === 1);
      ip('link', 'set', 'nlvb', 'up');
      const u = await up;
      expect(u).toMatchObject({ name: 'nlva', carrier: 1, lowerUp: true, operstate: 'UP' });
      expect(u.carrierChanges).toBeGreaterThan(d.carrierChanges!);
      expect(watcher.overruns).toBe(0);
    } finally {
      watcher.close();
    }
  });

  it('reports deleted links as type del', async () => {
    ip('link', 'add', 'nlvx', 'type', 'veth', 'peer', 'name', 'nlvy');
    const watcher = subscribeLinks({ netnsPath });
    try {
      const del = nextLink(watcher, (l) => l.type === 'del' && l.name === 'nlvx');
      ip('link', 'del', 'nlvx');
      expect((await del).kind).toBe('veth');
    } finally {
      watcher.close();
    }
  });

  it(
    'survives a burst of 1000 carrier flaps that overruns a small receive queue, then resyncs',
    async () => {
      const watcher = subscribeLinks({ netnsPath, rcvbuf: 4096 });
      const overruns: number[] = [];
      watcher.on('overrun', (n) => overruns.push(n));
      let events = 0;
      watcher.on('link', () => events++);
      try {
        const script = Array.from({ length: 1000 }, () => 'link set nlvb down\nlink set nlvb up\n').join('');
        const child = spawn('ip', ['-n', ns, '-batch', '-'], { stdio: ['pipe', 'ignore', 'pipe'] });
        let stderr = '';
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
        child.stdin.end(script);
        // Block the event loop while ip flaps the link: nobody drains the socket, so the kernel
        // must drop notifications.
        const until = Date.now() + 300;
        while (Date.now() < until);
        expect(await exited).toBe(0);
        expect(stderr).toBe('');
        await sleep(50);
        expect(overruns.length).toBeGreaterThanOrEqual(1);
        expect(watcher.overruns).toBe(overruns[overruns.length - 1]);
        expect(events).toBeGreaterThan(0);

        // Resync: a dump must match `ip -j link show`. Carrier changes go through linkwatch,
        // which may defer the last ones by up to a second, so compare until both agree.
        let ours: string[] = [];
        let theirs: string[] = [];
        for (let i = 0; i < 40; i++) {
          ours = ourSummary(await rtnl.getLinks());
          theirs = ipSummary();
          if (JSON.stringify(ours) === JSON.stringify(theirs) && ours.some((l) => l.includes('nlva') && l.endsWith('UP,LOWER_UP'))) break;
          await sleep(100);
        }
        expect(ours).toEqual(theirs);

        // The socket is still alive: new events arrive.
        const down = nextLink(watcher, (l) => l.index === vaIndex && l.carrier === 0);
        ip('link', 'set', 'nlvb', 'down');
        expect((await down).operstate).toBe('LOWERLAYERDOWN');
        const up = nextLink(watcher, (l) => l.index === vaIndex && l.carrier === 1);
        ip('link', 'set', 'nlvb', 'up');
        expect((await up).operstate).toBe('UP');
      } finally {
        watcher.close();
      }
    },
    30_000,
  );

  it('delivers only AF_UNSPEC messages unless asked for every family', async () => {
    ip('link', 'add', 'nlbr0', 'type', 'bridge');
    ip('link', 'add', 'nlvc', 'type', 'veth', 'peer', 'name', 'nlvd');
    ip('link', 'set', 'nlvc', 'master', 'nlbr0');
    ip('link', 'set', 'nlbr0', 'up');
    ip('link', 'set', 'nlvc', 'up');
    ip('link', 'set', 'nlvd', 'up');
    const vc = await rtnl.getLink('nlvc');
    const plain = subscribeLinks({ netnsPath });
    const all = subscribeLinks({ netnsPath, allFamilies: true });
    const plainFamilies: number[] = [];
    const allFamilies: number[] = [];
    plain.on('link', (l) => l.index === vc.index && plainFamilies.push(l.family));
    all.on('link', (l) => l.index === vc.index && allFamilies.push(l.family));
    try {
      const down = nextLink(plain, (l) => l.index === vc.index && l.carrier === 0);
      const bridgeCopy = nextLink(all, (l) => l.index === vc.index && l.family === AF_BRIDGE);
      ip('link', 'set', 'nlvd', 'down');
      const d = await down;
      expect(d.master).toBe((await rtnl.getLink('nlbr0')).index);
      expect(d.slaveKind).toBe('bridge');
      const copy = await bridgeCopy;
      expect(copy.carrier).toBeUndefined(); // the bridge copies carry no IFLA_CARRIER
      await sleep(50);
      expect(plainFamilies.length).toBeGreaterThan(0);
      expect(plainFamilies.every((f) => f === 0)).toBe(true);
      expect(allFamilies).toContain(AF_BRIDGE);
      expect(plain.stats.received).toBeGreaterThan(plain.stats.delivered);
    } finally {
      plain.close();
      all.close();
      ip('link', 'del', 'nlvc');
      ip('link', 'del', 'nlbr0');
    }
  });
});
