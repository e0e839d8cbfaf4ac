/**
 * Spawns probe agents (src/drill/probe-agent.ts) inside network namespaces:
 * `ip netns exec <ns> <node> <dist/src/drill/probe-agent.js> ...`, always with argument arrays.
 *
 * Children are killed on stop(), on their own time limit (max-seconds plus a grace period),
 * and when this process exits, so a failing drill never leaves an agent behind.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PacingMode, ProbeResult, ReflectorSummary } from './probe-agent.js';

export type { PacingMode, ProbeResult, ReflectorSummary, StopReason } from './probe-agent.js';

/** How long past its own --max-seconds an agent may run before it is sent SIGTERM. */
const GRACE_MS = 3000;
/** How long after SIGTERM an agent is given before SIGKILL. */
const KILL_AFTER_MS = 2000;
/** How long an agent may take to bind its socket. */
const READY_TIMEOUT_MS = 10_000;
const NETNS_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/;

/**
 * Wall-clock epoch milliseconds with sub-millisecond precision, on the same clock as
 * ProbeResult.startMs. Stamp drill events with this so analysis can align them.
 */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

export class ProbeAgentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProbeAgentError';
  }
}

/**
 * Path of the compiled agent. From dist/src/drill/probe.js it is the sibling probe-agent.js;
 * when this module runs from source (vitest), it is <repo>/dist/src/drill/probe-agent.js,
 * which must exist and not be older than src/drill/probe-agent.ts.
 */
export function probeAgentPath(): string {
  const here = fileURLToPath(import.meta.url);
  const fromSource = !here.endsWith('.js');
  const agent = fromSource ? resolve(dirname(here), '../../dist/src/drill/probe-agent.js') : resolve(dirname(here), 'probe-agent.js');
  if (!existsSync(agent)) {
    throw new ProbeAgentError(`probe agent not built: ${agent} does not exist; run \`npx tsc -p tsconfig.json\` first`);
  }
  if (fromSource) {
    const source = resolve(dirname(here), 'probe-agent.ts');
    if (existsSync(source) && statSync(source).mtimeMs > statSync(agent).mtimeMs) {
      throw new ProbeAgentError(`probe agent is stale: ${agent} is older than ${source}; run \`npx tsc -p tsconfig.json\``);
    }
  }
  return agent;
}

interface AgentBase {
  /** Namespace to run in (`ip netns exec`); omitted: the current namespace. */
  netns?: string;
  maxSeconds: number;
  /** Overrides probeAgentPath() (e.g. a copy shipped elsewhere). */
  agentPath?: string;
}

export interface ReflectorOptions extends AgentBase {
  /** ADDR:PORT or [V6ADDR]:PORT; port 0 picks a free port (see ReflectorHandle.bound). */
  bind: string;
}

export interface ReflectorHandle {
  pid: number;
  /** The address the reflector is bound to (with the real port). */
  bound: string;
  /** Resolves with the summary when the reflector ends (time limit or stop()). */
  done: Promise<ReflectorSummary>;
  stop(): Promise<ReflectorSummary>;
}

export interface ProbeOptions extends AgentBase {
  /** Reflector address, ADDR:PORT or [V6ADDR]:PORT. */
  to: string;
  /** Probes per second. */
  rate: number;
  count: number;
  /** Source address, ADDR[:PORT] or [V6ADDR][:PORT]. */
  bind?: string;
  /** Wait for the last echoes after the count is sent (default 200 ms). */
  drainMs?: number;
  /** spin (default): µs-accurate sends and receive stamps, one busy core; sleep: µs-accurate sends, receive stamps up to 250 µs late, low CPU; timer: ~1 ms send jitter, nearly idle. */
  pacing?: PacingMode;
  /** Datagram size in bytes, 24-1472 (default 24). */
  size?: number;
  /** 16 hex digits (default random). */
  runId?: string;
}

export interface ProbeHandle {
  pid: number;
  /** Resolves with the epoch ms (nowMs clock) of the first probe; rejects if the agent fails first. */
  started: Promise<number>;
  /** Resolves with the agent's result; rejects if it fails or is killed without printing one. */
  done: Promise<ProbeResult>;
  /** Ends the stream early (SIGTERM: the agent drains ≤ 100 ms and still reports). */
  stop(): void;
}

const live = new Set<ChildProcess>();
let exitHook = false;

function killAllOnExit(): void {
  if (exitHook) return;
  exitHook = true;
  process.once('exit', () => {
    for (const child of live) child.kill('SIGKILL');
  });
}

interface Agent {
  child: ChildProcess;
  /** Lines on stderr that are not protocol lines, for error messages. */
  log(): string;
  onLine(handler: (line: string) => void): void;
  /** Resolves with the last stdout line parsed as JSON. */
  result: Promise<unknown>;
  terminate(): void;
}

