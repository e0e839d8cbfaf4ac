import { describe, expect, it } from 'vitest';

import { InvalidNameError, isValidIfname, sysClassNetPath, validateIfname } from '../../src/bond/names.js';

describe('validateIfname()', () => {
  it.each(['bond0', 'eth0', 'e', 'enp0s31f6', 'veth-a_b.10', 'a'.repeat(15), 'bonding_masters', 'größe', 'x@y+z'])(
    'accepts %j and returns it unchanged',
    (name) => {
      expect(validateIfname(name)).toBe(name);
      expect(isValidIfname(name)).toBe(true);
    },
  );

  const bad: [unknown, string][] = [
    ['', '"" is not a valid interface name: it is empty'],
    ['a'.repeat(16), `"${'a'.repeat(16)}" is not a valid interface name: it is 16 bytes long and the kernel allows at most 15`],
    // 8 two-byte characters: 8 code points but 16 bytes.
    ['éééééééé', '"éééééééé" is not a valid interface name: it is 16 bytes long and the kernel allows at most 15'],
    ['.', '"." is not a valid interface name: "." and ".." are reserved path components'],
    ['..', '".." is not a valid interface name: "." and ".." are reserved path components'],
    ['../etc', '"../etc" is not a valid interface name: it contains "/", which can not appear in a sysfs path'],
    ['eth0/x', '"eth0/x" is not a valid interface name: it contains "/", which can not appear in a sysfs path'],
    ['eth0:1', '"eth0:1" is not a valid interface name: it contains ":", which the kernel refuses in interface names'],
    ['bond%d', '"bond%d" is not a valid interface name: it contains "%", which the kernel treats as a name template (bond%d)'],
    ['eth 0', '"eth 0" is not a valid interface name: it contains whitespace (U+0020)'],
    ['eth0\t', '"eth0\\t" is not a valid interface name: it contains whitespace (U+0009)'],
    ['eth0\n', '"eth0\\n" is not a valid interface name: it contains whitespace (U+000A)'],
    ['eth\u00a00', '"eth\u00a00" is not a valid interface name: it contains whitespace (U+00A0)'],
    ['eth\u00070', '"eth\\u00070" is not a valid interface name: it contains the control character U+0007'],
    ['eth\u007f', '"eth\u007f" is not a valid interface name: it contains the control character U+007F'],
    ['eth\u00000', '"eth\\u00000" is not a valid interface name: it contains a NUL byte'],
    [42, '42 is not a valid interface name: it must be a string, not number'],
    [null, 'null is not a valid interface name: it must be a string, not null'],
    [undefined, 'undefined is not a valid interface name: it must be a string, not undefined'],
  ];

  it.each(bad)('refuses %j with a message naming the rule', (name, message) => {
    expect(() => validateIfname(name)).toThrow(message);
    expect(isValidIfname(name)).toBe(false);
  });

  it('throws InvalidNameError, a TypeError carrying the name and the bare reason', () => {
    let caught: unknown;
    try {
      validateIfname('eth0:1');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(InvalidNameError);
    expect(caught).toBeInstanceOf(TypeError);
    const error = caught as InvalidNameError;
    expect(error.name).toBe('InvalidNameError');
    expect(error.ifname).toBe('eth0:1');
    expect(error.reason).toBe('it contains ":", which the kernel refuses in interface names');
  });
});

describe('sysClassNetPath()', () => {
  it('joins a valid name and allowlisted parts under /sys/class/net', () => {
    expect(sysClassNetPath('bond0')).toBe('/sys/class/net/bond0');
    expect(sysClassNetPath('bond0', 'bonding', 'ad_actor_sys_prio')).toBe('/sys/class/net/bond0/bonding/ad_actor_sys_prio');
    expect(sysClassNetPath('eth1', 'bonding_slave', 'queue_id')).toBe('/sys/class/net/eth1/bonding_slave/queue_id');
  });

  it('validates the interface name before building the path', () => {
    expect(() => sysClassNetPath('..', 'bonding')).toThrow(InvalidNameError);
    expect(() => sysClassNetPath('a/b', 'bonding')).toThrow('it contains "/"');
  });

  it.each(['..', '.', 'a/b', 'Mode', 'mii-status', '', 'x y', 'bonding/../..'])('refuses path part %j', (part) => {
    expect(() => sysClassNetPath('bond0', part)).toThrow(
      `${JSON.stringify(part)} can not be used in a sysfs path: parts must match [a-z0-9_]+`,
    );
  });
});
