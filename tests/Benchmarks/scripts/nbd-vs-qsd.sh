#!/usr/bin/env bash
# Side-by-side NBD figures: three servers export the same node kind (null-co, a raw file) and the
# same qemu-img bench commands (4 KiB requests, queue depth 32) run against each in turn, ROUNDS
# times: our host, qemu-storage-daemon, and nbdkit (its null and file plugins, in C). Per server:
#   1 conn   seconds for COUNT requests on one connection (the client binds this one: every
#            server finishes within a few tenths of a second of the others);
#   cpu      the server process's user + system time over that run, per request (/proc/PID/stat);
#   4 conns  requests per second with 4 qemu-img bench processes at once, COUNT each, where the
#            server becomes the bottleneck, and its CPU per request there.
# Then the medians over the rounds, and ours against qsd on one connection (qsd's time / ours).
# Usage: bash tests/Benchmarks/scripts/nbd-vs-qsd.sh [ROUNDS] [COUNT]
# Needs qemu-img (qemu-utils), qemu-storage-daemon (qemu-system-common) and nbdkit (nbdkit).
set -euo pipefail
rounds=${1:-3}
count=${2:-100000}
source "$(dirname "$0")/nbd-lib.sh"
for tool in qemu-img qemu-storage-daemon nbdkit; do
  command -v "$tool" >/dev/null || { echo "$tool is missing (apt-get install qemu-utils qemu-system-common nbdkit)" >&2; exit 1; }
done

servers=(ours qsd nbdkit)
declare -A server_pid=()
ticks=$(getconf CLK_TCK)

# start_servers KIND: the three servers of one node kind, each on its own Unix socket (and file).
start_servers() {
  local kind=$1 dir=$work/$1 s
  for s in "${servers[@]}"; do mkdir -p "$dir/$s"; done
  local ours=() qsd=() nbdkit=()
  case $kind in
    null)
      ours=(--blockdev driver=null-co,node-name=disk0,size=1073741824)
      qsd=(--blockdev driver=null-co,node-name=disk0,size=1073741824)
      nbdkit=(null 1G) ;;
    raw)
      for s in "${servers[@]}"; do qemu-img create -q -f raw "$dir/$s/disk.raw" 1G; done
      ours=(--blockdev "driver=file,node-name=file0,filename=disk.raw" --blockdev driver=raw,node-name=disk0,file=file0)
      qsd=(--blockdev "driver=file,node-name=file0,filename=$dir/qsd/disk.raw,aio=threads,cache.direct=off" --blockdev driver=raw,node-name=disk0,file=file0)
      nbdkit=(file "file=$dir/nbdkit/disk.raw") ;;
  esac
  (cd "$dir/ours" && exec "$host" --data-dir "$dir/ours/data" "${ours[@]}" --object iothread,id=io0 \
     --nbd-server "addr.type=unix,addr.path=$dir/ours.sock" \
     --export type=nbd,id=e0,node-name=disk0,name=disk0,writable=on,iothread=io0 >"$dir/ours.log" 2>&1) &
  server_pid[ours]=$!
  # qemu-storage-daemon 7.2 aborts when a client leaves an export bound to an iothread, so its
  # export runs in the main loop (one thread serving the socket, as our export's IoThread does).
  qemu-storage-daemon "${qsd[@]}" \
     --nbd-server "addr.type=unix,addr.path=$dir/qsd.sock" \
     --export type=nbd,id=e0,node-name=disk0,name=disk0,writable=on >"$dir/qsd.log" 2>&1 &
  server_pid[qsd]=$!
  # nbdkit's default thread model serves requests in parallel (16 threads).
  nbdkit -f -U "$dir/nbdkit.sock" -e disk0 "${nbdkit[@]}" >"$dir/nbdkit.log" 2>&1 &
  server_pid[nbdkit]=$!
  pids+=("${server_pid[@]}")
  for s in "${servers[@]}"; do wait_for "$dir/$s.sock"; done
}

# cpu_ticks PID: user + system time of the process so far, in clock ticks.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

bench() { qemu-img bench "$@" 2>&1 | sed -n 's/^Run completed in \([0-9.]*\) seconds\./\1/p'; }

# measure KIND SERVER OP: prints "seconds cpu-us-per-request iops-4 cpu-us-per-request-4".
measure() {
  local kind=$1 server=$2 op=$3 pid=${server_pid[$2]} flag=() clients=() before seconds cpu start wall cpu4
  [ "$op" = write ] && flag=(-w)
  local uri="nbd+unix:///disk0?socket=$work/$kind/$server.sock"
  before=$(cpu_ticks "$pid")
  seconds=$(bench -c "$count" -d 32 -s 4k "${flag[@]}" -f raw "$uri")
  cpu=$(( $(cpu_ticks "$pid") - before ))
  before=$(cpu_ticks "$pid")
  start=$(date +%s.%N)
  for _ in 1 2 3 4; do
    bench -c "$count" -d 32 -s 4k "${flag[@]}" -f raw "$uri" >/dev/null &
    clients+=($!)
  done
  wait "${clients[@]}"
  wall=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { print e - s }')
  cpu4=$(( $(cpu_ticks "$pid") - before ))
  awk -v s="$seconds" -v c="$cpu" -v w="$wall" -v c4="$cpu4" -v n="$count" -v t="$ticks" \
    'BEGIN { printf "%s %.2f %.0f %.2f\n", s, c / t / n * 1e6, 4 * n / w, c4 / t / (4 * n) * 1e6 }'
}

results=$work/results
printf '%-5s %-6s %-5s %-7s %8s %8s %10s %8s\n' node op round server "1 conn" "cpu µs" "4 conns/s" "cpu µs"
for kind in null raw; do
  start_servers "$kind"
  # One unmeasured run each first: our host's code is compiled on first use, then recompiled
  # optimised; the others' is compiled ahead of time.
  for s in "${servers[@]}"; do bench -c 20000 -d 32 -s 4k -f raw "nbd+unix:///disk0?socket=$work/$kind/$s.sock" >/dev/null; done
  for op in read write; do
    for round in $(seq 1 "$rounds"); do
      for s in "${servers[@]}"; do
        row=$(measure "$kind" "$s" "$op")
        echo "$kind $op $s $row" >>"$results"
        # shellcheck disable=SC2086
        printf '%-5s %-6s %-5s %-7s %8s %8s %10s %8s\n' "$kind" "$op" "$round" "$s" $row
      done
    done
  done
done

echo
echo "medians of $rounds rounds ($count requests per connection):"
python3 - "$results" <<'EOF'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    kind, op, server, *values = line.split()
    rows.setdefault((kind, op, server), []).append([float(v) for v in values])
def med(kind, op, server, i):
    return statistics.median(r[i] for r in rows[(kind, op, server)])
print(f"{'node':<5} {'op':<6} {'server':<7} {'1 conn s':>9} {'cpu µs/req':>11} {'4 conns/s':>10} {'cpu µs/req':>11} {'qsd/ours':>9}")
for (kind, op, server) in rows:
    ratio = f"{med(kind, op, 'qsd', 0) / med(kind, op, 'ours', 0):.2f}" if server == "ours" else ""
    print(f"{kind:<5} {op:<6} {server:<7} {med(kind, op, server, 0):>9.3f} {med(kind, op, server, 1):>11.2f} "
          f"{med(kind, op, server, 2):>10.0f} {med(kind, op, server, 3):>11.2f} {ratio:>9}")
EOF