function spawnAgent(base: AgentBase, args: string[], what: string): Agent {
  const agent = base.agentPath ?? probeAgentPath();
  if (!existsSync(agent)) throw new ProbeAgentError(`${what}: probe agent ${agent} does not exist`);
  if (base.netns !== undefined && !NETNS_NAME.test(base.netns)) {
    throw new ProbeAgentError(`${what}: "${base.netns}" is not a valid namespace name`);
  }
  if (!(base.maxSeconds > 0)) throw new ProbeAgentError(`${what}: maxSeconds must be positive`);
  const argv = [agent, ...args, '--max-seconds', String(base.maxSeconds), '--ready'];
  const [file, fileArgs] =
    base.netns === undefined ? [process.execPath, argv] : ['ip', ['netns', 'exec', base.netns, process.execPath, ...argv]];
  killAllOnExit();
  // `ip netns exec` execs the command in place, so the child's pid is the agent's pid.
  const child = spawn(file, fileArgs, { stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);

  let stdout = '';
  let stderrTail = '';
  let partial = '';
  const handlers: Array<(line: string) => void> = [];
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    partial += chunk;
    let nl: number;
    while ((nl = partial.indexOf('\n')) >= 0) {
      const line = partial.slice(0, nl);
      partial = partial.slice(nl + 1);
      if (/^(ready|started) /.test(line)) for (const h of handlers) h(line);
      else stderrTail = (stderrTail + line + '\n').slice(-4000);
    }
  });

  let killTimer: NodeJS.Timeout | undefined;
  const terminate = (): void => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    killTimer ??= setTimeout(() => child.kill('SIGKILL'), KILL_AFTER_MS);
  };
  const limit = setTimeout(terminate, base.maxSeconds * 1000 + GRACE_MS);

  const result = new Promise<unknown>((resolvePromise, reject) => {
    child.once('error', (error) => {
      clearTimeout(limit);
      live.delete(child);
      reject(new ProbeAgentError(`${what}: cannot start ${file}: ${error.message}`));
    });
    child.once('close', (code, signal) => {
      clearTimeout(limit);
      clearTimeout(killTimer);
      live.delete(child);
      const log = (stderrTail + partial).trim();
      const last = stdout.trim().split('\n').pop() ?? '';
      if (code === 0 && last.startsWith('{')) {
        try {
          resolvePromise(JSON.parse(last));
          return;
        } catch {
          /* fall through to the error below */
        }
      }
      const how = signal ? `was killed by ${signal}` : `exited with status ${code}`;
      reject(new ProbeAgentError(`${what}: agent ${how} without a result${log ? `: ${log}` : ''}`));
    });
  });
  return {
    child,
    log: () => stderrTail,
    onLine: (h) => handlers.push(h),
    result,
    terminate,
  };
}

/** Starts a UDP echo responder and resolves once its socket is bound. */
export async function startReflector(options: ReflectorOptions): Promise<ReflectorHandle> {
  const what = `reflector ${options.bind}${options.netns ? ` in ${options.netns}` : ''}`;
  const agent = spawnAgent(options, ['reflect', '--bind', options.bind], what);
  const done = agent.result as Promise<ReflectorSummary>;
  const bound = await new Promise<string>((resolvePromise, reject) => {
    const timer = setTimeout(() => {
      agent.terminate();
      reject(new ProbeAgentError(`${what}: not ready after ${READY_TIMEOUT_MS} ms`));
    }, READY_TIMEOUT_MS);
    agent.onLine((line) => {
      if (!line.startsWith('ready ')) return;
      clearTimeout(timer);
      resolvePromise(line.slice(6).trim());
    });
    done.then(
      () => {
        clearTimeout(timer);
        reject(new ProbeAgentError(`${what}: ended before it was ready`));
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
  return {
    pid: agent.child.pid!,
    bound,
    done,
    stop: () => {
      agent.terminate();
      return done;
    },
  };
}

/** Starts a probe stream; see ProbeHandle. */
export function runProbe(options: ProbeOptions): ProbeHandle {
  const what = `probe to ${options.to}${options.netns ? ` in ${options.netns}` : ''}`;
  const args = ['send', '--to', options.to, '--rate', String(options.rate), '--count', String(options.count)];
  if (options.bind !== undefined) args.push('--bind', options.bind);
  if (options.drainMs !== undefined) args.push('--drain-ms', String(options.drainMs));
  if (options.pacing !== undefined) args.push('--pacing', options.pacing);
  if (options.size !== undefined) args.push('--size', String(options.size));
  if (options.runId !== undefined) args.push('--run-id', options.runId);
  const agent = spawnAgent(options, args, what);
  const done = agent.result as Promise<ProbeResult>;
  const started = new Promise<number>((resolvePromise, reject) => {
    agent.onLine((line) => {
      if (line.startsWith('started ')) resolvePromise(Number(line.slice(8)));
    });
    done.then(
      (r) => resolvePromise(r.startMs),
      (error: unknown) => reject(error),
    );
  });
  // Nobody may await `started`; its rejection is reported through `done` as well.
  started.catch(() => undefined);
  return { pid: agent.child.pid!, started, done, stop: agent.terminate };
}
