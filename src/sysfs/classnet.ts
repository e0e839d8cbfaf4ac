/**
 * Reads interface facts straight from /sys/class/net.
 *
 * Cheaper and more complete than any process-spawning library: slaves carry no IP address, so
 * tools built on os.networkInterfaces() do not see them at all. Attributes that a driver cannot
 * report (speed and duplex on a down or virtual NIC) fail with EINVAL, or read as -1/"unknown";
 * both become null here.
 */
import { readFile, readdir } from 'node:fs/promises';
import { sysClassNetPath, validateIfname } from '../bond/names.js';

export const SYS_CLASS_NET = '/sys/class/net';

async function readAttr(name: string, attr: string): Promise<string | null> {
  try {
    return (await readFile(sysClassNetPath(name, attr), 'utf8')).trim();
  } catch {
    return null;
  }
}

export interface ClassNetLink {
  name: string;
  speedMbps: number | null;
  duplex: 'full' | 'half' | null;
  carrier: boolean | null;
  operstate: string | null;
  mtu: number | null;
  address: string | null;
}

export async function readSpeedDuplex(name: string): Promise<{ speedMbps: number | null; duplex: 'full' | 'half' | null }> {
  validateIfname(name);
  const [speed, duplex] = await Promise.all([readAttr(name, 'speed'), readAttr(name, 'duplex')]);
  const mbps = speed === null ? NaN : Number.parseInt(speed, 10);
  return {
    speedMbps: Number.isFinite(mbps) && mbps > 0 ? mbps : null,
    duplex: duplex === 'full' || duplex === 'half' ? duplex : null,
  };
}

export async function readClassNetLink(name: string): Promise<ClassNetLink> {
  validateIfname(name);
  const [sd, carrier, operstate, mtu, address] = await Promise.all([
    readSpeedDuplex(name),
    readAttr(name, 'carrier'),
    readAttr(name, 'operstate'),
    readAttr(name, 'mtu'),
    readAttr(name, 'address'),
  ]);
  return {
    name,
    ...sd,
    carrier: carrier === null ? null : carrier === '1',
    operstate,
    mtu: mtu === null ? null : Number(mtu),
    address,
  };
}

/** Interface names in /sys/class/net (plain directory entries; bonding_masters excluded). */
export async function listInterfaces(): Promise<string[]> {
  const entries = await readdir(SYS_CLASS_NET);
  return entries.filter((e) => e !== 'bonding_masters').sort();
}
