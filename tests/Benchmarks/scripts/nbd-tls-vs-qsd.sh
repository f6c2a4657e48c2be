#!/usr/bin/env bash
# The cost of TLS on NBD, ours beside qemu-storage-daemon's, in one run: four servers of a
# 1 GiB null-co node (ours and qsd, each plain and with tls-creds), the same client against
# each, alternating, ROUNDS times: the whole export read, then written, in 4 KiB and in 64 KiB
# requests, 32 in flight on one connection. The client is nbdcopy (libnbd), not qemu-img
# bench as in nbd-vs-qsd.sh: qemu-img 7.2's bench takes no --object, so it cannot speak TLS.
# The CA and certificates are made with openssl in a temporary directory.
# Usage: bash tests/Benchmarks/scripts/nbd-tls-vs-qsd.sh [ROUNDS]
set -euo pipefail
rounds=${1:-3}
size=1073741824
source "$(dirname "$0")/nbd-lib.sh"

# A CA, a server certificate for localhost and a client certificate, in QEMU's file names.
pki() {
  local ec=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
  mkdir -p "$work/server" "$work/client"
  openssl req -x509 "${ec[@]}" -keyout "$work/ca-key.pem" -out "$work/ca-cert.pem" -days 1 -subj /CN=bench-ca \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign 2>/dev/null
  for side in server client; do
    local cn=$side; [ $side = server ] && cn=localhost
    openssl req "${ec[@]}" -keyout "$work/$side/$side-key.pem" -out "$work/$side.csr" -subj "/CN=$cn" 2>/dev/null
    printf 'extendedKeyUsage=%s\nsubjectAltName=DNS:localhost\n' "$([ $side = server ] && echo serverAuth || echo clientAuth)" >"$work/$side.ext"
    openssl x509 -req -in "$work/$side.csr" -CA "$work/ca-cert.pem" -CAkey "$work/ca-key.pem" -CAcreateserial \
      -out "$work/$side/$side-cert.pem" -days 1 -extfile "$work/$side.ext" 2>/dev/null
    cp "$work/ca-cert.pem" "$work/$side/"
  done
}

# server name (ours|qsd) and tls (plain|tls) -> a server on $work/NAME-TLS.sock
start() {
  local name=$1 tls=$2 sock="$work/$1-$2.sock" object=() creds=""
  if [ "$tls" = tls ]; then
    object=(--object "tls-creds-x509,id=tls0,dir=$work/server,endpoint=server")
    creds=",tls-creds=tls0"
  fi
  if [ "$name" = ours ]; then
    mkdir -p "$work/$name-$tls"
    (cd "$work/$name-$tls" && exec "$host" --data-dir "$work/$name-$tls/data" "${object[@]}" \
       --blockdev driver=null-co,node-name=disk0,size=$size --object iothread,id=io0 \
       --nbd-server "addr.type=unix,addr.path=$sock$creds" \
       --export type=nbd,id=e0,node-name=disk0,name=disk0,writable=on,iothread=io0 >"$work/$name-$tls.log" 2>&1) &
  else
    # As in nbd-vs-qsd.sh: qsd 7.2's export runs in its main loop (an iothread export aborts on disconnect).
    qemu-storage-daemon "${object[@]}" --blockdev driver=null-co,node-name=disk0,size=$size \
       --nbd-server "addr.type=unix,addr.path=$sock$creds" \
       --export type=nbd,id=e0,node-name=disk0,name=disk0,writable=on >"$work/$name-$tls.log" 2>&1 &
  fi
  pids+=($!)
  wait_for "$sock"
}

# nbdcopy to or from NAME-TLS in requests of REQUEST bytes, OP read (to null:) or write (from
# random data); prints the seconds. --no-extents: every byte is read, whatever block status says.
copy() {
  local name=$1 tls=$2 request=$3 op=$4 uri
  if [ "$tls" = tls ]; then
    uri="nbds+unix:///disk0?socket=$work/$name-$tls.sock&tls-certificates=$work/client"
  else
    uri="nbd+unix:///disk0?socket=$work/$name-$tls.sock"
  fi
  local from=$uri to=null:
  [ "$op" = write ] && from=$work/random && to=$uri
  local start end
  start=$(date +%s.%N)
  nbdcopy --connections=1 --threads=1 --requests=32 --request-size="$request" --no-extents --sparse=0 "$from" "$to"
  end=$(date +%s.%N)
  awk -v s="$start" -v e="$end" 'BEGIN { printf "%.3f", e - s }'
}

pki
head -c "$size" /dev/urandom >"$work/random"
for name in ours qsd; do for tls in plain tls; do start "$name" "$tls"; done; done
# One unmeasured run each first: our host's code is compiled on first use, then recompiled
# optimised; QEMU's is compiled ahead of time.
for name in ours qsd; do for tls in plain tls; do copy "$name" "$tls" 4096 read >/dev/null; copy "$name" "$tls" 4096 write >/dev/null; done; done

printf '%-5s %-6s %-5s %9s %9s %9s %9s  %8s %8s %8s\n' req op round ours ours-tls qsd qsd-tls 'ours-tls' 'qsd-tls' 'tls:q/o'
for request in 4096 65536; do
  for op in read write; do
    for round in $(seq 1 "$rounds"); do
      op_=$(copy ours plain "$request" "$op")
      ot=$(copy ours tls "$request" "$op")
      qp=$(copy qsd plain "$request" "$op")
      qt=$(copy qsd tls "$request" "$op")
      # ours-tls and qsd-tls: the time with TLS over the time without (the overhead); tls:q/o:
      # qsd's TLS time over ours (above 1: ours is faster with TLS).
      printf '%-5s %-6s %-5s %9s %9s %9s %9s  %8.2f %8.2f %8.2f\n' "$((request / 1024))k" "$op" "$round" "$op_" "$ot" "$qp" "$qt" \
        "$(awk -v a="$ot" -v b="$op_" 'BEGIN { print a / b }')" \
        "$(awk -v a="$qt" -v b="$qp" 'BEGIN { print a / b }')" \
        "$(awk -v a="$qt" -v b="$ot" 'BEGIN { print a / b }')"
    done
  done
done
