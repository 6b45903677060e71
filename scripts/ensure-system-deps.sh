#!/usr/bin/env bash
# Installs the Debian packages the test suites use for real (nginx, started by the bridge's and the
# HotROD example's tests; openssl, whose CLI makes the collector tests' certificates; chromium,
# which the web UI's and the HotROD example's browser tests drive) when they are missing and we are
# root; otherwise says what is missing. Safe to run repeatedly.
set -euo pipefail
need=()
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need+=(nginx)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
# the web UI's end-to-end tests drive Debian's Chromium (playwright-core, executablePath /usr/bin/chromium)
command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || need+=(chromium)
# PostgreSQL server binaries (initdb, postgres); the tests make throw-away clusters with them
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
missing_msg() { echo "crosstrace: missing system packages: ${need[*]} (apt-get install -y ${need[*]})" >&2; }
if [ "${#need[@]}" -eq 0 ]; then exit 0; fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then missing_msg; exit 1; fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
# Debian starts services on install; the tests start their own instances on loopback.
if command -v service >/dev/null 2>&1; then
  service nginx stop >/dev/null 2>&1 || true
  service postgresql stop >/dev/null 2>&1 || true
fi
echo "crosstrace: installed ${need[*]}"
