/**
 * Preloaded into a bondd process by a test (NODE_OPTIONS=--import=<this file>) to make its apply
 * slow enough to be killed midway: every operation that changes the kernel (KernelHost's own and
 * those of the bond backends it hands out) waits BONDD_SLOW_HOST_OPS_MS (default 300 ms) first.
 * Reads are not delayed. bondd itself has no such hook: this patches the compiled KernelHost
 * class of the same module instance the daemon uses.
 */
import { KernelHost } from '../../../dist/src/plan/host.js';

const delayMs = Number(process.env.BONDD_SLOW_HOST_OPS_MS ?? 300);
const pause = () => new Promise((resolve) => setTimeout(resolve, delayMs));

const HOST_CHANGES = ['loadModule', 'setMac', 'setMtu', 'setLinkUp', 'addAddress', 'addRoute'];
const BACKEND_CHANGES = new Set(['createBond', 'deleteBond', 'setOptions', 'enslave', 'release', 'setSlaveOptions', 'setUp']);

for (const name of HOST_CHANGES) {
  const original = KernelHost.prototype[name];
  KernelHost.prototype[name] = async function (...args) {
    await pause();
    return original.apply(this, args);
  };
}

const backend = KernelHost.prototype.backend;
KernelHost.prototype.backend = function (kind) {
  const real = backend.call(this, kind);
  return new Proxy(real, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function') return value;
      if (!BACKEND_CHANGES.has(prop)) return value.bind(target);
      return async (...args) => {
        await pause();
        return value.apply(target, args);
      };
    },
  });
};
