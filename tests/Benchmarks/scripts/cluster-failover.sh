#!/usr/bin/env bash
# Failover time of the cluster: 3 host processes on loopback (journal on PostgreSQL). KILLS
# times, the Coordinator's host (the oldest member: the first started of the live ones) is
# killed with kill -9, and the time from the kill to the next completed graph change is taken
# as a client sees it: blockdev-add of a fresh null-co node through a surviving host's QMP,
# retried on fresh connections with a short per-try timeout (TRY_TIMEOUT) until one completes
# that was sent after a new Coordinator started (a leaving one may serve a few more first).
# The killed host is then started again; it joins as the youngest member, so the next kill
# hits the next host. The same again with a clean leave (SIGTERM) of the Coordinator's host.
#
# What a kill costs: the failure detector suspects the host (heartbeats every 0.5 s, 1 s of
# silence allowed), the split-brain resolver downs it once membership was stable for 1 s
# (reset when the other survivor's verdict arrives), the leader removes it, the
# next oldest starts both singletons (the Coordinator, and the graph's owner, which replays the
# journal), every host registers with them, and then the write is granted. A clean leave
# skips the detection and the resolver: the leaving host hands the singletons over.
#
# Usage: bash tests/Benchmarks/scripts/cluster-failover.sh [KILLS]
#   TRY_TIMEOUT=0.3 IOTHREADS=2 KEEP_WORK=1 (keeps the hosts' logs, and trace-SIGNAL-N: the
#   survivors' log lines of each fault with the time each was seen). Needs PostgreSQL.
set -euo pipefail
kills=${1:-5}
try_timeout=${TRY_TIMEOUT:-0.3}
iothreads=${IOTHREADS:-2}
source "$(dirname "$0")/cluster-lib.sh"
trap cluster_cleanup EXIT

# How many times HOST's log says it started the Coordinator singleton.
coordinator_starts() { grep -c 'Singleton manager started singleton actor \[akka://actors/user/coordinator/singleton\]' "$dir/$1/log" || true; }

cluster_build
postgres_setup
dir="$work/cluster"
new_schema
order=()  # live hosts, oldest first: order[0] holds the Coordinator

start_host "$dir" h1 "$schema" "$iothreads" self
order+=(h1)
for h in h2 h3; do
  start_host "$dir" "$h" "$schema" "$iothreads" "${host_port[h1]}"
  order+=("$h")
done
for h in h2 h3; do wait_member_up "$dir" "$h"; done
wait_hosts_counted "$dir/h1/qmp.sock" 3

# fail_over SIGNAL N: one fault of the Coordinator's host; prints its row and keeps the figures
# for the medians.
fail_over() {
  local signal=$1 n=$2 victim=${order[0]} h
  local survivors=("${order[@]:1}") sockets=() logs=() seeds=() starts=()
  for h in "${survivors[@]}"; do
    sockets+=("$dir/$h/qmp.sock")
    logs+=("$dir/$h/log")
    seeds+=("${host_port[$h]}")
    starts+=("$(coordinator_starts "$h")")
  done
  # A settled cluster first: every host counted, and a graph change that completes.
  wait_hosts_counted "${sockets[0]}" 3
  "${qmp[@]}" call "${sockets[0]}" blockdev-add "{\"driver\": \"null-co\", \"node-name\": \"settle-$signal-$n\", \"size\": 1048576}" >/dev/null

  local since result
  since=$(date +%s.%N)
  kill "-$signal" "${host_pid[$victim]}"
  result=$("${qmp[@]}" probe --since "$since" --try-timeout "$try_timeout" --deadline 120 --prefix "after-$signal-$n-" \
    "${sockets[@]}" --logs "${logs[@]}" --trace "$work/trace-$signal-$n")
  # Which survivor took the Coordinator over (the oldest of them, if all went as designed).
  local successor="?" first gap takeover unreachable downed removed started
  for i in "${!survivors[@]}"; do
    (($(coordinator_starts "${survivors[i]}") > starts[i])) && successor=${survivors[i]}
  done
  read -r first gap takeover unreachable downed removed started <<<"$result"
  printf '%-6s %2s  %-3s → %-3s %11s %11s %10s %12s %7s %8s %12s\n' "$signal" "$n" "$victim" "$successor" \
    "$takeover" "$first" "$gap" "$unreachable" "$downed" "$removed" "$started"
  echo "$result" >>"$work/$signal"

  # The old process is gone, or exits once it has left (signal 0: stop_host only waits, bounded);
  # then the host starts again and joins the survivors as the youngest member.
  stop_host "$victim" 0
  start_host "$dir" "$victim" "$schema" "$iothreads" "${seeds[@]}"
  order=("${survivors[@]}" "$victim")
  wait_member_up "$dir" "$victim"
  wait_hosts_counted "${sockets[0]}" 3
  # The probe's nodes go: tries that timed out were still carried out (QMP runs a request whose
  # client hung up), and a graph that grows fault after fault would slow the next recovery and,
  # near 850 nodes, no longer fit the one remote message a host reads it in (Akka's 128 000-byte
  # frame).
  "${qmp[@]}" prune "${sockets[0]}" --prefix "after-$signal-$n-" --prefix "settle-$signal-$n" >/dev/null
}

echo "3 hosts × $iothreads IoThreads; per-try timeout ${try_timeout} s; seconds since the signal:"
echo "  new-Coord = first write on the new Coordinator; first = first write at all (a leaving"
echo "  Coordinator may still serve); longest gap between writes; then the survivors' logs."
printf '%-6s %2s  %-10s %11s %11s %10s %12s %7s %8s %12s\n' signal n Coordinator new-Coord first "longest gap" unreachable downed removed "Coord start"
for n in $(seq 1 "$kills"); do fail_over KILL "$n"; done
for n in $(seq 1 "$kills"); do fail_over TERM "$n"; done
for signal in KILL TERM; do
  python3 - "$signal" "$work/$signal" <<'EOF'
import statistics, sys
rows = [line.split() for line in open(sys.argv[2])]
def med(i):
    values = [float(r[i]) for r in rows if r[i] != "-"]
    return f"{statistics.median(values):.3f}" if values else "-"
print(f"median {sys.argv[1]:<5} ({len(rows)}): new Coordinator's first write {med(2)} s, first write {med(0)} s, "
      f"longest gap {med(1)} s; unreachable {med(3)}, downed {med(4)}, removed {med(5)}, Coordinator started {med(6)}")
EOF
done
