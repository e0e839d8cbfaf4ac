import { defineConfig } from 'vitest/config';

// Three projects, run by scripts/test:
//   unit  - pure tests, parallel, on the host
//   host  - tests against the host kernel inside network namespaces (root). One file at a time
//           in forked processes: namespaces, netlink sockets and the RTNL lock are shared
//           kernel state, and a native addon is safer in a process than in worker threads.
//   guest - tests that need the real bonding driver. scripts/test runs this project inside ONE
//           QEMU guest (scripts/guest); user code there is about 20x slower than on the host,
//           hence the long timeouts.
//   systemd, systemd-prepare, systemd-after - bondd installed and run by systemd 252 with udev:
//           scripts/systemd-suite boots the guest with systemd as PID 1 (BONDD_GUEST_INIT=systemd)
//           on a disk image, runs systemd (every test/systemd/*.test.ts) and systemd-prepare in
//           the first boot and systemd-after in a second boot on the same disk (a reboot).
export default defineConfig({
  test: {
    // A run whose filter matches no test file fails (every project has tests; a typo in a file
    // name must not pass). A run whose tests are all skipped is caught by scripts/test.
    passWithNoTests: false,
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
        extends: true,
        test: {
          name: 'host',
          include: ['test/host/**/*.test.ts'],
          environment: 'node',
          pool: 'forks',
          fileParallelism: false,
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'guest',
          include: ['test/guest/**/*.test.ts'],
          environment: 'node',
          pool: 'forks',
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
      ...[
        ['systemd', 'test/systemd/*.test.ts'],
        ['systemd-prepare', 'test/systemd/reboot/prepare.test.ts'],
        ['systemd-after', 'test/systemd/reboot/after.test.ts'],
      ].map(([name, include]) => ({
        extends: true as const,
        test: {
          name: name!,
          include: [include!],
          environment: 'node',
          pool: 'forks' as const,
          fileParallelism: false,
          // A systemd guest runs one thing at a time; installs and unit starts are slow under TCG.
          testTimeout: 300_000,
          hookTimeout: 300_000,
        },
      })),
    ],
  },
});
