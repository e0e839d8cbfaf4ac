/**
 * A configuration that asks for DHCP on any layer is only valid where dhcpcd is installed: the
 * daemon refuses it at load time (start, reload, --check) with the place DHCP was asked for,
 * instead of failing when the first lease is due.
 */
import { ConfigError } from '../config/errors.js';
import type { DesiredConfig } from '../config/types.js';
import { DHCPCD_PATHS, dhcpWants, findDhcpcd } from './client.js';

export function requireDhcpClient(config: Pick<DesiredConfig, 'bonds' | 'source'>, program: string | null = findDhcpcd()): void {
  if (program !== null) return;
  const want = dhcpWants(config)[0];
  if (!want) return;
  const o = want.origin;
  throw new ConfigError([
    {
      file: o?.file ?? config.source,
      line: o?.line ?? 0,
      ...(o?.column !== undefined ? { column: o.column } : {}),
      path: `${want.device}.dhcp`,
      message: `DHCP needs the client dhcpcd, which is not installed (looked for ${DHCPCD_PATHS.join(', ')}): install dhcpcd-base`,
    },
  ]);
}
