#!/usr/bin/env bash
# Runs one QMP command against a running host (or qemu-storage-daemon) with nothing to install:
# reads the greeting, negotiates capabilities, sends COMMAND with ARGUMENTS (a JSON object),
# prints the reply (events that arrive first are skipped) and exits 1 when the reply is an error.
# A TCP monitor is reached through bash's /dev/tcp; a Unix socket needs socat or python3.
#
# Usage: qmp.sh HOST:PORT|[unix:]SOCKET COMMAND [ARGUMENTS]
#   bash src/Host/scripts/qmp.sh 127.0.0.1:4444 query-named-block-nodes
#   bash src/Host/scripts/qmp.sh qmp.sock blockdev-add '{"driver": "null-co", "node-name": "n0"}'
# QMP_TIMEOUT (seconds, default 60) bounds the wait for each reply.
set -euo pipefail

if (( $# < 2 || $# > 3 )); then
  sed -n '7,10s/^# \{0,1\}//p' "$0" >&2
  exit 2
fi
address=${1#unix:}
command=$2
arguments=${3:-"{}"}
timeout=${QMP_TIMEOUT:-60}

# Copies stdin to the socket and the socket to stdout, for a Unix socket without socat.
bridge='
import os, socket, sys, threading
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
def up():
    for chunk in iter(lambda: os.read(0, 65536), b""):
        s.sendall(chunk)
threading.Thread(target=up, daemon=True).start()
try:
    for chunk in iter(lambda: s.recv(65536), b""):
        os.write(1, chunk)
except OSError:
    pass  # the script has its reply and closed the pipe
'

if [[ -S $address ]]; then
  if command -v socat >/dev/null; then
    coproc MONITOR { socat - "UNIX-CONNECT:$address"; }
  elif command -v python3 >/dev/null; then
    coproc MONITOR { python3 -c "$bridge" "$address"; }
  else
    echo "qmp.sh: a Unix socket needs socat (apt-get install socat) or python3" >&2
    exit 2
  fi
  input=${MONITOR[0]}
  output=${MONITOR[1]}
elif [[ $address == *:* ]]; then
  exec 3<>"/dev/tcp/${address%:*}/${address##*:}"
  input=3
  output=3
else
  echo "qmp.sh: '$address' is neither HOST:PORT nor a Unix socket" >&2
  exit 2
fi

# The reply to the request with this id: events carry no id, and QEMU answers in order.
receive() {
  local line
  while IFS= read -r -t "$timeout" -u "$input" line; do
    if [[ $line =~ \"id\":\ *\"$1\" ]]; then
      printf '%s\n' "$line"
      return 0
    fi
  done
  echo "qmp.sh: no reply to '$1' from $address within ${timeout} s" >&2
  exit 1
}

IFS= read -r -t "$timeout" -u "$input" greeting || { echo "qmp.sh: no QMP greeting from $address" >&2; exit 1; }
printf '{"execute": "qmp_capabilities", "id": "capabilities"}\n' >&"$output"
reply=$(receive capabilities)
if [[ $reply =~ ^\{\ *\"error\" ]]; then
  printf '%s\n' "$reply"
  exit 1
fi
printf '{"execute": "%s", "arguments": %s, "id": "command"}\n' "$command" "$arguments" >&"$output"
reply=$(receive command)
printf '%s\n' "$reply"
[[ ! $reply =~ ^\{\ *\"error\" ]]
