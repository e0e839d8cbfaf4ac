/**
 * The sysfs backend: manages bonds through /sys/class/net/bonding_masters,
 * /sys/class/net/<bond>/bonding/* and /sys/class/net/<dev>/flags.
 *
 * Namespaces: sysfs shows (and bonding_masters creates) the devices of the network namespace its
 * mount was made in, not the reader's. By default the backend works on the process's own /sys;
 * with `netnsPath` it works through a sysfs mounted inside that namespace (netnsSysfsIO()), so
 * bondd --netns and tests in a throwaway namespace manage the right bonds.
 *
 * What sysfs can not do, and the netlink backend can:
 * - ns_ip6_target and coupled_control (bond options) and prio and actor_port_prio (slave options)
 *   have no sysfs file on 6.1. readBond() leaves them out of `options`; setting them throws a
 *   BondError that says to use the netlink backend.
 * - 802.3ad churn states are netlink-only too (ObservedSlave.ad has no churn fields here).
 *
 * Kernel behaviour the backend relies on (docs/kernel-notes.md §1, §2, §4):
 * - Every option write goes through bond_opt_tryset_rtnl() → __bond_opt_set(), the same checks as
 *   netlink: EACCES (mode), ENOTEMPTY (needs no slaves), EBUSY (needs the bond down), EINVAL
 *   (value), then the option's own errors. The errno of the write(2) is the kernel's answer.
 * - Writes are applied one at a time and nothing is rolled back by the kernel, so the order given
 *   is the order written and the first refusal stops the rest.
 * - A new bond made through bonding_masters is down, has no slaves and the module's default
 *   options; mode is written first because mode changes reset other options (arp_validate,
 *   miimon/arp_interval) and decide which options are accepted at all.
 */
import { posix } from 'node:path';

import type { AggregatorInfo, BondBackend, MiiStatus, ObservedBond, ObservedSlave, SlaveState } from '../bond/backend.js';
import { BondError, explainKernelError, type BondOperation, type KernelErrorContext } from '../bond/errors.js';
import { InvalidNameError, SYS_CLASS_NET, sysClassNetPath, validateIfname } from '../bond/names.js';
import type { BondMode, BondOption, OptionValue } from '../bond/option-types.js';
import {
  BOND_OPTIONS,
  OptionValueError,
  UnknownOptionError,
  findOption,
  findSlaveOption,
  formatSysfsValue,
  isBondMode,
  kernelOptionsFromListing,
  parseOptionValue,
  parseSysfsValue,
  resolveOption,
  sysfsListOps,
  MODE_OPTION,
  SLAVE_STATES,
  namedSlaves,
  parseMiiStatus as miiStatusFromText,
  type KernelOptionSupport,
  type RawOptionValue,
} from '../bond/options.js';
import {
  IFF_UP,
  errnoCode,
  flagsForUp,
  netnsSysfsIO,
  nodeSysfsIO,
  parseFlags,
  parseNameList,
  parseOptionalNumber,
  readLinkFacts,
  type ClosableSysfsIO,
  type SysfsIO,
} from '../sysfs/files.js';
import { ensureBondingLoaded } from '../sysfs/module.js';

export const BONDING_MASTERS = posix.join(SYS_CLASS_NET, 'bonding_masters');

export interface SysfsBackendOptions {
  /**
   * Work on the network namespace /run/netns/NAME instead of the process's own, through a sysfs
   * mounted inside it (see netnsSysfsIO()); close() releases it.
   */
  netnsPath?: string;
  /** File access; tests substitute a fake kernel. Default: the real /sys (or netnsPath's). */
  io?: SysfsIO;
  /** Called by createBond() before writing bonding_masters. Default: ensureBondingLoaded. */
  loadModule?: () => Promise<void>;
}

/** One option write, checked: the table row, the canonical value. */
interface CheckedOption {
  option: BondOption;
  value: OptionValue;
}

/** A slave disappeared while the bond was being read; the read starts over. */
class ReadRaced extends Error {}


