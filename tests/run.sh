#!/usr/bin/env bash
# The project's test command: installs what the tests need on a fresh machine, builds the
# solution, runs every test project and ends with one line "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

# Debian packages the tests use. Installed only when something is missing (as root, or with sudo).
# docker-compose validates docker-compose.yml (no Docker engine needed, nor started);
# qemu-system-common brings qemu-storage-daemon, the server the nbd driver's tests connect to.
# openssl makes the CA and certificates of the NBD TLS tests.
packages=(qemu-utils qemu-system-common libnbd-bin docker-compose openssl)
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "== installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  sudo=(); [[ $(id -u) == 0 ]] || sudo=(sudo --preserve-env=DEBIAN_FRONTEND)
  "${sudo[@]}" apt-get update -qq && "${sudo[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null || { echo "apt-get install failed (run as root or with sudo)"; echo "0 passed, 1 failed"; exit 1; }
fi

# Servers some tests use. A test that needs one and finds none says so loudly (skipped).
echo "== services"
source tests/services/postgres.sh || true
if [[ -n ${ACTORS_TEST_POSTGRES:-} ]]; then
  echo "PostgreSQL: up (ACTORS_TEST_POSTGRES set)"
else
  echo "PostgreSQL: NOT AVAILABLE: the PostgreSQL journal tests will be skipped"
fi

echo "== build"
if ! dotnet build Actors.sln -c Release -warnaserror -nologo -v quiet; then
  echo "0 passed, 1 failed"
  exit 1
fi

# What the console log keeps of a test run: failed and skipped tests with their message (up to 20
# lines: an assertion's text, a tool's command line and stderr) and the stack frames in our code.
report='
  /^[[:space:]]*Error Message:/ { print; message = 20; next }
  /^[[:space:]]*Stack Trace:/ { message = 0 }
  message > 0 { print; message--; next }
  /^[[:space:]]*(Failed|Skipped) |^[[:space:]]*(Passed|Failed)!|^[[:space:]]+at .*(Tests|TestKit)/ { print }
'
results="$root/tests/TestResults"
rm -rf "$results"
passed=0 failed=0 skipped=0
for project in $(find tests -name '*.Tests.csproj' | sort); do
  name=$(basename "$project" .csproj)
  echo "== $name"
  dotnet test "$project" -c Release --no-build --nologo \
    --logger "trx;LogFileName=$name.trx" --logger "console;verbosity=normal" \
    --results-directory "$results" 2>&1 | awk "$report" || true
  trx="$results/$name.trx"
  if [[ ! -f $trx ]]; then
    echo "$name: no results (the test host crashed?)"
    failed=$((failed + 1))
    continue
  fi
  counters=$(grep -o '<Counters [^>]*>' "$trx")
  get() { sed -n "s/.* $1=\"\([0-9]*\)\".*/\1/p" <<<"$counters"; }
  p=$(get passed) f=$(get failed) t=$(get total) e=$(get executed)
  echo "$name: $p passed, $f failed, $((t - e)) skipped"
  passed=$((passed + p))
  failed=$((failed + f + ($(get error) + 0)))
  skipped=$((skipped + t - e))
done

if ((skipped)); then
  echo "$passed passed, $failed failed, $skipped skipped"
else
  echo "$passed passed, $failed failed"
fi
((failed == 0))
