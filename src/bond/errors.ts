/**
 * BondError, and the translation of a kernel errno (from a sysfs write or a netlink ACK) into a
 * message that says what went wrong and what to do.
 *
 * The kernel reuses a handful of errno values for many causes (docs/kernel-notes.md §1.1, §2), so the
 * translation looks at the operation and the option's row in the table: EBUSY on an IFDOWN
 * option means "the bond is up", EPERM on updelay means "miimon is 0", EPERM on enslave means
 * "the device is up". Rules are data, tried in order; the first that matches explains the error.
 */

import { errnoNumber, knownErrnoName } from './errno.js';
import type { BondMode, BondOption } from './option-types.js';
import { ACTIVE_SLAVE_OPTION, MODE_OPTION, describeValues, findOption, findSlaveOption } from './options.js';

/** What bondd was doing when the kernel said no. */
export type BondOperation =
  | 'create'
  | 'delete'
  | 'set'
  | 'set-slave'
  | 'enslave'
  | 'release'
  | 'up'
  | 'down'
  | 'read';


export interface BondErrorOptions {
  bond: string;
  /** Symbolic errno ('EBUSY') or another stable code. */
  code: string;
  /** What to do about it, as an imperative sentence. */
  hint: string;
  op?: BondOperation;
  option?: string;
  slave?: string;
  /** Positive Linux errno. */
  errno?: number;
  /** The kernel's extended ACK text, verbatim. */
  extack?: string;
  cause?: unknown;
}

/** A bond operation the kernel refused. The message starts with the bond's name. */
export class BondError extends Error {
  override name = 'BondError';
  readonly bond: string;
  readonly code: string;
  readonly hint: string;
  readonly op?: BondOperation;
  readonly option?: string;
  readonly slave?: string;
  readonly errno?: number;
  readonly extack?: string;

  constructor(message: string, options: BondErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.bond = options.bond;
    this.code = options.code;
    this.hint = options.hint;
    this.op = options.op;
    this.option = options.option;
    this.slave = options.slave;
    this.errno = options.errno;
    this.extack = options.extack;
  }
}

/** What the kernel refused, as known to the caller. */
export interface KernelErrorContext {
  bond: string;
  op: BondOperation;
  /** 16, -16 (as the kernel returns it) or 'EBUSY'. */
  errno: number | string;
  /** Option name (canonical or alias) for set / set-slave / read. */
  option?: string;
  /** The value that was being written. */
  value?: unknown;
  /** The slave being enslaved, released or configured. */
  slave?: string;
  /** The bond's current mode, when known (for EACCES). */
  mode?: BondMode;
  extack?: string;
  /** The sysfs file involved, for ENOENT. */
  path?: string;
  cause?: unknown;
}

interface Context extends KernelErrorContext {
  code: string;
  opt?: BondOption;
}

interface Explanation {
  problem: string;
  hint: string;
}

interface Rule {
  codes: readonly string[];
  ops?: readonly BondOperation[];
  when?: (c: Context) => boolean;
  explain: (c: Context) => Explanation;
}

