/** Link, address and route encoders and decoders, and the IP text helpers. */
import { isIP } from 'node:net';
import { describe, expect, it } from 'vitest';
import {
  addressDumpRequest,
  addressRequest,
  decodeAddressMessage,
  formatIp,
  ipFamily,
  parseIp,
  parsePrefix,
} from '../../src/netlink/address.js';
import { AttrMap, bytes, nested, s32, str, u16, u32, u8 } from '../../src/netlink/attributes.js';
import {
  AF_INET,
  AF_INET6,
  IFF_UP,
  IFLA_BOND_AD_INFO,
  IFLA_BOND_ARP_IP_TARGET,
  IFLA_BOND_MIIMON,
  IFLA_BOND_MODE,
  IFLA_BOND_NS_IP6_TARGET,
  IFLA_BOND_SLAVE_AD_PARTNER_OPER_PORT_STATE,
  IFLA_BOND_SLAVE_PRIO,
  IFLA_BOND_SLAVE_QUEUE_ID,
  IFLA_EVENT,
  IFLA_IFNAME,
  IFLA_INFO_KIND,
  IFLA_INFO_SLAVE_DATA,
  IFLA_INFO_SLAVE_KIND,
  IFLA_LINKINFO,
  IFLA_OPERSTATE,
  RTM_DELLINK,
  RTM_NEWADDR,
  RTM_NEWLINK,
  RTM_NEWROUTE,
  VETH_INFO_PEER,
} from '../../src/netlink/constants.js';
import {
  decodeBondInfo,
  decodeBondSlaveInfo,
  decodeLinkMessage,
  decodeLinkPayload,
  ifinfomsg,
  linkDumpRequest,
  linkRequest,
  vethInfoData,
} from '../../src/netlink/link.js';
import { decodeRouteMessage, routeDumpRequest, routeRequest } from '../../src/netlink/route.js';
import { encodeMessage } from '../../src/netlink/socket.js';

const hex = (b: Buffer): string => b.toString('hex');
const ZERO_IFINFO = '00'.repeat(16);

describe('link requests', () => {
  it('encodes a bond creation like iproute2 (ifinfomsg, IFLA_IFNAME, IFLA_LINKINFO{KIND, DATA})', () => {
    const payload = linkRequest({ name: 'bond0', kind: 'bond', infoData: [u8(IFLA_BOND_MODE, 1), u32(IFLA_BOND_MIIMON, 100)] });
    expect(hex(payload)).toBe(
      ZERO_IFINFO +
        '0a000300' + '626f6e6430000000' + // IFLA_IFNAME "bond0"
        '24001280' + // IFLA_LINKINFO | NLA_F_NESTED, len 36
        '09000100' + '626f6e6400000000' + // IFLA_INFO_KIND "bond"
        '14000280' + // IFLA_INFO_DATA | NLA_F_NESTED, len 20
        '0500010001000000' + // IFLA_BOND_MODE u8 1
        '0800030064000000', // IFLA_BOND_MIIMON u32 100
    );
  });

  it('encodes index, flags/change, mtu, address, master and slave data', () => {
    const payload = linkRequest({
      index: 5,
      up: true,
      mtu: 9000,
      address: '02:00:00:00:00:01',
      master: 0,
      slaveKind: 'bond',
      slaveData: [u16(IFLA_BOND_SLAVE_QUEUE_ID, 2), s32(IFLA_BOND_SLAVE_PRIO, -1)],
    });
    const header = payload.subarray(0, 16);
    expect(header.readInt32LE(4)).toBe(5);
    expect(header.readUInt32LE(8)).toBe(IFF_UP);
    expect(header.readUInt32LE(12)).toBe(IFF_UP);
    const attrs = AttrMap.decode(payload, 16);
    expect(attrs.types()).toEqual([4, 1, 10, 18]);
    expect(attrs.u32(4)).toBe(9000);
    expect(hex(attrs.get(1)!)).toBe('020000000001');
    expect(attrs.u32(10)).toBe(0);
    const info = attrs.nested(IFLA_LINKINFO)!;
    expect(info.str(IFLA_INFO_SLAVE_KIND)).toBe('bond');
    const slave = info.nested(IFLA_INFO_SLAVE_DATA)!;
    expect(slave.u16(IFLA_BOND_SLAVE_QUEUE_ID)).toBe(2);
    expect(slave.s32(IFLA_BOND_SLAVE_PRIO)).toBe(-1);
  });

  it('down: flags 0 with IFF_UP in change; flags alone set change to the same bits', () => {
    const down = linkRequest({ index: 3, up: false });
    expect([down.readUInt32LE(8), down.readUInt32LE(12)]).toEqual([0, IFF_UP]);
    const f = linkRequest({ index: 3, flags: IFF_UP });
    expect([f.readUInt32LE(8), f.readUInt32LE(12)]).toEqual([IFF_UP, IFF_UP]);
    const g = linkRequest({ index: 3, flags: 0, change: IFF_UP });
    expect([g.readUInt32LE(8), g.readUInt32LE(12)]).toEqual([0, IFF_UP]);
  });

  it('nests the veth peer as an ifinfomsg with its own attributes', () => {
    const [peer] = vethInfoData('vb', { mtu: 1400 });
    const outer = AttrMap.decode(peer!);
    const data = outer.get(VETH_INFO_PEER)!;
    expect(hex(data.subarray(0, 16))).toBe(ZERO_IFINFO);
    const attrs = AttrMap.decode(data, 16);
    expect(attrs.str(IFLA_IFNAME)).toBe('vb');
    expect(attrs.u32(4)).toBe(1400);
  });

  it('dump request: a zero ifinfomsg, optionally with IFLA_EXT_MASK', () => {
    expect(hex(linkDumpRequest())).toBe(ZERO_IFINFO);
    expect(hex(linkDumpRequest(8))).toBe(ZERO_IFINFO + '08001d0008000000');
  });

  it('rejects a bad MAC', () => {
    expect(() => linkRequest({ index: 1, address: 'nope' })).toThrow(RangeError);
  });
});

