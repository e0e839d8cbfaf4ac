#!/bin/sh
# without-node.sh COMMAND [ARG...]: runs COMMAND as on a host without Node.js or a compiler.
# Call it through `unshare --mount --propagation private` so that the masks stay in a mount
# namespace of its own: node, npm, npx, corepack and the C/C++ compilers are covered by
# /dev/null (a character device is not executable, so they are neither found on PATH nor
# runnable by absolute path), and PATH is the standard one. Anything the command starts (the
# package's maintainer scripts, bondd) inherits that.
# With BONDD_TEST_RUN=DIR, DIR is bound over /run: the guest's own start-up keeps its files in
# /run/bondd, which the package's purge (rightly) deletes, so the test gives the package a /run
# of its own, as a fresh tmpfs /run would be on a host.
set -eu
if [ -n "${BONDD_TEST_RUN:-}" ]; then
  mount --bind "$BONDD_TEST_RUN" /run
fi
for program in node nodejs npm npx corepack node-gyp gcc cc g++ c++ cpp; do
  for dir in /usr/local/sbin /usr/local/bin /usr/sbin /usr/bin /sbin /bin; do
    [ -e "$dir/$program" ] || continue
    target=$(readlink -f "$dir/$program")
    [ -c "$target" ] || mount --bind /dev/null "$target"
  done
done
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export PATH
for program in node npm gcc cc; do
  if command -v "$program" >/dev/null 2>&1; then
    echo "without-node: $program is still on PATH" >&2
    exit 99
  fi
done
exec "$@"
