#!/usr/bin/env bash
# Installs the servers the test suite runs for real: Debian's redis-server (the X-Ray exporter's
# shared epoch store is tested against a real Redis, started on a free port by
# scripts/redis-test-server.ts). Run by `npm test` (pretest) and by .ci/run. Does nothing when
# redis-server is already on the PATH. Where it cannot install (no apt-get, not root and no
# passwordless sudo), it says so and lets the suite run: the Redis tests then fail with the hint.
set -u
command -v redis-server >/dev/null 2>&1 && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-test-deps: redis-server is missing and apt-get is not available; install Redis by hand for the X-Ray epoch-store tests." >&2
  exit 0
fi
if [ "$(id -u)" -eq 0 ]; then
  SUDO=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  SUDO="sudo -n"
else
  echo "install-test-deps: redis-server is missing; run: sudo apt-get install -y redis-server" >&2
  exit 0
fi

echo "install-test-deps: installing redis-server with apt-get (needed by the X-Ray epoch-store tests)" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq && $SUDO apt-get install -y -qq redis-server >/dev/null \
  || echo "install-test-deps: apt-get could not install redis-server; the Redis tests will fail with a hint." >&2
exit 0