describe('link decoding', () => {
  it('decodes what the encoder built, including bond data and an unknown event number', () => {
    const payload = Buffer.concat([
      ifinfomsg(0, 7, 0x11443, 0, 1),
      str(IFLA_IFNAME, 'bond9'),
      u8(IFLA_OPERSTATE, 6),
      u32(IFLA_EVENT, 9),
      nested(IFLA_LINKINFO, [
        str(IFLA_INFO_KIND, 'bond'),
        nested(2, [
          u8(IFLA_BOND_MODE, 4),
          nested(IFLA_BOND_ARP_IP_TARGET, [bytes(0, parseIp('203.0.113.9'))]),
          nested(IFLA_BOND_NS_IP6_TARGET, [bytes(0, parseIp('2001:db8::9')), bytes(1, parseIp('2001:db8::a'))]),
          nested(IFLA_BOND_AD_INFO, [u16(1, 2)]),
          u32(40, 1),
        ]),
      ]),
    ]);
    const link = decodeLinkMessage({ type: RTM_NEWLINK, flags: 0, seq: 0, pid: 0, payload });
    expect(link).toMatchObject({ type: 'new', index: 7, name: 'bond9', operstate: 'UP', up: true, running: true, lowerUp: true, event: 'event-9', kind: 'bond' });
    expect(link.bond).toMatchObject({ mode: 4, arpIpTargets: ['203.0.113.9'], nsIp6Targets: ['2001:db8::9', '2001:db8::a'], adInfo: { aggregator: 2 } });
    expect([...link.bond!.unknown.keys()]).toEqual([40]);
    expect(link.bondSlave).toBeUndefined();
    expect(link.carrier).toBeUndefined();
    const del = decodeLinkMessage({ type: RTM_DELLINK, flags: 0, seq: 0, pid: 0, payload });
    expect(del.type).toBe('del');
  });

  it('defaults: no IFLA_OPERSTATE or an unknown value reads UNKNOWN; no name reads empty', () => {
    expect(decodeLinkPayload(ifinfomsg(0, 1, 0, 0)).operstate).toBe('UNKNOWN');
    expect(decodeLinkPayload(Buffer.concat([ifinfomsg(0, 1, 0, 0), u8(IFLA_OPERSTATE, 42)])).operstate).toBe('UNKNOWN');
    expect(decodeLinkPayload(ifinfomsg(0, 1, 0, 0)).name).toBe('');
  });

  it('reads slave integers by length (partner port state comes as u16)', () => {
    const s = decodeBondSlaveInfo(AttrMap.decode(Buffer.concat([u16(IFLA_BOND_SLAVE_AD_PARTNER_OPER_PORT_STATE, 63), u32(IFLA_BOND_SLAVE_PRIO, 0xffffffff)])));
    expect(s.adPartnerOperPortState).toBe(63);
    expect(s.prio).toBe(-1);
    const s8 = decodeBondSlaveInfo(AttrMap.decode(u8(IFLA_BOND_SLAVE_AD_PARTNER_OPER_PORT_STATE, 61)));
    expect(s8.adPartnerOperPortState).toBe(61);
  });

  it('an empty bond data nest gives empty target lists', () => {
    expect(decodeBondInfo(AttrMap.decode(Buffer.alloc(0)))).toEqual({ arpIpTargets: [], nsIp6Targets: [], unknown: new Map() });
  });

  it('refuses other message types and truncated headers', () => {
    expect(() => decodeLinkMessage({ type: RTM_NEWADDR, flags: 0, seq: 0, pid: 0, payload: Buffer.alloc(16) })).toThrow(/not RTM_NEWLINK/);
    expect(() => decodeLinkPayload(Buffer.alloc(15))).toThrow(/ifinfomsg truncated/);
  });
});

