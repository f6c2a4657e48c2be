# Shared by nbd-vs-qsd.sh and nbd-tls-vs-qsd.sh (sourced, not run, after `set -euo pipefail`):
# a work dir and the servers' pids, removed and killed on exit, and the host built once.

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

dotnet build "$root/src/Host" -c Release -v q -nologo >/dev/null
host="$root/src/Host/bin/Release/net10.0/actors-host"

# Waits for a server's Unix socket to appear.
wait_for() { for _ in $(seq 1 200); do [ -S "$1" ] && return 0; sleep 0.1; done; echo "no socket $1" >&2; exit 1; }
