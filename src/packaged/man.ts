/**
 * Man pages bondd(8), bondctl(8) and bondd.yaml(5), written at package time (scripts/package) from
 * what the programs themselves define, so they cannot drift from the code:
 * - bondctl(8): the command list and each command's help as yargs prints them (`bondctl --help`,
 *   `bondctl COMMAND --help`), i.e. the CLI's own command definitions;
 * - bondd(8): the daemon's options from `bondd --help`;
 * - bondd.yaml(5): the file's keys (the parser's key list) and every bond and slave option from
 *   the option table (src/bond/options.ts), with values, defaults and modes.
 * test/unit/man-pages.test.ts fails when a command, flag, key or option is missing from them.
 */
import { BOND_OPTIONS, SLAVE_OPTIONS, describeValues } from '../bond/options.js';
import type { BondOption } from '../bond/option-types.js';
import { BOND_KEYS, TOP_KEYS } from '../config/yaml.js';
import type { IP_KEYS } from '../config/yaml-layer.js';
import { BRIDGE_KEYS, VLAN_KEYS } from '../config/yaml-stack.js';

export interface PageInfo {
  version: string;
  /** YYYY-MM-DD, the build's date. */
  date: string;
}

export interface CommandHelp {
  name: string;
  help: string;
}

/** Text for roff: backslashes, leading control characters and hyphens made literal. */
export function roffText(text: string): string {
  return text
    .replace(/\\/g, '\\e')
    .replace(/-/g, '\\-')
    .split('\n')
    .map((line) => (/^[.']/.test(line) ? `\\&${line}` : line))
    .join('\n');
}

function header(name: string, section: number, info: PageInfo, summary: string): string {
  return [
    `.TH ${name.toUpperCase()} ${section} "${info.date}" "bondd ${info.version}" "bondd"`,
    '.SH NAME',
    `${roffText(name)} \\- ${roffText(summary)}`,
  ].join('\n');
}

function verbatim(text: string): string {
  return ['.PP', '.nf', roffText(text.trimEnd()), '.fi'].join('\n');
}

/** Command names from the "Commands:" section of `bondctl --help`. */
export function commandNames(help: string, program = 'bondctl'): string[] {
  const section = help.split(/^Commands:$/m)[1]?.split(/^\S/m)[0] ?? '';
  const names: string[] = [];
  for (const match of section.matchAll(new RegExp(`^  ${program} ([a-z][a-z0-9-]*)`, 'gm'))) names.push(match[1]!);
  return names;
}

export interface FlagHelp {
  flags: string;
  text: string;
}

/** The options of a yargs help text, their wrapped descriptions joined. */
export function parseFlags(help: string): FlagHelp[] {
  const section = help.split(/^Options:$/m)[1] ?? '';
  const flags: FlagHelp[] = [];
  for (const line of section.split('\n')) {
    const start = /^ {2}((?:-\w, )?--[\w-]+|    --[\w-]+)\s+(.*)$/.exec(line);
    if (start) flags.push({ flags: start[1]!.trim(), text: start[2]!.trim() });
    else if (line.trim() && flags.length) flags[flags.length - 1]!.text += ` ${line.trim()}`;
    else if (!line.trim() && flags.length) break;
  }
  for (const flag of flags) flag.text = flag.text.replace(/\s+/g, ' ').replace(/(\S)\[/g, '$1 [');
  return flags;
}

function flagList(flags: FlagHelp[]): string {
  return flags.map((f) => ['.TP', `.B ${roffText(f.flags)}`, roffText(f.text)].join('\n')).join('\n');
}

const EXIT_STATUS = [
  '.SH EXIT STATUS',
  '.TP', '.B 0', 'success',
  '.TP', '.B 1', 'failed: the kernel or bondd refused; the message says why',
  '.TP', '.B 2', 'bad input (command, argument or configuration): nothing was touched',
].join('\n');

export function bondctlPage(info: PageInfo, mainHelp: string, commands: readonly CommandHelp[]): string {
  return [
    header('bondctl', 8, info, 'manage Linux bonds directly or through bondd'),
    '.SH SYNOPSIS',
    '.B bondctl',
    '.I command',
    '[\\fIarguments\\fR]',
    '.br',
    '.B bondctl \\-\\-help',
    '|',
    '.B \\-\\-version',
    '.SH DESCRIPTION',
    'bondctl creates, changes and inspects Linux bonding interfaces. Commands that change a bond talk to the kernel directly (sysfs or rtnetlink); the read commands add what',
    '.BR bondd (8)',
    'knows (drift, last failover) when it runs, and some commands need bondd.',
    '.SH COMMANDS',
    ...commands.map((c) => [`.SS ${roffText(c.name)}`, verbatim(c.help)].join('\n')),
    '.SH OPTIONS',
    flagList(parseFlags(mainHelp)),
    EXIT_STATUS,
    '.TP', '.B 3', 'bondd is needed for this command but is not running',
    '.SH ENVIRONMENT',
    '.TP', '.B BONDD_SOCKET', "bondd's control socket (default /run/bondd/bondd.sock)",
    '.SH SEE ALSO',
    '.BR bondd (8),',
    '.BR bondd.yaml (5),',
    '.BR ip\\-link (8)',
    '',
  ].join('\n');
}

export function bonddPage(info: PageInfo, help: string): string {
  return [
    header('bondd', 8, info, 'keep Linux bonds matching a configuration and record every failover'),
    '.SH SYNOPSIS',
    '.B bondd',
    '[\\fB\\-\\-config\\fR \\fIFILE\\fR | \\fB\\-\\-ifcfg\\fR \\fIDIR\\fR | \\fB\\-\\-interfaces\\fR \\fIFILE\\fR] [\\fB\\-\\-check\\fR] [\\fIoptions\\fR]',
    '.SH DESCRIPTION',
    'bondd reads the bonds it is to keep from',
    '.BR bondd.yaml (5)',
    '(or imports ifcfg network\\-scripts or a Debian interfaces file), builds or adopts them without a flap, and watches the kernel: drift from the file is reported or repaired, failovers and link changes go to its event journal under the state directory.',
    'It runs in the foreground as a systemd service of Type=notify (bondd.service) and reports READY once every bond is applied.',
    'SIGHUP reloads the configuration; a configuration with errors is rejected and the running one stays.',
    'Stopping bondd leaves the bonds as they are.',
    '.SH OPTIONS',
    flagList(parseFlags(help)),
    EXIT_STATUS,
    '.SH FILES',
    '.TP', '.I /etc/bondd/bondd.yaml', 'the configuration; the service does not start until it exists',
    '.TP', '.I /var/lib/bondd', 'state: the event journal',
    '.TP', '.I /run/bondd/bondd.sock', 'control socket (members of group bondd may read status through it)',
    '.SH SEE ALSO',
    '.BR bondctl (8),',
    '.BR bondd.yaml (5),',
    '.BR systemctl (1)',
    '',
  ].join('\n');
}

type TopKey = (typeof TOP_KEYS)[number];
type BondKey = (typeof BOND_KEYS)[number];
type IpKey = (typeof IP_KEYS)[number];
type VlanKey = (typeof VLAN_KEYS)[number];
type BridgeKey = (typeof BRIDGE_KEYS)[number];

/** One line per key; tsc fails when the parser gains a key that is not described here. */
const TOP_KEY_TEXT: Record<TopKey, string> = {
  version: 'format version; only 1 exists',
  bonds: 'map from bond name to bond (required, else nothing is managed)',
};

/** The same IP keys on the bond, a VLAN and a bridge. */
const IP_KEY_TEXT: Record<IpKey, string> = {
  addresses: 'IPv4/IPv6 addresses in CIDR form (192.0.2.10/24)',
  gateway: 'default gateway per family: one address, a list of one IPv4 and one IPv6, or {v4: ..., v6: ...}; inside one of this device\'s subnets',
  routes: 'list of {to, via, metric} through this device; to is a network in CIDR form or default',
  dhcp: 'ipv4, ipv6, both or none (true = both, false = none): run a DHCP client for these families on this device',
  accept_ra: 'IPv6 router advertisements on this device: true accepts them, false refuses them; unset leaves the sysctl as it is',
};

const VLAN_KEY_TEXT: Record<VlanKey, string> = {
  ...IP_KEY_TEXT,
  name: 'interface name of the VLAN device (default BOND.ID, 15 bytes at most)',
  mtu: '68 to 65535, at most the bond\'s MTU',
  bridge: 'the bridge this VLAN is a port of (see BRIDGE KEYS); the VLAN then carries no IP keys',
};

const BRIDGE_KEY_TEXT: Record<BridgeKey, string> = {
  ...IP_KEY_TEXT,
  name: 'required: bridge interface name (bridge: NAME is the short form, with the kernel\'s defaults)',
  stp: 'spanning tree on (true) or off (false); kernel default off',
  forward_delay: 'seconds in steps of 0.01, 0 to 30 (2 to 30 with stp: true); kernel default 15',
  mtu: 'at most its port\'s MTU',
};

const BOND_KEY_TEXT: Record<BondKey, string> = {
  ...IP_KEY_TEXT,
  vlans: '802.1Q VLANs on the bond: a map keyed by VLAN id, 1 to 4094 (see VLAN KEYS)',
  bridge: 'the bridge the bond is a port of (see BRIDGE KEYS); the bond then carries no IP keys',
  mode: 'required: balance-rr, active-backup, balance-xor, broadcast, 802.3ad, balance-tlb, balance-alb, or the kernel number 0 to 6',
  options: 'bond options by name (see BOND OPTIONS); options not given stay at the kernel default',
  slaves: 'slaves in enslave order: a name, {name: IF, OPTION: VALUE...} with slave options, {mac: MAC} (the permanent MAC), or both',
  primary: 'preferred slave, one of the slaves (active-backup, balance-tlb, balance-alb)',
  mtu: '68 to 65535; the kernel gives the bond\'s MTU to its slaves',
  mac: 'first-slave (default: the permanent MAC of the first configured slave present), random, or a unicast MAC',
  backend: 'sysfs (default) or netlink: how bondd talks to the kernel for this bond',
  drift: 'observe, alert (default) or enforce: what bondd does when the live bond differs from the file',
  up: 'true (default): bring the bond up; false: configure it and leave it down',
};

function optionEntry(option: BondOption): string {
  const facts = [`Value: ${describeValues(option)}.`];
  if (option.default !== null) facts.push(`Default: ${Array.isArray(option.default) ? option.default.join(',') || '(none)' : String(option.default)}.`);
  if (option.modes.length < 7) facts.push(`Modes: ${option.modes.join(', ')}.`);
  if (option.aliases.length) facts.push(`Also spelled: ${option.aliases.join(', ')}.`);
  if (option.needsDown || option.needsNoSlaves) facts.push(`The kernel changes it only while the bond ${[option.needsDown ? 'is down' : '', option.needsNoSlaves ? 'has no slaves' : ''].filter(Boolean).join(' and ')}; bondd arranges that.`);
  if (option.sysfs === null) facts.push('netlink backend only.');
  return ['.TP', `.B ${roffText(option.name)}`, roffText(`${option.description}. ${facts.join(' ')}`)].join('\n');
}

export function bonddYamlPage(info: PageInfo, example: string): string {
  const keys = (entries: Record<string, string>) => Object.entries(entries).map(([k, v]) => ['.TP', `.B ${k}`, roffText(v)].join('\n')).join('\n');
  return [
    header('bondd.yaml', 5, info, 'bondd configuration file'),
    '.SH SYNOPSIS',
    '.I /etc/bondd/bondd.yaml',
    '.SH DESCRIPTION',
    'The bonds',
    '.BR bondd (8)',
    'keeps, as YAML 1.2. Every problem in the file is reported at once as file:line:column: key: what is wrong, and a file with errors changes nothing.',
    'Check a file with \\fBbondd \\-\\-check\\fR and see what would change with \\fBbondctl plan\\fR.',
    '.SH TOP LEVEL',
    keys(TOP_KEY_TEXT),
    '.SH BOND KEYS',
    keys(BOND_KEY_TEXT),
    '.SH VLAN KEYS',
    'Under vlans: ID: of a bond.',
    keys(VLAN_KEY_TEXT),
    '.SH BRIDGE KEYS',
    'Under bridge: of a bond or a VLAN. A bridge port carries no IP keys: the host talks through the bridge.',
    keys(BRIDGE_KEY_TEXT),
    '.SH BOND OPTIONS',
    'Under options: of a bond. Names are the sysfs file names; "\\-" may be written for "_".',
    ...BOND_OPTIONS.map(optionEntry),
    '.SH SLAVE OPTIONS',
    'In a slave\'s map, next to name: or mac:.',
    ...SLAVE_OPTIONS.map(optionEntry),
    '.SH EXAMPLE',
    verbatim(example),
    '.SH SEE ALSO',
    '.BR bondd (8),',
    '.BR bondctl (8)',
    '',
  ].join('\n');
}
