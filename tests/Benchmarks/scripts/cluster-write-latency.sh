#!/usr/bin/env bash
# Write-section latency of the cluster under NBD load: 1 host × 2 IoThreads, 3 hosts × 2 and
# 3 hosts × 8, host processes on loopback with the graph's journal on PostgreSQL. A write
# section stops readers on every host: the Coordinator sends BeginWrite to one aggregator per
# host, which parks its own IoThreads and reports their sum (DESIGN §4, §9), so the wait should
# grow with hosts, not with IoThreads.
#
# Per configuration and round, on a fresh cluster (a new schema):
#  1. one null-co export per IoThread on every host (moved there with x-blockdev-set-iothread);
#  2. every host restarted, so the Coordinator's write-wait figures hold the measured write
#     sections only (plus the one write a starting graph takes; see `max` below);
#  3. NBD load: qemu-img bench clients, looping, with the same queue depth per host in every
#     configuration (LOAD_DEPTH, split over the host's clients): by default one client per
#     IoThread, so every IoThread serves; "3x8/2" runs 2 clients per host (on io0 and io4),
#     the same CPU load as 3x2 with 6 IoThreads per host idle but still in every write section;
#     "3x2/0" runs no load at all (the messages' own cost);
#  4. PAIRS blockdev-add/blockdev-del pairs of null-co nodes through QMP, every INTERVAL
#     seconds, the hosts taken in turn; each round trip is timed client-side;
#  5. x-query-graph-lock: write sections, write wait p50/p99/max (request → write granted, as
#     the Coordinator measures it).
#
# Usage: bash tests/Benchmarks/scripts/cluster-write-latency.sh [ROUNDS]
#   CONFIGS="1x2 3x2 3x8 3x8/2" (HOSTSxIOTHREADS[/CLIENTS per host]) PAIRS=100 INTERVAL=0.05 LOAD_DEPTH=64 (per host) RUN_SECONDS=2
#   KEEP_WORK=1 keeps the hosts' logs. Needs PostgreSQL (tests/services/postgres.sh).
set -euo pipefail
rounds=${1:-3}
configs=${CONFIGS:-"1x2 3x2 3x8 3x8/2"}
pairs=${PAIRS:-100}
interval=${INTERVAL:-0.05}
load_depth=${LOAD_DEPTH:-64}
run_seconds=${RUN_SECONDS:-2}
source "$(dirname "$0")/cluster-lib.sh"

client_pids=()
stop_clients() {
  touch "$work/stop"
  # A client finishes the run it is in (about RUN_SECONDS); one that hangs is killed, with its
  # qemu-img (its child).
  local pid deadline=$((SECONDS + 4 * run_seconds + 10))
  for pid in "${client_pids[@]}"; do
    while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.1; done
    pkill -KILL -P "$pid" 2>/dev/null || true
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  client_pids=()
}
trap 'stop_clients; cluster_cleanup' EXIT

bench_seconds() {
  qemu-img bench -f raw -t none -s 4k "$@" 2>&1 | sed -n 's/^Run completed in \([0-9.]*\) seconds\./\1/p'
}

# load_client URL DEPTH OUT: qemu-img bench runs back to back until $work/stop appears; each
# completed run appends "requests seconds" to OUT. The first run is not counted: it warms the
# host up (its code is compiled on first use) and sizes the runs to about RUN_SECONDS, so a
# client stops soon after it is asked to.
load_client() {
  local url=$1 depth=$2 out=$3 count=5000 seconds
  seconds=$(bench_seconds -c "$count" -d "$depth" "$url")
  [[ -n $seconds ]] || { echo "qemu-img bench on $url failed" >&2; return 1; }
  count=$(awk -v c="$count" -v s="$seconds" -v t="$run_seconds" 'BEGIN { n = int(c * t / s); print (n < 1000 ? 1000 : n) }')
  touch "$out.ready"
  while [[ ! -e $work/stop ]]; do
    seconds=$(bench_seconds -c "$count" -d "$depth" "$url") || break
    [[ -n $seconds ]] && echo "$count $seconds" >>"$out"
  done
}

