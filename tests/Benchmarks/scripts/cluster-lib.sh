# Shared by cluster-write-latency.sh and cluster-failover.sh (sourced, not run): actors-host
# processes on loopback forming one Akka cluster, the graph's journal in a PostgreSQL schema of
# their own, as tests/Host.Tests/Cluster/ProcessCluster.cs starts them. The sourcing script sets
# `set -euo pipefail` and calls cluster_cleanup from its EXIT trap.

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
scripts="$root/tests/Benchmarks/scripts"
qmp=(python3 "$scripts/cluster_qmp.py")
host_exe="$root/src/Host/bin/Release/net10.0/actors-host"
work=$(mktemp -d -t cluster-bench.XXXXXX)

# The cluster's timing, docker-compose.yml's: a dead member is suspected after ~1.5 s of
# silence, downed once membership was stable for 1 s, and removed 300 ms later (the removal
# margin); leader actions, gossip and the failure detector's reaper run every 0.25 s
# (hocon/reference.conf).
cluster_timing=(
  akka.cluster.failure-detector.heartbeat-interval=500ms
  akka.cluster.failure-detector.acceptable-heartbeat-pause=1s
  akka.cluster.split-brain-resolver.stable-after=1s
  akka.cluster.down-removal-margin=300ms
)

declare -A host_pid=()    # host name -> pid of its live process
declare -A host_port=()   # host name -> remoting port of its live process
schemas=()

# Build once; the scripts then start the built executable, as a user would.
cluster_build() {
  dotnet build "$root/src/Host" -c Release -v q -nologo >/dev/null
}

# psql reaches the server the hosts use: ACTORS_TEST_POSTGRES is an Npgsql connection string.
postgres_setup() {
  # shellcheck source=/dev/null
  source "$root/tests/services/postgres.sh"
  [[ -n ${ACTORS_TEST_POSTGRES:-} ]] || { echo "PostgreSQL is not available" >&2; exit 1; }
  local fields field key value
  IFS=';' read -ra fields <<<"$ACTORS_TEST_POSTGRES"
  for field in "${fields[@]}"; do
    key=${field%%=*} value=${field#*=}
    case ${key,,} in
      host) export PGHOST=$value ;;
      port) export PGPORT=$value ;;
      username) export PGUSER=$value ;;
      password) export PGPASSWORD=$value ;;
      database) export PGDATABASE=$value ;;
    esac
  done
}

