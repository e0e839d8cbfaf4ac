import { describe, expect, it } from 'vitest';

import { BondError, explainKernelError, type KernelErrorContext } from '../../src/bond/errors.js';

const explain = (context: KernelErrorContext): BondError => explainKernelError(context);

describe('explainKernelError()', () => {
  it('explains EBUSY and ENOTEMPTY on mode with both of its flags', () => {
    const busy = explain({ bond: 'bond0', op: 'set', option: 'mode', value: 'active-backup', errno: -16 });
    expect(busy.message).toBe(
      'bond0: mode can only change while bond0 is down and has no slaves; ' +
        'set bond0 down and release its slaves, set mode, then enslave them again and set bond0 up',
    );
    expect(busy).toMatchObject({ code: 'EBUSY', errno: 16, bond: 'bond0', option: 'mode', op: 'set' });
    const notEmpty = explain({ bond: 'bond0', op: 'set', option: 'mode', errno: 'ENOTEMPTY' });
    expect(notEmpty.message.startsWith('bond0: mode can only change while bond0 is down and has no slaves;')).toBe(true);
    expect(notEmpty.errno).toBe(39);
  });

  it('explains EBUSY on an IFDOWN-only option and ENOTEMPTY on a NOSLAVES-only option', () => {
    expect(explain({ bond: 'b1', op: 'set', option: 'ad_lacp_rate', errno: 16 }).message).toBe(
      'b1: lacp_rate can only change while b1 is down; set b1 down, set lacp_rate, then set b1 up',
    );
    expect(explain({ bond: 'b1', op: 'set', option: 'fail_over_mac', errno: 39 }).message).toBe(
      'b1: fail_over_mac can only change while b1 has no slaves; release its slaves, set fail_over_mac, then enslave them again',
    );
  });

  it('explains EACCES with the mode and the modes that accept the option', () => {
    const error = explain({ bond: 'bond0', op: 'set', option: 'lacp_rate', mode: 'active-backup', errno: 13, extack: 'option not supported in mode' });
    expect(error.message).toBe(
      'bond0: lacp_rate is not supported in mode active-backup (supported in: 802.3ad) (kernel: option not supported in mode); ' +
        'change the mode first, or leave lacp_rate out',
    );
    expect(error.extack).toBe('option not supported in mode');
    expect(explain({ bond: 'bond0', op: 'set-slave', option: 'prio', slave: 'eth0', errno: 13 }).message).toMatch(
      /^bond0: prio is not supported in the bond's current mode \(supported in: active-backup, balance-tlb, balance-alb\)/,
    );
  });

  it('explains EPERM on enslave as a slave that is up', () => {
    const error = explain({ bond: 'bond0', op: 'enslave', slave: 'eth1', errno: 1, extack: 'Device can not be enslaved while up' });
    expect(error.message).toBe(
      'bond0: eth1 can not be enslaved while it is up (kernel: Device can not be enslaved while up); ' +
        'set eth1 down first; the kernel brings it up itself once enslaved',
    );
    expect(error.slave).toBe('eth1');
    expect(explain({ bond: 'bond0', op: 'enslave', slave: 'eth1', errno: 'EPERM' }).message).toMatch(
      /^bond0: eth1 can not be enslaved while it is up; /,
    );
    // Another EPERM cause keeps the kernel's own words.
    expect(explain({ bond: 'bond0', op: 'enslave', slave: 'can0', errno: 1, extack: 'CAN devices can not be enslaved' }).message).toBe(
      'bond0: enslave can0 failed with EPERM (kernel: CAN devices can not be enslaved); ' +
        "see the kernel log (dmesg) for the bonding driver's message",
    );
  });

  it('explains EPERM on the miimon-based delays', () => {
    for (const option of ['updelay', 'downdelay', 'peer_notify_delay']) {
      const error = explain({ bond: 'bond0', op: 'set', option, value: 200, errno: 1 });
      const name = option === 'peer_notify_delay' ? 'peer_notif_delay' : option;
      expect(error.message).toBe(
        `bond0: ${name} needs MII monitoring, but miimon is 0; set miimon first (for example 100), then ${name} as a multiple of it`,
      );
      expect(error.option).toBe(name);
    }
  });

  it('explains EPERM on queue_id and arp_ip_target writes', () => {
    expect(explain({ bond: 'bond0', op: 'set', option: 'queue_id', slave: 'eth0', value: 17, errno: 1 }).message).toBe(
      "bond0: queue_id 17 for eth0 was refused; use a queue id no larger than bond0's transmit queue count " +
        '(module parameter tx_queues, 16 by default), not used by another slave, for a device enslaved to bond0',
    );
    expect(explain({ bond: 'bond0', op: 'set', option: 'arp_ip_target', value: '192.0.2.1', errno: 1 }).message).toBe(
      'bond0: arp_ip_target write "192.0.2.1" is not "+address" or "-address"; write one "+a.b.c.d" or "-a.b.c.d" at a time',
    );
  });

  it('explains EINVAL and ERANGE with the range from the table', () => {
    expect(explain({ bond: 'bond0', op: 'set', option: 'resend_igmp', value: 300, errno: 22, extack: 'invalid option value' }).message).toBe(
      'bond0: 300 is not a valid value for resend_igmp (kernel: invalid option value); use a whole number from 0 to 255',
    );
    expect(explain({ bond: 'bond0', op: 'set', option: 'peer_notif_delay', value: 400000, errno: 34 }).message).toBe(
      'bond0: 400000 is not a valid value for peer_notif_delay; use a whole number of milliseconds from 0 to 300000',
    );
    expect(explain({ bond: 'bond0', op: 'set', option: 'xmit_hash_policy', value: 'foo', errno: 22 }).message).toBe(
      'bond0: "foo" is not a valid value for xmit_hash_policy; ' +
        'use one of layer2 (0), layer3+4 (1), layer2+3 (2), encap2+3 (3), encap3+4 (4), vlan+srcmac (5)',
    );
    // The netlink-only refusal of arp_validate with miimon comes through the extack.
    expect(
      explain({ bond: 'bond0', op: 'set', option: 'arp_validate', value: 'all', errno: 22, extack: 'ARP validating cannot be used with MII monitoring' }).message,
    ).toContain('(kernel: ARP validating cannot be used with MII monitoring)');
  });

  it('explains EINVAL on active_slave as a slave that can not take over', () => {
    expect(explain({ bond: 'bond0', op: 'set', option: 'active_slave', value: 'eth2', errno: 22 }).message).toBe(
      'bond0: "eth2" could not be made the active slave; it must be a slave of bond0 whose link is up, and bond0 must already have an active slave',
    );
  });

  it('explains ENODEV for an interface option, a slave and the bond itself', () => {
    expect(explain({ bond: 'bond0', op: 'set', option: 'primary', value: 'eth9', errno: 19 }).message).toBe(
      'bond0: interface "eth9" given for primary does not exist; check the name, or set primary after the interface appears',
    );
    expect(explain({ bond: 'bond0', op: 'enslave', slave: 'eth9', errno: 19 }).message).toBe(
      'bond0: eth9 does not exist; check the name; bondd enslaves it when it appears',
    );
    expect(explain({ bond: 'bond7', op: 'delete', errno: 19 }).message).toBe('bond7: bond7 does not exist; check the name, or create the bond first');
  });

  it('explains EEXIST on create with the max_bonds trap', () => {
    const error = explain({ bond: 'bond0', op: 'create', errno: 17, extack: undefined });
    expect(error.message).toMatch(/^bond0: bond0 already exists; adopt the existing bond0 or delete it first/);
    expect(error.hint).toContain('max_bonds=0');
  });

  it('explains EOPNOTSUPP by operation', () => {
    expect(explain({ bond: 'bond0', op: 'set-slave', option: 'prio', slave: 'eth3', errno: 95 }).message).toBe(
      'bond0: eth3 is not a slave of bond0; enslave it first, then set slave options in a separate request',
    );
    expect(explain({ bond: 'bond0', op: 'enslave', slave: 'ib0', errno: 'ENOTSUP' }).message).toMatch(
      /^bond0: ib0 can not be enslaved in bond0's mode; a device that can not change its MAC address needs fail_over_mac active/,
    );
    expect(explain({ bond: 'bond0', op: 'set', option: 'xmit_hash_policy', value: 'vlan+srcmac', errno: 95 }).message).toBe(
      'bond0: xmit_hash_policy "vlan+srcmac" is not possible while an XDP program is attached; detach the XDP program from bond0 first',
    );
  });

  it('explains ENOENT as an option missing from this kernel, or netlink-only', () => {
    expect(
      explain({ bond: 'bond0', op: 'set', option: 'arp_missed_max', errno: 2, path: '/sys/class/net/bond0/bonding/arp_missed_max' }).message,
    ).toBe(
      'bond0: arp_missed_max is not available on this kernel (no /sys/class/net/bond0/bonding/arp_missed_max); leave arp_missed_max out, or use a kernel that has it',
    );
    expect(explain({ bond: 'bond0', op: 'read', option: 'coupled_control', errno: 2 }).message).toBe(
      'bond0: coupled_control has no sysfs file; set coupled_control through the netlink backend',
    );
    expect(explain({ bond: 'bond0', op: 'read', errno: 2 }).message).toBe(
      'bond0: bond0 does not exist or is not a bond; check the name and that the bonding module is loaded',
    );
  });

  it('falls back to the errno name, or its number when unknown, and keeps the cause', () => {
    const cause = new Error('write EIO');
    const error = explain({ bond: 'bond0', op: 'up', errno: -5, cause });
    expect(error.message).toBe("bond0: up failed with EIO; see the kernel log (dmesg) for the bonding driver's message");
    expect(error.cause).toBe(cause);
    expect(explain({ bond: 'bond0', op: 'set', option: 'miimon', errno: 200 }).message).toMatch(/^bond0: set miimon failed with errno 200;/);
    expect(explain({ bond: 'bond0', op: 'set', option: 'miimon', errno: 200 }).errno).toBe(200);
  });

  it('produces BondError instances with a stable shape', () => {
    const error = explain({ bond: 'bond0', op: 'set', option: 'num_unsol_na', value: 'x', errno: 22 });
    expect(error).toBeInstanceOf(BondError);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('BondError');
    expect(error.option).toBe('num_grat_arp');
    expect(error.hint).toBe('use a whole number from 0 to 255');
    expect(error.message.endsWith(`; ${error.hint}`)).toBe(true);
  });
});