function show(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

/** "is down and has no slaves", from the option's IFDOWN / NOSLAVES flags. */
function requirement(opt: BondOption): string {
  return [opt.needsDown ? 'is down' : '', opt.needsNoSlaves ? 'has no slaves' : ''].filter(Boolean).join(' and ');
}

function restoreSteps(c: Context, opt: BondOption): string {
  const prepare = [opt.needsDown ? `set ${c.bond} down` : '', opt.needsNoSlaves ? 'release its slaves' : ''];
  const restore = [opt.needsNoSlaves ? 'enslave them again' : '', opt.needsDown ? `set ${c.bond} up` : ''];
  const join = (steps: string[]): string => steps.filter(Boolean).join(' and ');
  return `${join(prepare)}, set ${opt.name}, then ${join(restore)}`;
}

const SET: readonly BondOperation[] = ['set', 'set-slave'];

const RULES: readonly Rule[] = [
  {
    // bond_opt_check_deps(): the option's unsuppmodes contain the current mode.
    codes: ['EACCES'],
    when: (c) => c.opt !== undefined,
    explain: (c) => ({
      problem: `${c.opt!.name} is not supported in ${c.mode ? `mode ${c.mode}` : "the bond's current mode"} (supported in: ${c.opt!.modes.join(', ')})`,
      hint: `change the mode first, or leave ${c.opt!.name} out`,
    }),
  },
  {
    // bond_opt_check_deps(): BOND_OPTFLAG_NOSLAVES → ENOTEMPTY, BOND_OPTFLAG_IFDOWN → EBUSY.
    codes: ['EBUSY', 'ENOTEMPTY'],
    ops: SET,
    when: (c) => c.opt !== undefined && (c.opt.needsDown || c.opt.needsNoSlaves),
    explain: (c) => ({
      problem: `${c.opt!.name} can only change while ${c.bond} ${requirement(c.opt!)}`,
      hint: restoreSteps(c, c.opt!),
    }),
  },
  {
    // _bond_option_delay_set(): updelay, downdelay and peer_notif_delay need miimon != 0.
    codes: ['EPERM'],
    ops: SET,
    when: (c) => c.opt?.needsMiimon === true,
    explain: (c) => ({
      problem: `${c.opt!.name} needs MII monitoring, but miimon is 0`,
      hint: `set miimon first (for example 100), then ${c.opt!.name} as a multiple of it`,
    }),
  },
  {
    // bond_option_queue_id_set(): every failure is EPERM.
    codes: ['EPERM'],
    ops: SET,
    when: (c) => c.opt?.name === 'queue_id',
    explain: (c) => ({
      problem: `queue_id ${show(c.value)}${c.slave ? ` for ${c.slave}` : ''} was refused`,
      hint:
        `use a queue id no larger than ${c.bond}'s transmit queue count (module parameter tx_queues, 16 by default), ` +
        `not used by another slave, for a device enslaved to ${c.bond}`,
    }),
  },
  {
    // bond_option_arp_ip_targets_set(): a write that is not "+addr" or "-addr".
    codes: ['EPERM'],
    ops: SET,
    when: (c) => c.opt?.name === 'arp_ip_target',
    explain: (c) => ({
      problem: `arp_ip_target write ${show(c.value)} is not "+address" or "-address"`,
      hint: 'write one "+a.b.c.d" or "-a.b.c.d" at a time',
    }),
  },
  {
    codes: ['EPERM'],
    ops: SET,
    when: (c) => c.opt?.name === 'ns_ip6_target',
    explain: () => ({
      problem: 'ns_ip6_target needs a kernel built with IPv6 (CONFIG_IPV6)',
      hint: 'use arp_ip_target instead, or a kernel with IPv6',
    }),
  },
  {
    // bond_enslave(): "Device can not be enslaved while up"; the kernel does not down it.
    codes: ['EPERM'],
    ops: ['enslave'],
    when: (c) => c.extack === undefined || /while up/i.test(c.extack),
    explain: (c) => ({
      problem: `${c.slave ?? 'the device'} can not be enslaved while it is up`,
      hint: `set ${c.slave ?? 'it'} down first; the kernel brings it up itself once enslaved`,
    }),
  },
  {
    codes: ['EBUSY'],
    ops: ['enslave'],
    explain: (c) => ({
      problem: `${c.slave ?? 'the device'} is already used by another master (a bond, bridge or team)`,
      hint: `release ${c.slave ?? 'it'} from its current master first`,
    }),
  },
  {
    codes: ['EINVAL'],
    ops: ['enslave'],
    explain: (c) => ({
      problem: `${c.slave ?? 'the device'} can not join ${c.bond}: its link type differs from the other slaves, or the mode needs an Ethernet device`,
      hint: `enslave only devices of the same type (Ethernet for 802.3ad)`,
    }),
  },
  {
    codes: ['EOPNOTSUPP'],
    ops: ['enslave'],
    explain: (c) => ({
      problem: `${c.slave ?? 'the device'} can not be enslaved in ${c.bond}'s mode`,
      hint:
        'a device that can not change its MAC address needs fail_over_mac active in active-backup; ' +
        'IPoIB devices need active-backup; an attached XDP program may also prevent it',
    }),
  },
  {
    // The slave options handler is found through the device's current master.
    codes: ['EOPNOTSUPP'],
    ops: ['set-slave'],
    explain: (c) => ({
      problem: `${c.slave ?? 'the device'} is not a slave of ${c.bond}`,
      hint: 'enslave it first, then set slave options in a separate request',
    }),
  },
  {
    // bond_option_mode_set() / xmit_hash_policy with an XDP program attached.
    codes: ['EOPNOTSUPP'],
    ops: SET,
    when: (c) => c.opt === MODE_OPTION || c.opt?.name === 'xmit_hash_policy',
    explain: (c) => ({
      problem: `${c.opt!.name} ${show(c.value)} is not possible while an XDP program is attached`,
      hint: `detach the XDP program from ${c.bond} first`,
    }),
  },
  {
    // bond_option_active_slave_set(): not our slave, or its link is down, or no slave is active.
    codes: ['EINVAL'],
    ops: SET,
    when: (c) => c.opt === ACTIVE_SLAVE_OPTION,
    explain: (c) => ({
      problem: `${show(c.value)} could not be made the active slave`,
      hint: `it must be a slave of ${c.bond} whose link is up, and ${c.bond} must already have an active slave`,
    }),
  },
  {
    codes: ['EINVAL', 'ERANGE'],
    ops: SET,
    when: (c) => c.opt !== undefined,
    explain: (c) => ({
      problem: `${c.value === undefined ? 'the value' : show(c.value)} is not a valid value for ${c.opt!.name}`,
      hint: `use ${describeValues(c.opt!)}`,
    }),
  },
  {
    codes: ['ENODEV'],
    ops: SET,
    when: (c) => c.opt?.kind === 'ifname',
    explain: (c) => ({
      problem: `interface ${show(c.value)} given for ${c.opt!.name} does not exist`,
      hint: `check the name, or set ${c.opt!.name} after the interface appears`,
    }),
  },
  {
    codes: ['ENODEV'],
    ops: ['enslave', 'release', 'set-slave'],
    explain: (c) => ({
      problem: `${c.slave ?? 'the slave'} does not exist`,
      hint: 'check the name; bondd enslaves it when it appears',
    }),
  },
  {
    codes: ['ENODEV'],
    explain: (c) => ({
      problem: `${c.bond} does not exist`,
      hint: 'check the name, or create the bond first',
    }),
  },
  {
    codes: ['ENOENT'],
    when: (c) => c.opt === undefined,
    explain: (c) => ({
      problem: `${c.bond} does not exist or is not a bond`,
      hint: 'check the name and that the bonding module is loaded',
    }),
  },
  {
    codes: ['EEXIST'],
    ops: ['create'],
    explain: (c) => ({
      problem: `${c.bond} already exists`,
      hint:
        `adopt the existing ${c.bond} or delete it first; loading the bonding module with max_bonds=1 ` +
        '(the default) creates bond0 by itself, so load it with max_bonds=0',
    }),
  },
  {
    // A sysfs file this kernel does not have, or a netlink-only option written through sysfs.
    codes: ['ENOENT'],
    when: (c) => c.opt !== undefined,
    explain: (c) =>
      c.opt!.sysfs === null
        ? { problem: `${c.opt!.name} has no sysfs file`, hint: `set ${c.opt!.name} through the netlink backend` }
        : {
            problem: `${c.opt!.name} is not available on this kernel${c.path ? ` (no ${c.path})` : ''}`,
            hint: `leave ${c.opt!.name} out, or use a kernel that has it`,
          },
  },
];

function fallback(c: Context): Explanation {
  const what = c.opt ? `${c.op} ${c.opt.name}` : c.slave ? `${c.op} ${c.slave}` : c.op;
  return { problem: `${what} failed with ${c.code}`, hint: `see the kernel log (dmesg) for the bonding driver's message` };
}

function normaliseErrno(errno: number | string): { code: string; number?: number } {
  if (typeof errno === 'number') {
    const n = Math.abs(errno);
    return { code: knownErrnoName(n) ?? `errno ${n}`, number: n };
  }
  const code = errno.toUpperCase() === 'ENOTSUP' ? 'EOPNOTSUPP' : errno.toUpperCase();
  return { code, number: errnoNumber(code) };
}

/**
 * Turns a refused operation into a BondError whose message says what went wrong and what to do,
 * e.g. `bond0: mode can only change while bond0 is down and has no slaves; set bond0 down and
 * release its slaves, set mode, then enslave them again and set bond0 up`. The kernel's extack
 * text, when there is one, is appended verbatim. Pure: no I/O, never throws.
 */
export function explainKernelError(context: KernelErrorContext): BondError {
  const { code, number } = normaliseErrno(context.errno);
  const opt = context.option === undefined ? undefined : (findOption(context.option) ?? findSlaveOption(context.option));
  const c: Context = { ...context, code, opt };
  const rule = RULES.find(
    (r) => r.codes.includes(code) && (!r.ops || r.ops.includes(c.op)) && (!r.when || r.when(c)),
  );
  const { problem, hint } = rule ? rule.explain(c) : fallback(c);
  const extack = context.extack && !problem.includes(context.extack) ? ` (kernel: ${context.extack})` : '';
  return new BondError(`${context.bond}: ${problem}${extack}; ${hint}`, {
    bond: context.bond,
    code,
    hint,
    op: context.op,
    option: opt?.name ?? context.option,
    slave: context.slave,
    errno: number,
    extack: context.extack,
    cause: context.cause,
  });
}