describe('IP helpers', () => {
  it('parses and formats IPv4 and IPv6 (RFC 5952, as inet_ntop prints)', () => {
    const cases: Array<[string, string]> = [
      ['192.0.2.1', '192.0.2.1'],
      ['0.0.0.0', '0.0.0.0'],
      ['2001:db8::1', '2001:db8::1'],
      ['2001:0DB8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
      ['::', '::'],
      ['::1', '::1'],
      ['1::', '1::'],
      ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
      ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
      ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'],
      ['::ffff:192.0.2.1', '::ffff:192.0.2.1'],
      ['64:ff9b::192.0.2.33', '64:ff9b::c000:221'],
      ['fe80::1:2:3:4', 'fe80::1:2:3:4'],
    ];
    for (const [input, text] of cases) expect(formatIp(parseIp(input)), input).toBe(text);
  });

  it('agrees with net.isIP on validity and with the URL serialiser on IPv6 text', () => {
    const bad = ['1.2.3', '256.1.1.1', '01.1.1.1', '1.2.3.4.5', '1:2:3:4:5:6:7:8:9', '1::2::3', 'g::1', ':::', '1:2', '', ' 1.2.3.4', '::1.2.3', '12345::'];
    for (const b of bad) {
      expect(isIP(b), b).toBe(0);
      expect(() => parseIp(b), b).toThrow(RangeError);
    }
    let seed = 7;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    for (let i = 0; i < 500; i++) {
      const groups = Array.from({ length: 8 }, () => (rand(3) === 0 ? 0 : rand(0x10000)));
      if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) continue;
      const text = groups.map((g) => g.toString(16)).join(':');
      const url = new URL(`http://[${text}]/`).hostname.slice(1, -1);
      expect(formatIp(parseIp(text))).toBe(url);
      expect(formatIp(parseIp(url))).toBe(url);
    }
  });

  it('families and prefixes', () => {
    expect(ipFamily('198.51.100.1')).toBe(AF_INET);
    expect(ipFamily('2001:db8::')).toBe(AF_INET6);
    expect(parsePrefix('192.0.2.0/24')).toMatchObject({ prefixlen: 24, family: AF_INET });
    expect(parsePrefix('2001:db8::1')).toMatchObject({ prefixlen: 128, family: AF_INET6 });
    expect(parsePrefix('default', AF_INET6)).toMatchObject({ prefixlen: 0, family: AF_INET6 });
    expect(hex(parsePrefix('default').address)).toBe('00000000');
    expect(() => parsePrefix('192.0.2.0/33')).toThrow(RangeError);
    expect(() => parsePrefix('192.0.2.0/x')).toThrow(RangeError);
    expect(() => parsePrefix('192.0.2.0/24', AF_INET6)).toThrow(RangeError);
  });
});