json_field() { python3 -c 'import json, sys; d = json.load(sys.stdin)
for path in sys.argv[1:]:
    v = d
    for k in path.split("."): v = v[k]
    print(v)' "$@"; }

# start_cluster DIR SCHEMA IOTHREADS NAME...: the first host forms the cluster alone, so it is
# the oldest member (the Coordinator's host); the others join it one after the other.
start_cluster() {
  local dir=$1 schema=$2 iothreads=$3 first=$4 h
  shift 3
  start_host "$dir" "$first" "$schema" "$iothreads" self
  for h in "${@:2}"; do start_host "$dir" "$h" "$schema" "$iothreads" "${host_port[$first]}"; done
  wait_hosts_counted "$dir/$first/qmp.sock" $#
}

# run_config ROUND HOSTS IOTHREADS CLIENTS: one row of the table (CLIENTS per host).
run_config() {
  local round=$1 hosts=$2 iothreads=$3 per_host=$4
  local config="${hosts}x$iothreads" schema h i n k pid done0 done1 p50 p99 max rtt50 rtt99
  ((per_host == iothreads)) || config+="/$per_host"
  local dir="$work/r$round-${config/\//-}"
  local names=()
  for ((n = 1; n <= hosts; n++)); do names+=("h$n"); done
  new_schema

  start_cluster "$dir" "$schema" "$iothreads" "${names[@]}"
  for h in "${names[@]}"; do
    for ((i = 0; i < iothreads; i++)); do
      "${qmp[@]}" call "$dir/h1/qmp.sock" blockdev-add "{\"driver\": \"null-co\", \"node-name\": \"d-$h-$i\", \"size\": 1073741824, \"x-host\": \"$h\"}" >/dev/null
      ((i == 0)) || "${qmp[@]}" call "$dir/h1/qmp.sock" x-blockdev-set-iothread "{\"node-name\": \"d-$h-$i\", \"iothread\": \"io$i\"}" >/dev/null
      "${qmp[@]}" call "$dir/h1/qmp.sock" block-export-add "{\"type\": \"nbd\", \"id\": \"e-$h-$i\", \"node-name\": \"d-$h-$i\"}" >/dev/null
    done
  done
  # The set-up took 2 or 3 write sections per export, without load; a new Coordinator keeps
  # none of them. The graph comes back from the journal, each node on its IoThread.
  for ((n = hosts - 1; n >= 0; n--)); do stop_host "${names[n]}" TERM; done
  start_cluster "$dir" "$schema" "$iothreads" "${names[@]}"
  local before baseline_max
  before=$(graph_lock "$dir/h1/qmp.sock" | json_field writes-done write-wait.max-us | paste -sd' ')
  baseline_max=${before#* }
  echo "  ($config round $round: the new Coordinator's own write sections: ${before% *}, max $baseline_max µs; they are in the percentiles)" >&2

  rm -f "$work/stop"
  local depth=$((load_depth / (per_host > 0 ? per_host : 1))) clients=0
  for h in "${names[@]}"; do
    for ((k = 0; k < per_host; k++)); do
      i=$((k * iothreads / per_host))  # spread evenly over the IoThreads
      load_client "nbd+unix:///d-$h-$i?socket=$dir/$h/nbd.sock" "$depth" "$dir/load-$h-$i" &
      client_pids+=($!)
      clients=$((clients + 1))
    done
  done
  local deadline=$((SECONDS + 120))
  until (($(ls "$dir"/load-*.ready 2>/dev/null | wc -l) == clients)); do
    ((SECONDS < deadline)) || { echo "the load clients did not start within 120 s" >&2; exit 1; }
    for pid in "${client_pids[@]}"; do kill -0 "$pid" 2>/dev/null || { echo "a load client failed" >&2; exit 1; }; done
    sleep 0.2
  done

  local targets=() rtt
  for h in "${names[@]}"; do targets+=("$dir/$h/qmp.sock:$h"); done
  rtt=$("${qmp[@]}" changes --pairs "$pairs" --interval "$interval" --prefix "w$round-" "${targets[@]}") ||
    echo "warning: some graph changes were refused (see above)" >&2
  local after
  after=$(graph_lock "$dir/h1/qmp.sock" | json_field writes-done write-wait.p50-us write-wait.p99-us write-wait.max-us | paste -sd' ')
  stop_clients
  local iops
  # The clients ran side by side: the sum of each one's requests per second.
  iops=-
  ((clients == 0)) || iops=$(for f in "$dir"/load-h*; do [[ $f == *.ready ]] || awk '{ n += $1; t += $2 } END { if (t > 0) print n / t }' "$f"; done |
    awk '{ s += $1 } END { printf "%.0f", s }')

  for ((n = hosts - 1; n >= 0; n--)); do stop_host "${names[n]}" TERM; done
  # writes-done and the wait's p50/p99/max; the max is the starting graph's own write when
  # nothing measured waited longer (shown as ≤ that).
  read -r done0 _ <<<"$before"
  read -r done1 p50 p99 max <<<"$after"
  [[ $max == "$baseline_max" ]] && max="≤$max"
  read -r _ rtt50 rtt99 _ _ <<<"$rtt"
  printf '%-6s %-3s %5s %9s %7s %7s %10s %10s %12s %9s %9s %8s\n' "$config" "$round" "$hosts" "$iothreads" "$clients" \
    "$((done1 - done0))" "$p50" "$p99" "$max" "$rtt50" "$rtt99" "$iops" | tee -a "$work/rows"
}

cluster_build
postgres_setup
echo "$pairs graph-change pairs per run, one every $interval s; load: queue depth $load_depth per host, split over its qemu-img bench clients"
printf '%-6s %-3s %5s %9s %7s %7s %10s %10s %12s %9s %9s %8s\n' config rnd hosts IoThreads clients writes wait-p50us wait-p99us wait-max-us qmp-p50ms qmp-p99ms nbd-IOPS
for round in $(seq 1 "$rounds"); do
  for config in $configs; do
    hosts=${config%%x*} rest=${config#*x}
    iothreads=${rest%/*} per_host=${rest#*/}
    run_config "$round" "$hosts" "$iothreads" "$per_host"
  done
done
if ((rounds > 1)); then
  echo "median over $rounds rounds:"
  python3 - "$work/rows" <<'EOF'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    f = line.split()
    rows.setdefault(f[0], []).append(f)
for config, runs in rows.items():
    def med(i, digits=0):
        values = [float(r[i].lstrip("≤")) for r in runs if r[i] != "-"]
        return f"{statistics.median(values):.{digits}f}" if values else "-"
    print(f"{config:<6} {'med':<3} {runs[0][2]:>5} {runs[0][3]:>9} {runs[0][4]:>7} {med(5):>7} {med(6):>10} {med(7):>10} {med(8):>12} {med(9, 2):>9} {med(10, 2):>9} {med(11):>8}")
EOF
fi
