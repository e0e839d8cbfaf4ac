/**
 * The packaged program: one executable (a Node.js single executable application, see
 * scripts/package) installed once, with bondd and bondctl as links to it. It runs the command it
 * was started as: process.argv[1] is the name it was invoked by (/usr/sbin/bondd,
 * /usr/bin/bondctl). Each command's code is loaded only when that command runs (the bundler keeps
 * dynamic imports lazy), so bondctl does not pay for the daemon and the other way round.
 */
import { basename } from 'node:path';

async function start(): Promise<void> {
  const name = basename(process.argv[1] ?? '');
  if (name === 'bondd') {
    // The daemon's module runs itself when loaded.
    await import('../daemon/main.js');
  } else if (name === 'bondctl' && process.argv[2] === 'drill' && !process.argv.includes('--help')) {
    // The drill runs its probe agents as separate Node scripts from a checkout's dist/ and
    // builds its lab in the test VM: a development tool (docs/drill.md), not part of the package.
    process.stderr.write('bondctl: drill is a development tool and not part of the package: run it from a bondd checkout (docs/drill.md)\n');
    process.exit(2);
  } else if (name === 'bondctl') {
    (await import('../cli/main.js')).main();
  } else {
    process.stderr.write(`bondd: started as "${name}"; run this program as bondd or bondctl\n`);
    process.exit(2);
  }
}

void start();
