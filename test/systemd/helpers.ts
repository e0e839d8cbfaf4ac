/**
 * Helpers for the systemd suite. It runs inside the QEMU guest booted with the host's systemd as
 * PID 1 and Debian's udev (scripts/guest with BONDD_GUEST_INIT=systemd): the guest is a whole
 * throwaway machine, so tests install bondd the way an operator does (scripts/install into
 * /usr/local, unit in /etc/systemd/system) and drive it with systemctl. Every interface they
 * create has a name starting with "sd" and is removed again; addresses are documentation ones.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '../..');
export const CONFIG = '/etc/bondd/bondd.yaml';

export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command (argv, no shell); never throws: the caller looks at the code. */
export function sh(cmd: string, args: string[], options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<Result> {
  return new Promise((done) => {
    execFile(cmd, args, { env: options.env ?? process.env, timeout: options.timeoutMs ?? 180_000, maxBuffer: 16 << 20 }, (error, stdout, stderr) => {
      const code = error ? (typeof (error as { code?: unknown }).code === 'number' ? ((error as { code: number }).code) : 255) : 0;
      done({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

/** Like sh, but a non-zero exit is an error naming the command and its output. */
export async function must(cmd: string, args: string[], options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<string> {
  const r = await sh(cmd, args, options);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.code}:\n${r.stdout}${r.stderr}`);
  return r.stdout;
}

export function assertSystemdGuest(): void {
  const init = readFileSync('/proc/1/comm', 'utf8').trim();
  if (init !== 'systemd') throw new Error(`this suite needs systemd as PID 1 (scripts/guest with BONDD_GUEST_INIT=systemd); PID 1 is ${init}`);
}

/** `systemctl show -p NAME unit` values. */
export async function unitProps(unit: string, ...names: string[]): Promise<Record<string, string>> {
  const out = await must('systemctl', ['show', unit, ...names.flatMap((n) => ['-p', n])]);
  return Object.fromEntries(out.trim().split('\n').filter(Boolean).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
}

export async function waitFor<T>(what: string, fn: () => Promise<T | undefined | null | false>, timeoutMs = 60_000, stepMs = 250): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

/** Installs bondd with scripts/install (once per boot); returns its output. */
export async function installBondd(args: string[] = []): Promise<Result> {
  return sh('bash', [`${ROOT}/scripts/install`, ...args], { timeoutMs: 600_000 });
}

export async function writeConfig(text: string): Promise<void> {
  await mkdir('/etc/bondd', { recursive: true });
  await writeFile(CONFIG, text);
}

/** A veth pair whose peer is up (so the slave gets carrier once it is up). */
export async function vethPair(name: string, peer: string): Promise<void> {
  await sh('ip', ['link', 'del', name]);
  await must('ip', ['link', 'add', name, 'type', 'veth', 'peer', 'name', peer]);
  await must('ip', ['link', 'set', peer, 'up']);
}

export async function delLinks(...names: string[]): Promise<void> {
  for (const n of names) await sh('ip', ['link', 'del', n]);
}

export interface LinkInfo {
  ifname: string;
  ifindex: number;
  address: string;
  master?: string;
  operstate: string;
  flags: string[];
  addr_info?: Array<{ local: string; prefixlen: number }>;
}

export async function link(name: string): Promise<LinkInfo | null> {
  const r = await sh('ip', ['-j', 'addr', 'show', 'dev', name]);
  if (r.code !== 0) return null;
  return (JSON.parse(r.stdout) as LinkInfo[])[0] ?? null;
}

export function addresses(l: LinkInfo | null): string[] {
  return (l?.addr_info ?? []).map((a) => `${a.local}/${a.prefixlen}`);
}

/** `ip -o monitor link` in the background: stop() returns the lines that name one of `names`. */
export function monitorLinks(names: string[]): { stop(): Promise<string[]> } {
  const child: ChildProcess = spawn('ip', ['-o', 'monitor', 'link'], { stdio: ['ignore', 'pipe', 'ignore'] });
  let text = '';
  child.stdout!.on('data', (c: Buffer) => (text += c.toString()));
  return {
    async stop() {
      // ip prints events as they come; give the last ones a moment, then stop it.
      await new Promise((r) => setTimeout(r, 500));
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      const re = new RegExp(`:\\s(${names.join('|')})[@:]`);
      return text.split('\n').filter((l) => re.test(l));
    },
  };
}

export interface JournalLine {
  MESSAGE: string;
  PRIORITY: string;
  _PID?: string;
}

/** bondd.service's journal lines since `since` (a `date +%s.%N`-style epoch string). */
export async function journal(since: string, extra: string[] = []): Promise<JournalLine[]> {
  await sh('journalctl', ['--sync']);
  const out = await must('journalctl', ['-u', 'bondd.service', '--since', `@${since}`, '-o', 'json', '--no-pager', ...extra]);
  return out
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as JournalLine)
    .map((j) => ({ ...j, MESSAGE: Array.isArray(j.MESSAGE) ? Buffer.from(j.MESSAGE as unknown as number[]).toString() : String(j.MESSAGE) }));
}

export function nowEpoch(): string {
  return (Date.now() / 1000).toFixed(3);
}

export async function bondctl(args: string[], env?: NodeJS.ProcessEnv): Promise<Result> {
  return sh('/usr/local/bin/bondctl', args, env ? { env } : {});
}

export function isInstalled(): boolean {
  return existsSync('/usr/local/bin/bondd') && existsSync('/etc/systemd/system/bondd.service');
}
