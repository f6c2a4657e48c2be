#!/usr/bin/env bash
# Side-by-side NBD figures: the same qemu-img bench command against our host's export and
# against qemu-storage-daemon's export of the same node kind, alternating, ROUNDS times.
# Usage: bash tests/Benchmarks/scripts/nbd-vs-qsd.sh [ROUNDS] [COUNT]
set -euo pipefail
rounds=${1:-3}
count=${2:-100000}
root=$(cd "$(dirname "$0")/../../.." && pwd)
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

wait_for() { for _ in $(seq 1 200); do [ -S "$1" ] && return 0; sleep 0.1; done; echo "no socket $1" >&2; exit 1; }

# node kind -> (our --blockdev list, qsd --blockdev list)
start_pair() {
  local kind=$1
  mkdir -p "$work/$kind/ours" "$work/$kind/qsd"
  local ours=() qsd=()
  case $kind in
    null)
      ours=(--blockdev driver=null-co,node-name=disk0,size=1073741824)
      qsd=(--blockdev driver=null-co,node-name=disk0,size=1073741824) ;;
    raw)
      qemu-img create -q -f raw "$work/$kind/ours/disk.raw" 1G
      qemu-img create -q -f raw "$work/$kind/qsd/disk.raw" 1G
      ours=(--blockdev "driver=file,node-name=file0,filename=disk.raw" --blockdev driver=raw,node-name=disk0,file=file0)
      qsd=(--blockdev "driver=file,node-name=file0,filename=$work/$kind/qsd/disk.raw,aio=threads,cache.direct=off" --blockdev driver=raw,node-name=disk0,file=file0) ;;
  esac
  (cd "$work/$kind/ours" && exec "$host" --data-dir "$work/$kind/ours/data" "${ours[@]}" --object iothread,id=io0 \
     --nbd-server "addr.type=unix,addr.path=$work/$kind/ours.sock" \
     --export type=nbd,id=e0,node-name=disk0,name=disk0,writable=on,iothread=io0 >"$work/$kind/ours.log" 2>&1) &
  pids+=($!)
  # qemu-storage-daemon 7.2 aborts when a client leaves an export bound to an iothread, so its
  # export runs in the main loop (one thread serving the socket, as our export's IoThread does).
  qemu-storage-daemon "${qsd[@]}" \
     --nbd-server "addr.type=unix,addr.path=$work/$kind/qsd.sock" \
     --export type=nbd,id=e0,node-name=disk0,name=disk0,writable=on >"$work/$kind/qsd.log" 2>&1 &
  pids+=($!)
  wait_for "$work/$kind/ours.sock"
  wait_for "$work/$kind/qsd.sock"
}

seconds() { qemu-img bench "$@" 2>&1 | sed -n 's/^Run completed in \([0-9.]*\) seconds\./\1/p'; }

printf '%-6s %-6s %-5s %10s %10s %7s\n' node op round ours qsd ratio
for kind in null raw; do
  start_pair "$kind"
  # One unmeasured run each first: our host's code is compiled on first use, then recompiled
  # optimised; QEMU's is compiled ahead of time.
  for side in ours qsd; do seconds -c 20000 -d 32 -s 4k -f raw "nbd+unix:///disk0?socket=$work/$kind/$side.sock" >/dev/null; done
  for op in read write; do
    flag=(); [ "$op" = write ] && flag=(-w)
    for round in $(seq 1 "$rounds"); do
      o=$(seconds -c "$count" -d 32 -s 4k "${flag[@]}" -f raw "nbd+unix:///disk0?socket=$work/$kind/ours.sock")
      q=$(seconds -c "$count" -d 32 -s 4k "${flag[@]}" -f raw "nbd+unix:///disk0?socket=$work/$kind/qsd.sock")
      printf '%-6s %-6s %-5s %10s %10s %7.2f\n' "$kind" "$op" "$round" "$o" "$q" "$(awk -v q="$q" -v o="$o" 'BEGIN { print q / o }')"
    done
  done
done
