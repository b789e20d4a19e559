#!/usr/bin/env bash
# Makes the PostgreSQL server binaries available for the test harness (dev.phasegate.testing.PostgresCluster),
# which runs its own throw-away clusters; the distribution's own cluster service must not be left running.
# Idempotent and silent on success; prints the apt log on failure.
set -euo pipefail

have_server_binaries() {
  compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null
}

if ! have_server_binaries; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "install-postgres.sh: PostgreSQL server binaries missing and not root; install the 'postgresql' package" >&2
    exit 1
  fi
  log=$(mktemp)
  trap 'rm -f "$log"' EXIT
  # policy-rc.d exit 101 asks invoke-rc.d not to start services from maintainer scripts.
  policy_created=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
    policy_created=1
  fi
  if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        postgresql; } >"$log" 2>&1; then
    [ "$policy_created" -eq 1 ] && rm -f /usr/sbin/policy-rc.d
    echo "install-postgres.sh: apt-get install postgresql failed:" >&2
    cat "$log" >&2
    exit 1
  fi
  [ "$policy_created" -eq 1 ] && rm -f /usr/sbin/policy-rc.d
  # Belt and braces in case a service got started anyway: the harness never uses the Debian cluster.
  if command -v pg_lsclusters >/dev/null 2>&1; then
    pg_lsclusters --no-header 2>/dev/null | while read -r ver name _; do
      pg_ctlcluster --force "$ver" "$name" stop >/dev/null 2>&1 || true
    done
  fi
  service postgresql stop >/dev/null 2>&1 || true
  if ! have_server_binaries; then
    echo "install-postgres.sh: postgresql installed but no /usr/lib/postgresql/*/bin/initdb found" >&2
    exit 1
  fi
fi

# The harness drops from root to this user because the server refuses to run as root.
if ! getent passwd postgres >/dev/null; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "install-postgres.sh: OS user 'postgres' missing and not root" >&2
    exit 1
  fi
  useradd --system --user-group --home-dir /var/lib/postgresql --shell /bin/bash postgres
fi