/** bonding_slave/mii_status ("going down") → MiiStatus ('going-down'). */
export function parseMiiStatus(text: string): MiiStatus {
  const status = miiStatusFromText(text);
  if (!status) throw new SyntaxError(`unknown slave MII status ${JSON.stringify(text.trim())}`);
  return status;
}

/** bonding_slave/state: the kernel prints "active" or "backup". */
export function parseSlaveState(text: string): SlaveState {
  const state = SLAVE_STATES.find((s) => s === text.trim());
  if (!state) throw new SyntaxError(`unknown slave state ${JSON.stringify(text.trim())}`);
  return state;
}

/**
 * The file that holds `option` in a bond directory listing: the canonical file, or an alias file
 * (num_unsol_na for num_grat_arp); undefined when this kernel has neither.
 */
export function optionFile(option: BondOption, listed: ReadonlySet<string>): string | undefined {
  if (option.sysfs === null) return undefined;
  return [option.sysfs, ...option.aliases].find((file) => listed.has(file));
}

/** The table's "not a bond option (did you mean ...?)" error for `name`. */
function unknownOption(name: string): Error {
  try {
    resolveOption(name);
  } catch (error) {
    if (error instanceof UnknownOptionError) return error;
  }
  return new UnknownOptionError(name);
}

function inputError(bond: string, op: BondOperation, error: Error, option?: string): BondError {
  const hint = 'correct it; nothing was written to the kernel';
  const text = error instanceof InvalidNameError || bond === '' ? error.message : `${bond}: ${error.message}`;
  return new BondError(`${text}; ${hint}`, { bond, code: 'EINVAL', hint, op, option, cause: error });
}

function noSuchBond(bond: string, op: BondOperation): BondError {
  const hint = 'check the name, or create the bond first';
  return new BondError(`${bond}: ${bond} does not exist or is not a bond; ${hint}`, { bond, code: 'ENODEV', hint, op });
}

function notOurSlave(bond: string, slave: string, master: string | null, op: BondOperation): BondError {
  const hint = master ? `release it from ${master} first, or use ${master}` : `enslave ${slave} to ${bond} first`;
  const where = master ? `its master is ${master}` : 'it has no master';
  return new BondError(`${bond}: ${slave} is not a slave of ${bond} (${where}); ${hint}`, {
    bond,
    code: 'ENOTSLAVE',
    hint,
    op,
    slave,
  });
}

/** Down + enslave attempts when something raises the device in between (see enslave). */
const ENSLAVE_ATTEMPTS = 3;

export class SysfsBackend implements BondBackend {
  readonly name = 'sysfs' as const;
  /** The namespace worked on; undefined for the process's own. */
  readonly netnsPath: string | undefined;
  private readonly io: SysfsIO;
  private readonly owned: ClosableSysfsIO | null = null;
  private readonly loadModule: () => Promise<void>;
  private closed = false;

  constructor(options: SysfsBackendOptions = {}) {
    if (options.io && options.netnsPath) throw new TypeError('give the sysfs backend either io or netnsPath, not both');
    this.netnsPath = options.netnsPath;
    if (options.netnsPath) this.owned = netnsSysfsIO(options.netnsPath);
    this.io = options.io ?? this.owned ?? nodeSysfsIO;
    // Modules are global: loading the driver from any namespace makes it usable in all of them.
    this.loadModule = options.loadModule ?? (() => ensureBondingLoaded());
  }

  private readLink(name: string) {
    return readLinkFacts(this.io, name);
  }

  /* ------------------------------------------------------------------------------------------ */
  /* Reading                                                                                     */

  async listBonds(): Promise<string[]> {
    this.checkOpen();
    try {
      return parseNameList(await this.io.read(BONDING_MASTERS));
    } catch (error) {
      // No bonding_masters: the driver is not loaded, so there are no bonds.
      if (errnoCode(error) === 'ENOENT') return [];
      throw error;
    }
  }

