/**
 * The probe agent (probe-agent.ts) with a clock check in front, as the failover drill runs it:
 *
 *   node clocked-agent.js send|reflect ...     (the agent's own arguments)
 *
 * Before handing over to the agent it measures how far this process's epoch clock,
 * `performance.timeOrigin + performance.now()` (what the agent stamps ProbeResult.startMs with,
 * and what nowMs() returns in the drill), is from CLOCK_REALTIME (Date.now()), and writes that
 * error in ms to the file named by $BONDD_DRILL_CLOCK_FILE.
 *
 * Why: Node derives timeOrigin from a monotonic and a wall-clock sample taken at different
 * moments of its start-up. Natively they are microseconds apart; under emulation (the test VM)
 * or on a loaded machine the start-up can be descheduled between them, and the epoch of a
 * process is then off by a constant of up to tens of milliseconds (measured: 0.05–7.6 ms in an
 * idle VM, ~35 ms during a drill). Two processes comparing their stamps, the drill's events and
 * the agent's probes, need both errors to line faults up with the loss they cause.
 *
 * Only Node built-ins and the agent are imported: it must start as fast as the agent itself.
 */
import { writeFileSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { main } from './probe-agent.js';

/** Environment variable naming the file the error is written to. */
export const CLOCK_FILE_VAR = 'BONDD_DRILL_CLOCK_FILE';

/**
 * `performance.timeOrigin + performance.now()` minus the real time, in ms. Date.now() has 1 ms
 * steps, so the difference is averaged over samples taken within one Date.now() tick (each then
 * off by a uniform fraction of a ms, half a ms on average). Spins for about `budgetMs`.
 */
export function epochError(budgetMs = 40): number {
  let sum = 0;
  let n = 0;
  const end = Date.now() + budgetMs;
  for (let i = 0; i < 1_000_000; i++) {
    const a = Date.now();
    if (a >= end) break;
    const e = performance.timeOrigin + performance.now();
    const b = Date.now();
    if (a === b) {
      sum += e - a - 0.5;
      n++;
    }
  }
  return n > 0 ? sum / n : 0;
}

function isEntryPoint(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  const file = process.env[CLOCK_FILE_VAR];
  if (file) {
    try {
      writeFileSync(file, `${epochError()}\n`);
    } catch {
      /* the drill then assumes no error */
    }
  }
  void main(process.argv.slice(2));
}
