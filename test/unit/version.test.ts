/**
 * --version (src/version/info.ts): the bonding driver's state from a fake sysfs and modules
 * tree, and what bondctl prints (in process; a development checkout, so the commit comes from git).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { driverState, formatVersion, moduleInstalled } from '../../src/version/info.js';
import { harness } from './cli-fakes.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'bondd-version-'));
  dirs.push(root);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

const DEP = 'kernel/drivers/net/bonding/bonding.ko.xz: kernel/net/tls/tls.ko.xz\nkernel/net/tls/tls.ko.xz:\n';

describe('driverState', () => {
  it('initialised when bonding_masters exists', async () => {
    const root = tree({ 'sys/class/net/bonding_masters': '', 'sys/module/bonding/initstate': 'live\n' });
    expect(await driverState('6.1.0-test', join(root, 'sys'), join(root, 'modules'))).toBe('initialised');
  });

  it('loadable when only modules.dep lists it, missing when it does not', async () => {
    const root = tree({ 'sys/class/net/lo/mtu': '65536\n', 'modules/6.1.0-test/modules.dep': DEP, 'modules/6.1.0-other/modules.dep': 'kernel/net/tls/tls.ko:\n' });
    expect(await driverState('6.1.0-test', join(root, 'sys'), join(root, 'modules'))).toBe('loadable');
    expect(await driverState('6.1.0-other', join(root, 'sys'), join(root, 'modules'))).toBe('missing');
    expect(moduleInstalled('6.1.0-none', join(root, 'modules'))).toBe(false);
  });
});

describe('formatVersion', () => {
  it('names version, commit, node and the driver', () => {
    const text = formatVersion('bondd', { version: '1.2.3', commit: 'abcdef123456', node: 'v20.20.2', kernel: '6.1.0-test', bonding: 'loadable' });
    expect(text).toBe('bondd 1.2.3\ncommit:  abcdef123456\nnode:    v20.20.2\nkernel:  6.1.0-test, bonding driver installed as a module, not loaded yet (bondd loads it)\n');
  });
});

describe('bondctl --version', () => {
  it('prints the package version and the running Node, exit 0, without touching kernel or daemon', async () => {
    const h = harness();
    expect(await h.run('--version')).toBe(0);
    expect(h.stdout).toMatch(/^bondctl \d+\.\d+\.\d+\ncommit: {2}\S+ \(development checkout\)\nnode: {4}v\d+\.\d+\.\d+\nkernel: {2}\S+, bonding driver /);
    expect(h.stdout).toContain(`node:    ${process.version}`);
    expect(h.touched).toEqual([]);
  });
});