describe('address requests', () => {
  it('IPv4: ifaddrmsg + IFA_LOCAL + IFA_ADDRESS', () => {
    expect(hex(addressRequest({ index: 3, address: '192.0.2.10/24' }))).toBe(
      '02180000' + '03000000' + '08000200c000020a' + '08000100c000020a',
    );
  });

  it('IPv6: IFA_ADDRESS only; prefixlen option; wide flags go to IFA_FLAGS', () => {
    const p = addressRequest({ index: 4, address: '2001:db8::10', prefixlen: 64, flags: 0x202 });
    expect(p.readUInt8(0)).toBe(AF_INET6);
    expect(p.readUInt8(1)).toBe(64);
    expect(p.readUInt8(2)).toBe(0x02);
    const attrs = AttrMap.decode(p, 8);
    expect(attrs.types()).toEqual([1, 8]);
    expect(formatIp(attrs.get(1)!)).toBe('2001:db8::10');
    expect(attrs.u32(8)).toBe(0x202);
    expect(() => addressRequest({ index: 1, address: '192.0.2.1', prefixlen: 40 })).toThrow(RangeError);
  });

  it('decodes its own encoding, label and broadcast included', () => {
    const payload = addressRequest({ index: 9, address: '198.51.100.7/25', broadcast: '198.51.100.127', label: 'eth0:1' });
    const a = decodeAddressMessage({ type: RTM_NEWADDR, flags: 0, seq: 0, pid: 0, payload });
    expect(a).toMatchObject({ type: 'new', family: AF_INET, prefixlen: 25, index: 9, address: '198.51.100.7', local: '198.51.100.7', broadcast: '198.51.100.127', label: 'eth0:1' });
    expect(hex(addressDumpRequest(AF_INET6, 5))).toBe('0a00000005000000');
  });
});

describe('route requests', () => {
  const decode = (payload: Buffer): ReturnType<typeof decodeRouteMessage> =>
    decodeRouteMessage({ type: RTM_NEWROUTE, flags: 0, seq: 0, pid: 0, payload });

  it('default route via a gateway: no RTA_DST, main table, boot protocol, unicast', () => {
    const p = routeRequest({ dst: 'default', gateway: '198.51.100.254' });
    expect(hex(p)).toBe('020000' + '00' + 'fe' + '03' + '00' + '01' + '00000000' + '08000500c63364fe');
    expect(decode(p)).toMatchObject({ family: AF_INET, dst: 'default', gateway: '198.51.100.254', table: 254, protocol: 3, scope: 0, routeType: 1 });
    expect(decode(routeRequest({ dst: '0.0.0.0/0', gateway: '198.51.100.254' })).dst).toBe('default');
  });

  it('IPv6 default and prefixes', () => {
    const r = decode(routeRequest({ dst: '::/0', gateway: '2001:db8::1', oif: 3, priority: 1024 }));
    expect(r).toMatchObject({ family: AF_INET6, dst: 'default', gateway: '2001:db8::1', oif: 3, priority: 1024 });
    expect(decode(routeRequest({ dst: 'default', family: AF_INET6, oif: 2 }))).toMatchObject({ family: AF_INET6, dst: 'default' });
    expect(decode(routeRequest({ dst: '2001:db8:5::/48', gateway: '2001:db8::1' })).dst).toBe('2001:db8:5::/48');
  });

  it('a direct route (oif, no gateway) gets link scope; a big table goes to RTA_TABLE', () => {
    const r = decode(routeRequest({ dst: '203.0.113.0/24', oif: 4, table: 1000, prefsrc: '203.0.113.1' }));
    expect(r).toMatchObject({ dst: '203.0.113.0/24', scope: 253, table: 1000, oif: 4, prefsrc: '203.0.113.1' });
    expect(routeRequest({ dst: '203.0.113.0/24', oif: 4, table: 1000 }).readUInt8(4)).toBe(0);
  });

  it('deletion leaves protocol, scope and type as wildcards', () => {
    const p = routeRequest({ dst: '203.0.113.0/24' }, 'del');
    expect([p.readUInt8(5), p.readUInt8(6), p.readUInt8(7)]).toEqual([0, 255, 0]);
  });

  it('rejects a gateway of the other family', () => {
    expect(() => routeRequest({ dst: '203.0.113.0/24', gateway: '2001:db8::1' })).toThrow(RangeError);
    expect(hex(routeDumpRequest(AF_INET))).toBe('02' + '00'.repeat(11));
  });

  it('decodes a full message with the netlink header', () => {
    const m = encodeMessage(RTM_NEWROUTE, 2, 1, 1, routeRequest({ dst: '192.0.2.0/25', gateway: '192.0.2.254', priority: 5 }));
    expect(decode(m.subarray(16))).toMatchObject({ dst: '192.0.2.0/25', priority: 5 });
  });
});