  async readBond(name: string): Promise<ObservedBond | null> {
    this.checkOpen();
    const bond = this.bondName(name, 'read');
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.readBondOnce(bond);
      } catch (error) {
        if (!(error instanceof ReadRaced) || attempt >= 3) throw error;
      }
    }
  }

  /**
   * Which options this kernel has sysfs files for, for an existing bond (the listing of
   * /sys/class/net/<bond>/bonding), or null when there is no such bond.
   */
  async optionSupport(name: string): Promise<KernelOptionSupport | null> {
    this.checkOpen();
    const listed = await this.listBondDir(this.bondName(name, 'read'));
    return listed && kernelOptionsFromListing(listed);
  }

  private async readBondOnce(bond: string): Promise<ObservedBond | null> {
    const listed = await this.listBondDir(bond);
    if (!listed) return null;
    try {
      const support = kernelOptionsFromListing(listed);
      const read = (file: string): Promise<string> => this.io.read(sysClassNetPath(bond, 'bonding', file));

      const modeValue = parseSysfsValue(MODE_OPTION, await read(MODE_OPTION.sysfs!));
      if (!isBondMode(modeValue)) throw new SyntaxError(`${bond}: unknown bonding mode ${JSON.stringify(modeValue)}`);
      const mode: BondMode = modeValue;

      // Every option the table knows and this kernel has a file for. Files that print nothing
      // (ad_actor_sys_prio, ad_actor_system, ad_user_port_key outside 802.3ad) are left out, as
      // the kernel leaves their netlink attributes out.
      const readable = BOND_OPTIONS.filter((o) => o !== MODE_OPTION && support.present.has(o.name));
      const values = await Promise.all(
        readable.map(async (option) => parseSysfsValue(option, await read(optionFile(option, listed)!))),
      );
      const options: Record<string, OptionValue> = {};
      readable.forEach((option, i) => {
        if (values[i] !== undefined) options[option.name] = values[i]!;
      });

      const slaveNames = parseNameList(await read('slaves'));
      const [slaves, link, flags, index, ad] = await Promise.all([
        Promise.all(slaveNames.map((slave) => this.readSlave(slave, mode))),
        this.readLink(bond),
        this.io.read(sysClassNetPath(bond, 'flags')),
        this.io.read(sysClassNetPath(bond, 'ifindex')),
        mode === '802.3ad' ? this.readAggregator(bond) : Promise.resolve(null),
      ]);
      const { activeSlave, primary } = namedSlaves(options);
      return {
        name: bond,
        index: Number(index.trim()),
        up: (parseFlags(flags) & IFF_UP) !== 0,
        // `carrier` fails with EINVAL while the bond is down (classnet gives null): no carrier.
        carrier: link.carrier === true,
        mtu: link.mtu ?? 0,
        mac: link.address ?? '',
        mode,
        options,
        slaves,
        activeSlave,
        // A primary named before it was enslaved is stored by the kernel but reads back empty.
        primary,
        ad,
      };
    } catch (error) {
      // The bond went away in the middle of the read.
      if (errnoCode(error) === 'ENOENT' && !(await this.isBond(bond))) return null;
      if (errnoCode(error) === 'ENOENT') throw new ReadRaced(`${bond} changed while being read`, { cause: error });
      throw error;
    }
  }

  private async readSlave(name: string, mode: BondMode): Promise<ObservedSlave> {
    validateIfname(name);
    const read = (file: string): Promise<string> => this.io.read(sysClassNetPath(name, 'bonding_slave', file));
    const [state, mii, failures, perm, queueId, aggregator, actorState, partnerState, index, link] = await Promise.all([
      read('state'),
      read('mii_status'),
      read('link_failure_count'),
      read('perm_hwaddr'),
      read('queue_id'),
      read('ad_aggregator_id'),
      read('ad_actor_oper_port_state'),
      read('ad_partner_oper_port_state'),
      this.io.read(sysClassNetPath(name, 'ifindex')),
      this.readLink(name),
    ]);
    const permMac = perm.trim().toLowerCase();
    return {
      name,
      index: Number(index.trim()),
      permMac: permMac === '' ? null : permMac,
      state: parseSlaveState(state),
      mii: parseMiiStatus(mii),
      linkFailureCount: Number(failures.trim()),
      options: { queue_id: Number(queueId.trim()) },
      // "N/A" outside 802.3ad and while the port has no aggregator.
      ...(mode === '802.3ad'
        ? {
            ad: {
              aggregatorId: parseOptionalNumber(aggregator),
              actorOperPortState: parseOptionalNumber(actorState),
              partnerOperPortState: parseOptionalNumber(partnerState),
            },
          }
        : {}),
      speedMbps: link.speedMbps,
      duplex: link.duplex,
      carrier: link.carrier === true,
    };
  }

  /**
   * The active aggregator (802.3ad). ad_aggregator prints 0 when there is none; the key and
   * partner files print nothing then, and also without CAP_NET_ADMIN: null in both cases, as
   * netlink leaves IFLA_BOND_AD_INFO out.
   */
  private async readAggregator(bond: string): Promise<AggregatorInfo | null> {
    const read = (file: string): Promise<string> => this.io.read(sysClassNetPath(bond, 'bonding', file));
    const [aggregator, ports, actorKey, partnerKey, partnerMac] = await Promise.all(
      ['ad_aggregator', 'ad_num_ports', 'ad_actor_key', 'ad_partner_key', 'ad_partner_mac'].map(read),
    );
    const numbers = [aggregator, ports, actorKey, partnerKey].map((text) => parseOptionalNumber(text ?? ''));
    const mac = (partnerMac ?? '').trim().toLowerCase();
    if (numbers.some((n) => n === null) || numbers[0] === 0 || mac === '') return null;
    const [aggregatorId, numPorts, actor, partner] = numbers as number[];
    return { aggregatorId: aggregatorId!, numPorts: numPorts!, actorKey: actor!, partnerKey: partner!, partnerMac: mac };
  }

  /* ------------------------------------------------------------------------------------------ */
  /* Bonds                                                                                       */

  async createBond(name: string, mode: BondMode, options: Record<string, OptionValue> = {}): Promise<void> {
    this.checkOpen();
    const bond = this.bondName(name, 'create');
    let modeValue: string;
    try {
      modeValue = parseOptionValue(MODE_OPTION, mode) as string;
    } catch (error) {
      throw inputError(bond, 'create', error as Error, MODE_OPTION.name);
    }
    const checked = this.checkOptions(bond, 'create', options).filter((c) => {
      if (c.option !== MODE_OPTION) return true;
      if (c.value === modeValue) return false;
      const message = `mode is ${String(c.value)} in the options but ${modeValue} was asked for`;
      throw inputError(bond, 'create', new OptionValueError(MODE_OPTION.name, c.value, message), MODE_OPTION.name);
    });

    await this.loadModule();
    try {
      await this.io.write(BONDING_MASTERS, `+${bond}`);
    } catch (error) {
      throw this.kernelError(error, { bond, op: 'create' });
    }

    try {
      const listed = await this.listBondDir(bond);
      if (!listed) throw noSuchBond(bond, 'create');
      // Options this kernel lacks are refused before the first option write.
      this.requireFiles(bond, 'create', checked, listed);
      // Mode first: it is only accepted while the bond is down without slaves (always true
      // here), it decides which later options are accepted (EACCES), and changing it resets
      // arp_validate and, for 802.3ad/tlb/alb, arp_interval and miimon.
      // Option refusals are explained as for setOptions() ('set'): same kernel path, same causes.
      await this.writeOption(bond, 'set', { option: MODE_OPTION, value: modeValue }, listed, modeValue);
      for (const c of checked) await this.writeOption(bond, 'set', c, listed, modeValue);
    } catch (error) {
      // All or nothing: a bond with half its options is worse than none.
      const removed = await this.io.write(BONDING_MASTERS, `-${bond}`).then(
        () => true,
        () => false,
      );
      if (!(error instanceof BondError)) throw error;
      const outcome = removed ? `${bond} was not created` : `${bond} was created but could not be removed again`;
      throw new BondError(`${error.message} (${outcome})`, {
        bond,
        code: error.code,
        hint: error.hint,
        op: error.op,
        option: error.option,
        slave: error.slave,
        errno: error.errno,
        extack: error.extack,
        cause: error.cause,
      });
    }
  }

  async deleteBond(name: string): Promise<void> {
    this.checkOpen();
    const bond = this.bondName(name, 'delete');
    try {
      // unregister_netdevice() releases every slave first (each slave is closed).
      await this.io.write(BONDING_MASTERS, `-${bond}`);
    } catch (error) {
      // No bonding_masters: the driver is not loaded, so no bond exists.
      if (errnoCode(error) === 'ENOENT') throw noSuchBond(bond, 'delete');
      throw this.kernelError(error, { bond, op: 'delete' });
    }
  }

  async setOptions(name: string, options: Record<string, OptionValue>): Promise<void> {
    this.checkOpen();
    const bond = this.bondName(name, 'set');
    const checked = this.checkOptions(bond, 'set', options);
    const listed = await this.listBondDir(bond);
    if (!listed) throw noSuchBond(bond, 'set');
    this.requireFiles(bond, 'set', checked, listed);
    for (const c of checked) await this.writeOption(bond, 'set', c, listed);
  }

  async setUp(name: string, up: boolean): Promise<void> {
    this.checkOpen();
    const op: BondOperation = up ? 'up' : 'down';
    const bond = this.bondName(name, op);
    if (!(await this.isBond(bond))) throw noSuchBond(bond, op);
    await this.setLinkUp(bond, up, { bond, op });
  }

  /* ------------------------------------------------------------------------------------------ */
  /* Slaves                                                                                      */

  async enslave(bondName: string, slaveName: string): Promise<void> {
    this.checkOpen();
    const bond = this.bondName(bondName, 'enslave');
    const slave = this.slaveName(bond, slaveName, 'enslave');
    if (!(await this.isBond(bond))) throw noSuchBond(bond, 'enslave');
    if (!(await this.io.exists(sysClassNetPath(slave)))) {
      throw explainKernelError({ bond, op: 'enslave', errno: 'ENODEV', slave });
    }
    // Look before downing: a device that already has a master is busy (EBUSY from the kernel),
    // and downing it first would take it out of the bond, bridge or team it serves.
    const master = await this.io.linkName(sysClassNetPath(slave, 'master'));
    if (master === bond) return;
    if (master !== null) {
      throw explainKernelError({ bond, op: 'enslave', errno: 'EBUSY', slave });
    }
    // bond_enslave() refuses a device that is administratively up (EPERM, "Device can not be
    // enslaved while up") and does not down it itself; it opens the device again once enslaved.
    // Another manager (networkd, NetworkManager) may raise the device again between our down and
    // the enslave (it reacts to the link going down): then the kernel says EPERM; down it again.
    const flags = parseFlags(await this.io.read(sysClassNetPath(slave, 'flags')));
    for (let attempt = 1; ; attempt++) {
      const now = attempt === 1 ? flags : parseFlags(await this.io.read(sysClassNetPath(slave, 'flags')));
      const down = flagsForUp(now, false);
      if (down !== null) await this.writeFlags(slave, down, { bond, op: 'enslave', slave });
      try {
        await this.io.write(sysClassNetPath(bond, 'bonding', 'slaves'), `+${slave}`);
        return;
      } catch (error) {
        const raisedAgain = (error as NodeJS.ErrnoException).code === 'EPERM' && (parseFlags(await this.io.read(sysClassNetPath(slave, 'flags')).catch(() => '0')) & IFF_UP) !== 0;
        if (raisedAgain && attempt < ENSLAVE_ATTEMPTS) continue;
        // Leave the device as we found it.
        if (flagsForUp(flags, false) !== null) await this.io.write(sysClassNetPath(slave, 'flags'), flagsForUp(flags & ~IFF_UP, true)!).catch(() => undefined);
        throw this.kernelError(error, { bond, op: 'enslave', slave });
      }
    }
  }

  async release(bondName: string, slaveName: string): Promise<void> {
    this.checkOpen();
    const bond = this.bondName(bondName, 'release');
    const slave = this.slaveName(bond, slaveName, 'release');
    if (!(await this.isBond(bond))) throw noSuchBond(bond, 'release');
    if (!(await this.io.exists(sysClassNetPath(slave)))) {
      throw explainKernelError({ bond, op: 'release', errno: 'ENODEV', slave });
    }
    // The kernel answers EINVAL for a device that is not its slave; say so plainly instead.
    const master = await this.io.linkName(sysClassNetPath(slave, 'master'));
    if (master !== bond) throw notOurSlave(bond, slave, master, 'release');
    try {
      // The kernel closes the released device (it ends up down) and restores its MAC and MTU.
      await this.io.write(sysClassNetPath(bond, 'bonding', 'slaves'), `-${slave}`);
    } catch (error) {
      throw this.kernelError(error, { bond, op: 'release', slave });
    }
  }

  /**
   * Sets per-slave options. Only queue_id has a sysfs path (the bond's queue_id file takes
   * "slave:qid"); prio and actor_port_prio are netlink-only on 6.1 and are refused with a
   * BondError naming the netlink backend, before anything is written.
   */
  async setSlaveOptions(bondName: string, slaveName: string, options: Record<string, OptionValue>): Promise<void> {
    this.checkOpen();
    const bond = this.bondName(bondName, 'set-slave');
    const slave = this.slaveName(bond, slaveName, 'set-slave');
    const checked: CheckedOption[] = [];
    for (const [key, raw] of Object.entries(options)) {
      const option = findSlaveOption(key);
      if (!option) {
        const bondOption = findOption(key);
        const error = bondOption
          ? new OptionValueError(bondOption.name, raw, `${bondOption.name} is a bond option, not a slave option; set it with setOptions()`)
          : unknownOption(key);
        throw inputError(bond, 'set-slave', error, key);
      }
      if (option.sysfs === null) {
        throw explainKernelError({ bond, op: 'set-slave', errno: 'ENOENT', option: option.name, slave });
      }
      checked.push({ option, value: this.parse(bond, 'set-slave', option, raw) });
    }
    const listed = await this.listBondDir(bond);
    if (!listed) throw noSuchBond(bond, 'set-slave');
    this.requireFiles(bond, 'set-slave', checked, listed);
    const master = await this.io.linkName(sysClassNetPath(slave, 'master'));
    if (master !== bond) {
      throw explainKernelError({ bond, op: 'set-slave', errno: 'EOPNOTSUPP', slave, option: checked[0]?.option.name });
    }
    for (const { option, value } of checked) {
      // bond_option_queue_id_set() parses "ifname:qid" written to the bond's own file.
      try {
        await this.io.write(sysClassNetPath(bond, 'bonding', optionFile(option, listed)!), formatSysfsValue(option, value, slave));
      } catch (error) {
        throw this.kernelError(error, { bond, op: 'set-slave', option: option.name, value, slave });
      }
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.owned?.close();
  }

  /* ------------------------------------------------------------------------------------------ */
  /* Helpers                                                                                     */

  private checkOpen(): void {
    if (this.closed) throw new Error('the sysfs backend is closed');
  }

  private bondName(name: string, op: BondOperation): string {
    try {
      return validateIfname(name);
    } catch (error) {
      throw inputError(typeof name === 'string' ? name : '', op, error as Error);
    }
  }

  private slaveName(bond: string, name: string, op: BondOperation): string {
    try {
      return validateIfname(name);
    } catch (error) {
      throw inputError(bond, op, error as Error);
    }
  }

  private parse(bond: string, op: BondOperation, option: BondOption, raw: RawOptionValue): OptionValue {
    try {
      return parseOptionValue(option, raw);
    } catch (error) {
      if (error instanceof OptionValueError || error instanceof UnknownOptionError) throw inputError(bond, op, error, option.name);
      throw error;
    }
  }

  /** Table checks and value parsing for bond options, before anything is written. */
  private checkOptions(bond: string, op: BondOperation, options: Record<string, OptionValue>): CheckedOption[] {
    return Object.entries(options).map(([key, raw]) => {
      const option = findOption(key);
      if (!option) {
        const slaveOption = findSlaveOption(key);
        const error = slaveOption
          ? new OptionValueError(slaveOption.name, raw, `${slaveOption.name} is a per-slave option; set it with setSlaveOptions()`)
          : unknownOption(key);
        throw inputError(bond, op, error, key);
      }
      // Netlink-only options: "has no sysfs file; set it through the netlink backend".
      if (option.sysfs === null) throw explainKernelError({ bond, op, errno: 'ENOENT', option: option.name });
      return { option, value: this.parse(bond, op, option, raw) };
    });
  }

  /** Refuses options whose file this kernel lacks (a kernel older than the table). */
  private requireFiles(bond: string, op: BondOperation, checked: CheckedOption[], listed: ReadonlySet<string>): void {
    const lacking = checked.find((c) => optionFile(c.option, listed) === undefined);
    if (lacking) {
      throw explainKernelError({
        bond,
        op,
        errno: 'ENOENT',
        option: lacking.option.name,
        path: sysClassNetPath(bond, 'bonding', lacking.option.sysfs!),
      });
    }
  }

  private async writeOption(bond: string, op: BondOperation, c: CheckedOption, listed: ReadonlySet<string>, mode?: string): Promise<void> {
    const file = sysClassNetPath(bond, 'bonding', optionFile(c.option, listed)!);
    let writes: string[];
    if (Array.isArray(c.value)) {
      // arp_ip_target takes one "+addr" or "-addr" per write: turn the current list into the
      // wanted one (removals first, the table holds 16 entries).
      const current = parseSysfsValue(c.option, await this.io.read(file)) as string[];
      writes = sysfsListOps(c.option, current, c.value);
    } else {
      writes = [formatSysfsValue(c.option, c.value)];
    }
    for (const text of writes) {
      try {
        await this.io.write(file, text);
      } catch (error) {
        const context: Omit<KernelErrorContext, 'errno'> = {
          bond,
          op,
          option: c.option.name,
          value: Array.isArray(c.value) ? text : c.value,
        };
        // The explanation of EACCES names the mode the option is not supported in.
        if (errnoCode(error) === 'EACCES') context.mode = (mode as BondMode | undefined) ?? (await this.currentMode(bond));
        // ENOENT here means the bond itself went away.
        if (errnoCode(error) === 'ENOENT' && !(await this.isBond(bond))) throw noSuchBond(bond, op);
        throw this.kernelError(error, context);
      }
    }
  }

  private async setLinkUp(name: string, up: boolean, context: Omit<KernelErrorContext, 'errno'>): Promise<void> {
    const flags = parseFlags(await this.io.read(sysClassNetPath(name, 'flags')));
    const text = flagsForUp(flags, up);
    if (text !== null) await this.writeFlags(name, text, context);
  }

  private async writeFlags(name: string, text: string, context: Omit<KernelErrorContext, 'errno'>): Promise<void> {
    try {
      // dev_change_flags(): IFF_UP opens or closes the device, like `ip link set ... up/down`.
      await this.io.write(sysClassNetPath(name, 'flags'), text);
    } catch (error) {
      throw this.kernelError(error, context);
    }
  }

  private async currentMode(bond: string): Promise<BondMode | undefined> {
    try {
      const mode = parseSysfsValue(MODE_OPTION, await this.io.read(sysClassNetPath(bond, 'bonding', MODE_OPTION.sysfs!)));
      return isBondMode(mode) ? mode : undefined;
    } catch {
      return undefined;
    }
  }

  /** The entries of /sys/class/net/<bond>/bonding, or null when `bond` is not a bond. */
  private async listBondDir(bond: string): Promise<Set<string> | null> {
    try {
      return new Set(await this.io.list(sysClassNetPath(bond, 'bonding')));
    } catch (error) {
      const code = errnoCode(error);
      if (code === 'ENOENT' || code === 'ENOTDIR') return null;
      throw error;
    }
  }

  private isBond(bond: string): Promise<boolean> {
    return this.io.exists(sysClassNetPath(bond, 'bonding'));
  }

  /** A kernel errno becomes an explained BondError; anything else passes unchanged. */
  private kernelError(error: unknown, context: Omit<KernelErrorContext, 'errno'>): unknown {
    const code = errnoCode(error);
    return code ? explainKernelError({ ...context, errno: code, cause: error }) : error;
  }
}
