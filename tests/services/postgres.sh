#!/usr/bin/env bash
# A local PostgreSQL for the tests that need one (the journal contract tests, ...).
#
#   source tests/services/postgres.sh   # sets and exports ACTORS_TEST_POSTGRES
#   bash tests/services/postgres.sh     # prints: export ACTORS_TEST_POSTGRES='...'
#
# Idempotent: installs Debian's postgresql when it is missing, creates a cluster when there is
# none, starts it when it is down, and creates the role `actors` (password `actors`) and the
# database `actors_test` when they are missing. Needs root (or sudo) for the first three steps.
# Tests isolate themselves inside actors_test (each makes and drops its own schema).
# Failing here never aborts a shell that sourced it: ACTORS_TEST_POSTGRES just stays unset and
# the PostgreSQL tests report themselves as skipped.

_actors_pg_as_postgres() {
  if [[ $(id -u) == 0 ]]; then runuser -u postgres -- "$@"; else sudo -u postgres -- "$@"; fi
}

_actors_pg_as_root() {
  if [[ $(id -u) == 0 ]]; then "$@"; else sudo -- "$@"; fi
}

_actors_pg_start() {
  if ! command -v pg_lsclusters >/dev/null 2>&1 || ! compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null; then
    echo "postgres.sh: installing postgresql" >&2
    DEBIAN_FRONTEND=noninteractive _actors_pg_as_root apt-get update -qq >&2 &&
      DEBIAN_FRONTEND=noninteractive _actors_pg_as_root apt-get install -y -qq postgresql >/dev/null ||
      { echo "postgres.sh: apt-get install postgresql failed" >&2; return 1; }
  fi

  local line version cluster port status
  line=$(pg_lsclusters --no-header 2>/dev/null | head -n 1)
  if [[ -z $line ]]; then
    version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
    echo "postgres.sh: creating cluster $version/main" >&2
    _actors_pg_as_root pg_createcluster "$version" main >/dev/null ||
      { echo "postgres.sh: pg_createcluster $version main failed" >&2; return 1; }
    line=$(pg_lsclusters --no-header | head -n 1)
  fi
  read -r version cluster port status _ <<<"$line"
  if [[ $status != online* ]]; then
    echo "postgres.sh: starting cluster $version/$cluster on port $port" >&2
    _actors_pg_as_root pg_ctlcluster "$version" "$cluster" start >&2 ||
      { echo "postgres.sh: pg_ctlcluster $version $cluster start failed (see /var/log/postgresql/)" >&2; return 1; }
  fi
  if ! pg_isready -q -h 127.0.0.1 -p "$port" -t 30; then
    echo "postgres.sh: the server on 127.0.0.1:$port is not accepting connections" >&2
    return 1
  fi

  local psql=(psql -X -q -v ON_ERROR_STOP=1 -p "$port" -d postgres)
  if [[ $(_actors_pg_as_postgres "${psql[@]}" -tAc "SELECT 1 FROM pg_roles WHERE rolname = 'actors'") != 1 ]]; then
    _actors_pg_as_postgres "${psql[@]}" -c "CREATE ROLE actors LOGIN PASSWORD 'actors'" >&2 || return 1
  fi
  if [[ $(_actors_pg_as_postgres "${psql[@]}" -tAc "SELECT 1 FROM pg_database WHERE datname = 'actors_test'") != 1 ]]; then
    _actors_pg_as_postgres "${psql[@]}" -c "CREATE DATABASE actors_test OWNER actors" >&2 || return 1
  fi
  _actors_pg_connection="Host=127.0.0.1;Port=$port;Username=actors;Password=actors;Database=actors_test"
}

if _actors_pg_start; then
  export ACTORS_TEST_POSTGRES="$_actors_pg_connection"
  if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
    echo "export ACTORS_TEST_POSTGRES='$ACTORS_TEST_POSTGRES'"
  fi
else
  echo "postgres.sh: PostgreSQL is not available; its tests will be skipped" >&2
  [[ ${BASH_SOURCE[0]} == "$0" ]] && exit 1
fi
unset -f _actors_pg_start _actors_pg_as_postgres _actors_pg_as_root
unset _actors_pg_connection
