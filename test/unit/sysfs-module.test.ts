/**
 * Module loading decisions over fake /sys trees, with fake modprobe programs (the host kernel has
 * no bonding driver; the real modprobe runs in test/guest/sysfs-backend.test.ts).
 */
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { BondError } from '../../src/bond/errors.js';
import { bondingAvailable, bondingStatus, ensureBondingLoaded } from '../../src/sysfs/module.js';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bondd-sysfs-module-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function tree(name: string, files: string[]): Promise<string> {
  const root = join(dir, name);
  for (const file of files) {
    await mkdir(join(root, file, '..'), { recursive: true });
    await writeFile(join(root, file), '');
  }
  await mkdir(root, { recursive: true });
  return root;
}

/** A fake modprobe that logs its arguments, runs `then` (shell) and exits with `code`. */
async function fakeModprobe(name: string, body: string): Promise<{ path: string; log: string }> {
  const path = join(dir, name);
  const log = `${path}.log`;
  await writeFile(path, `#!/bin/sh\necho "$@" >> '${log}'\n${body}\n`);
  await chmod(path, 0o755);
  return { path, log };
}

async function rejection(promise: Promise<unknown>): Promise<BondError> {
  const error = await promise.then(() => null, (e: unknown) => e);
  expect(error).toBeInstanceOf(BondError);
  return error as BondError;
}

describe('bonding driver status', () => {
  it('is initialised when bonding_masters exists, built in without initstate', async () => {
    const loaded = await tree('loaded', ['class/net/bonding_masters', 'module/bonding/initstate']);
    const builtIn = await tree('builtin', ['module/bonding/parameters/max_bonds']);
    const halfway = await tree('halfway', ['module/bonding/initstate']);
    const none = await tree('none', ['class/net/lo/flags']);
    expect(await bondingStatus({ sysRoot: loaded })).toBe('initialised');
    expect(await bondingStatus({ sysRoot: builtIn })).toBe('built-in');
    expect(await bondingStatus({ sysRoot: halfway })).toBe('absent');
    expect(await bondingStatus({ sysRoot: none })).toBe('absent');
    expect(await bondingAvailable({ sysRoot: builtIn })).toBe(true);
    expect(await bondingAvailable({ sysRoot: none })).toBe(false);
  });
});

describe('ensureBondingLoaded', () => {
  it('does nothing when the driver is there', async () => {
    const modprobe = await fakeModprobe('modprobe-unused', 'exit 0');
    await ensureBondingLoaded({ sysRoot: await tree('ok', ['class/net/bonding_masters']), modprobe: modprobe.path });
    await ensureBondingLoaded({ sysRoot: await tree('ok2', ['module/bonding/parameters/mode']), modprobe: modprobe.path });
    await expect(readFile(modprobe.log, 'utf8')).rejects.toThrow();
  });

  it('runs modprobe bonding max_bonds=0 once for concurrent callers', async () => {
    const sysRoot = await tree('load', ['class/net/lo/flags']);
    const modprobe = await fakeModprobe('modprobe-ok', `sleep 0.2; : > '${join(sysRoot, 'class/net/bonding_masters')}'`);
    await Promise.all([1, 2, 3].map(() => ensureBondingLoaded({ sysRoot, modprobe: modprobe.path })));
    expect(await readFile(modprobe.log, 'utf8')).toBe('bonding max_bonds=0\n');
  });

  it("explains a failing modprobe with modprobe's own words", async () => {
    const sysRoot = await tree('fail', ['class/net/lo/flags']);
    const modprobe = await fakeModprobe('modprobe-fail', "echo 'modprobe: FATAL: Module bonding not found in directory /lib/modules/x' >&2; exit 1");
    const error = await rejection(ensureBondingLoaded({ sysRoot, modprobe: modprobe.path }));
    expect(error.message).toMatch(/^the bonding driver is not available on this kernel: modprobe: FATAL: Module bonding not found/);
    expect(error.code).toBe('ENOMODULE');
  });

  it('explains a missing modprobe, and a load that changed nothing', async () => {
    const sysRoot = await tree('missing', ['class/net/lo/flags']);
    const missing = await rejection(ensureBondingLoaded({ sysRoot, modprobe: join(dir, 'no-such-modprobe') }));
    expect(missing.message).toMatch(/not available on this kernel: .*no-such-modprobe was not found/);
    const noop = await fakeModprobe('modprobe-noop', 'exit 0');
    const nothing = await rejection(ensureBondingLoaded({ sysRoot, modprobe: noop.path }));
    expect(nothing.message).toMatch(/bonding_masters did not appear/);
  });

  it('gives up on a modprobe that hangs', async () => {
    const sysRoot = await tree('hang', ['class/net/lo/flags']);
    const modprobe = await fakeModprobe('modprobe-hang', 'exec sleep 10');
    const error = await rejection(ensureBondingLoaded({ sysRoot, modprobe: modprobe.path, timeoutMs: 200 }));
    expect(error.message).toMatch(/did not finish within 200 ms/);
  });
});
