/**
 * First boot of the reboot test (project systemd-prepare, run after the systemd suite in the same
 * boot; test/systemd/reboot/after.test.ts checks the second boot on the same disk). Sets the
 * machine up as an operator would: bondd installed and enabled with a bond over two NICs, and
 * systemd-networkd enabled with a catch-all DHCP .network (as on cloud images) next to one link
 * it really manages. Then an apply with a confirm window is left unconfirmed when the guest
 * powers off.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { addresses, assertSystemdGuest, bondctl, installBondd, isInstalled, link, must, sh, writeConfig } from '../helpers.js';

export const REBOOT_BOND = 'sdr0';

export function rebootConfig(addrs: string[]): string {
  return ['version: 1', 'bonds:', `  ${REBOOT_BOND}:`, '    mode: active-backup', '    options:', '      miimon: 100', '    slaves:', '      - sdr0a', '      - sdr1a', '    addresses:', ...addrs.map((a) => `      - ${a}`), ''].join('\n');
}

// The "NICs": veths made at boot, before bondd and networkd, their peers in a namespace so that
// networkd in the host namespace sees only bondd's devices and sdm0.
const NICS_UNIT = `[Unit]
Description=bondd reboot test: the NICs (veth pairs, peers in namespace sdpeers)
DefaultDependencies=no
After=systemd-udevd.service
Before=bondd.service systemd-networkd.service network-pre.target
Wants=network-pre.target network-online.target

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/usr/sbin/ip netns add sdpeers
ExecStart=/usr/sbin/ip link add sdr0a type veth peer name sdr0p netns sdpeers
ExecStart=/usr/sbin/ip link add sdr1a type veth peer name sdr1p netns sdpeers
ExecStart=/usr/sbin/ip link add sdm0 type veth peer name sdm0p netns sdpeers
ExecStart=/usr/sbin/ip -n sdpeers link set sdr0p up
ExecStart=/usr/sbin/ip -n sdpeers link set sdr1p up
ExecStart=/usr/sbin/ip -n sdpeers link set sdm0p up

[Install]
WantedBy=sysinit.target
`;

describe('reboot, first boot: enable bondd, leave an apply unconfirmed', () => {
  it('sets up NICs, networkd with a catch-all .network, bondd enabled, and an unconfirmed apply', async () => {
    assertSystemdGuest();
    if (!isInstalled()) expect((await installBondd()).code).toBe(0);
    await sh('systemctl', ['stop', 'bondd']);
    await sh('rm', ['-f', '/var/lib/bondd/pending-confirm.json', '/var/lib/bondd/rejected.json']);
    await writeFile('/etc/systemd/system/sdtest-nics.service', NICS_UNIT);
    await mkdir('/etc/systemd/network', { recursive: true });
    await writeFile('/etc/systemd/network/10-sdm0.network', '[Match]\nName=sdm0\n\n[Network]\nAddress=192.0.2.200/24\nLinkLocalAddressing=no\n');
    await writeFile('/etc/systemd/network/99-catchall.network', '[Match]\nName=*\n\n[Network]\nDHCP=yes\n');
    await must('systemctl', ['daemon-reload']);
    await must('systemctl', ['enable', 'sdtest-nics.service', 'systemd-networkd.service', 'systemd-networkd-wait-online.service']);
    await must('systemctl', ['start', 'sdtest-nics.service']);
    await writeConfig(rebootConfig(['203.0.113.10/24']));
    // The operator's configuration names a bond: install enables the service.
    const r = await installBondd();
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect((await sh('systemctl', ['is-enabled', 'bondd'])).stdout.trim()).toBe('enabled');
    await must('systemctl', ['start', 'bondd']);
    expect(addresses(await link(REBOOT_BOND))).toContain('203.0.113.10/24');
    await writeConfig(rebootConfig(['203.0.113.10/24', '203.0.113.20/24']));
    const applied = await bondctl(['apply', '--confirm-within', '30m']);
    expect(applied.code, applied.stderr).toBe(0);
    expect(addresses(await link(REBOOT_BOND))).toContain('203.0.113.20/24');
    await must('sync', []);
  });
});
