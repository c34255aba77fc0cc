#!/usr/bin/env bash
# `npm test`: install what the suite needs and the machine lacks, start a PostgreSQL where none answers, then
# run every check (`npm run check`: build, type check, lint, format check, all tests).
#
# The suite needs Chromium (browser tests); python3-subunit, python3-testtools, python3-junitxml and subunit
# (its subunit2junitxml), the reference readers of the differential tests; and a PostgreSQL server (the history
# store's tests). Where apt-get exists they are installed (as root, or through `sudo -n`); elsewhere one line
# names what is missing.
# A server is looked for at $PGHOST:$PGPORT (default 127.0.0.1:5432); where none answers, a throwaway cluster
# is made with initdb in a temporary folder, used through PGHOST/PGPORT and removed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf 'npm test: %s\n' "$*" >&2; }

# The folder of PostgreSQL's server programs (initdb, pg_ctl), if installed.
pg_bin() {
  local d
  for d in /usr/lib/postgresql/*/bin; do
    [ -x "$d/initdb" ] && { printf '%s\n' "$d"; return 0; }
  done
  command -v initdb >/dev/null 2>&1 && { dirname "$(command -v initdb)"; return 0; }
  return 1
}

# True when something accepts TCP connections at host $1, port $2.
answers() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

export PGHOST="${PGHOST:-127.0.0.1}" PGPORT="${PGPORT:-5432}"

missing=()
[ -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ] || missing+=(chromium)
/usr/bin/python3 -c 'import subunit, testtools' 2>/dev/null || missing+=(python3-subunit python3-testtools)
/usr/bin/python3 -c 'import junitxml' 2>/dev/null || missing+=(python3-junitxml)
[ -x /usr/bin/subunit2junitxml ] || missing+=(subunit)
if ! answers "$PGHOST" "$PGPORT" && ! pg_bin >/dev/null; then missing+=(postgresql); fi

if [ ${#missing[@]} -gt 0 ]; then
  if ! command -v apt-get >/dev/null 2>&1; then
    say "missing: ${missing[*]} (not a Debian machine: install them with your package manager)"
    exit 1
  fi
  sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    if ! sudo -n true 2>/dev/null; then
      say "missing Debian packages: ${missing[*]} (run: sudo apt-get install -y ${missing[*]})"
      exit 1
    fi
    sudo=(sudo -n)
  fi
  say "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
fi

cluster=""
# initdb refuses to run as root: as root, the cluster belongs to the postgres user (Debian's package makes it).
as_owner() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
stop_cluster() {
  as_owner "$(pg_bin)/pg_ctl" -D "$cluster/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$cluster"
}
if ! answers "$PGHOST" "$PGPORT"; then
  cluster=$(mktemp -d /tmp/stackviz-pg.XXXXXX)
  if [ "$(id -u)" -eq 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
    chown postgres "$cluster"
  fi
  trap stop_cluster EXIT
  port=55432
  while answers 127.0.0.1 "$port"; do port=$((port + 1)); done
  as_owner "$(pg_bin)/initdb" -D "$cluster/data" -A trust -U postgres >/dev/null
  as_owner "$(pg_bin)/pg_ctl" -D "$cluster/data" -l "$cluster/log" -w \
    -o "-p $port -k $cluster -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null
  export PGHOST=127.0.0.1 PGPORT=$port PGUSER=postgres
  say "started a throwaway PostgreSQL on $PGHOST:$PGPORT"
fi

npm run check