# new_schema: sets `schema` to a new one, so a cluster's journal starts empty; cleanup drops it
# (auto-initialize makes the tables, not the schema). Not called as $(new_schema): the list
# cleanup reads would then be a subshell's.
new_schema() {
  schema="bench_$(date +%s)_$RANDOM"
  psql -X -q -v ON_ERROR_STOP=1 -c "CREATE SCHEMA \"$schema\"" >/dev/null
  schemas+=("$schema")
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_host DIR NAME SCHEMA IOTHREADS SEED_PORT...: starts host NAME (its directory DIR/NAME
# holds data, log, QMP and NBD sockets) with IOTHREADS IoThreads io0.., and waits until it says
# it is up (it joined the cluster and serves QMP and NBD). The seeds are the remoting ports of
# members to join; its own port first makes it form a new cluster if none of the others answers.
start_host() {
  local dir=$1/$2 name=$2 schema=$3 iothreads=$4
  shift 4
  local port seeds="" threads="" setting i
  port=$(free_port)
  for i in "$@"; do seeds+="${seeds:+,}\"akka.tcp://actors@127.0.0.1:${i/self/$port}\""; done
  for ((i = 0; i < iothreads; i++)); do threads+="${threads:+,}\"io$i\""; done
  local args=(
    --data-dir "$dir/data"
    --config "$root/hocon/postgres.conf"
    --set "actors.host=$name"
    --set akka.actor.provider=cluster
    --set 'akka.remote.dot-netty.tcp.hostname="127.0.0.1"'
    --set "akka.remote.dot-netty.tcp.port=$port"
    --set "akka.cluster.seed-nodes=[$seeds]"
    --set "akka.persistence.journal.sql.connection-string=\"$ACTORS_TEST_POSTGRES;Search Path=$schema\""
    --set "host.iothreads=[$threads]"
    --nbd-server "addr.type=unix,addr.path=$dir/nbd.sock"
    --chardev "socket,id=qmp,path=$dir/qmp.sock,server=on,wait=off" --monitor chardev=qmp
  )
  for setting in "${cluster_timing[@]}"; do args+=(--set "$setting"); done
  mkdir -p "$dir"
  rm -f "$dir/qmp.sock" "$dir/nbd.sock"
  (cd "$dir" && exec "$host_exe" "${args[@]}" >>"$dir/log" 2>&1) &
  host_pid[$name]=$!
  # Not a job of this shell: a host killed on purpose is not reported as "Killed" on stderr
  # (bash still reaps it; stop_host polls for its exit).
  disown "${host_pid[$name]}"
  host_port[$name]=$port
  local deadline=$((SECONDS + 90))
  until grep -q "^Host $name is up" "$dir/log" 2>/dev/null; do
    if ! kill -0 "${host_pid[$name]}" 2>/dev/null || ((SECONDS > deadline)); then
      echo "host $name did not come up; its log:" >&2
      tail -n 30 "$dir/log" >&2
      exit 1
    fi
    sleep 0.1
  done
}

# stop_host NAME [SIGNAL]: signals the host and waits (bounded: then it is killed) for it to
# exit; SIGTERM is a clean leave (Akka's coordinated shutdown), SIGKILL a crash, 0 only waits.
stop_host() {
  local name=$1 signal=${2:-TERM} pid=${host_pid[$1]:-}
  [[ -n $pid ]] || return 0
  kill "-$signal" "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + 30))
  while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.05; done
  kill -KILL "$pid" 2>/dev/null || true
  while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
  unset "host_pid[$name]"
}

# The Coordinator's view: how many hosts (aggregators) it counts, writes done, write wait.
graph_lock() {
  "${qmp[@]}" call "$1" x-query-graph-lock
}

# wait_hosts_counted SOCK N: until the Coordinator has N hosts registered and no writer queued.
wait_hosts_counted() {
  local deadline=$((SECONDS + 60)) counted
  while ((SECONDS < deadline)); do
    counted=$(graph_lock "$1" 2>/dev/null | python3 -c 'import json, sys; d = json.load(sys.stdin); print(len(d["hosts"]) if not d["writer-active"] else -1)' 2>/dev/null || echo -1)
    [[ $counted == "$2" ]] && return 0
    sleep 0.2
  done
  echo "the Coordinator did not count $2 hosts within 60 s" >&2
  exit 1
}

# wait_member_up DIR NAME: until the cluster's leader has moved host NAME to Up, then 2 s more
# (4 gossip rounds) so every member has seen it. The Coordinator may count a host that is still
# Joining (its aggregator registers at once), but the split-brain resolver counts Up members
# only: a fault before then is judged 1 against 1, and the losing side downs itself and the
# joining host with it, so the whole cluster stops.
wait_member_up() {
  local dir=$1 name=$2 deadline=$((SECONDS + 60))
  local line="Leader is moving node [akka.tcp://actors@127.0.0.1:${host_port[$2]}] to [Up]"
  until grep -qF "$line" "$dir"/*/log 2>/dev/null; do
    ((SECONDS < deadline)) || { echo "host $name was not moved to Up within 60 s" >&2; exit 1; }
    sleep 0.1
  done
  sleep 2
}

cluster_cleanup() {
  local name schema deadline=$((SECONDS + 15))
  # Every host at once: a clean leave each, then whatever is left is killed.
  for name in "${!host_pid[@]}"; do kill -TERM "${host_pid[$name]}" 2>/dev/null || true; done
  for name in "${!host_pid[@]}"; do
    while kill -0 "${host_pid[$name]}" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.1; done
    stop_host "$name" KILL
  done
  for schema in "${schemas[@]}"; do psql -X -q -c "DROP SCHEMA IF EXISTS \"$schema\" CASCADE" >/dev/null 2>&1 || true; done
  if [[ -n ${KEEP_WORK:-} ]]; then echo "logs kept in $work" >&2; else rm -rf "$work"; fi
}
