#!/usr/bin/env python3
"""QMP client for the cluster benchmark scripts (cluster-write-latency.sh, cluster-failover.sh).

Python rather than qmp.sh because the benchmarks time each command client-side, keep one
session per host open across hundreds of commands, and need a hard per-try timeout that covers
connect, greeting and capabilities as well as the reply.

  cluster_qmp.py call SOCK COMMAND [ARGS_JSON]     one command; prints the return value as JSON
  cluster_qmp.py changes --pairs N --interval S --prefix P SOCK[:HOST] ...
      N blockdev-add/blockdev-del pairs of null-co nodes, the sockets taken in turn (the node
      lives on the host whose QMP got the command); prints QMP round trips in ms:
      "commands p50 p99 max errors"
  cluster_qmp.py probe --since T --try-timeout S --deadline S --prefix P SOCK ... --logs LOG ...
      after a fault at wall-clock time T (seconds since the epoch), blockdev-add fresh nodes
      on fresh connections, each try bounded by --try-timeout, until a write completes on a
      new Coordinator; prints seconds since T: "first-write longest-gap new-coordinator-write
      unreachable downed removed coordinator-started" (the last four from the survivors'
      logs, "-" when a log did not say it)
  cluster_qmp.py prune SOCK --prefix P [--prefix P ...]
      blockdev-del every node whose name starts with one of the prefixes; prints how many
"""
import argparse
import json
import math
import os
import socket
import sys
import threading
import time


class QmpError(Exception):
    pass


class Session:
    """One negotiated QMP session over a Unix socket; commands run one at a time."""

    def __init__(self, path, timeout):
        self._sock = socket.socket(socket.AF_UNIX)
        self._sock.settimeout(timeout)
        self._sock.connect(path)
        self._buffer = b""
        self._next_id = 0
        self._line()  # the greeting
        self.execute("qmp_capabilities")

    def close(self):
        self._sock.close()

    def settimeout(self, timeout):
        self._sock.settimeout(timeout)

    def execute(self, command, arguments=None):
        self._next_id += 1
        request = {"execute": command, "id": self._next_id}
        if arguments is not None:
            request["arguments"] = arguments
        self._sock.sendall(json.dumps(request).encode() + b"\n")
        while True:
            reply = json.loads(self._line())
            if reply.get("id") != self._next_id:
                continue  # an event, or a late reply: QMP answers in order, events carry no id
            if "error" in reply:
                raise QmpError(reply["error"].get("desc", str(reply["error"])))
            return reply.get("return")

    def _line(self):
        while b"\n" not in self._buffer:
            chunk = self._sock.recv(65536)
            if not chunk:
                raise ConnectionError("the host closed the QMP connection")
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        return line


def percentile(sorted_values, p):
    """Nearest rank, as the Coordinator's LatencyRecorder computes it."""
    if not sorted_values:
        return 0.0
    return sorted_values[min(len(sorted_values) - 1, max(0, math.ceil(p * len(sorted_values)) - 1))]


def call(args):
    session = Session(args.socket, args.timeout)
    try:
        result = session.execute(args.command, json.loads(args.arguments) if args.arguments else None)
    except QmpError as e:
        print(f"cluster_qmp.py: {args.command}: {e}", file=sys.stderr)
        return 1
    finally:
        session.close()
    print(json.dumps(result))
    return 0


def changes(args):
    # One long-lived session per host: what is timed is the graph change, not the connection.
    targets = []
    for target in args.targets:
        path, _, host = target.partition(":")
        targets.append((Session(path, args.timeout), host))
    round_trips = []
    errors = 0
    next_start = time.monotonic()
    for i in range(args.pairs):
        session, host = targets[i % len(targets)]
        node = f"{args.prefix}{i}"
        add = {"driver": "null-co", "node-name": node, "size": 1 << 20}
        if host:
            add["x-host"] = host  # a lone host (or one before the cluster) takes no x-host
        for command, arguments in (("blockdev-add", add), ("blockdev-del", {"node-name": node})):
            # A steady rate: each command starts --interval after the previous one started, or
            # right after it completed when it took longer than that.
            delay = next_start - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            next_start = time.monotonic() + args.interval
            started = time.perf_counter()
            try:
                session.execute(command, arguments)
            except QmpError as e:
                errors += 1
                print(f"cluster_qmp.py: {command} {node}: {e}", file=sys.stderr)
            round_trips.append((time.perf_counter() - started) * 1000)
    for session, _ in targets:
        session.close()
    round_trips.sort()
    print(f"{len(round_trips)} {percentile(round_trips, 0.50):.2f} {percentile(round_trips, 0.99):.2f} {round_trips[-1]:.2f} {errors}")
    return 1 if errors else 0


# What the survivors' logs say on the way to a new Coordinator, in order (Akka's own lines).
MILESTONES = [
    ("unreachable", "Marking node(s) as UNREACHABLE"),
    ("downed", "SBR is downing"),
    ("removed", "Member removed ["),
    ("coordinator", "Singleton manager started singleton actor [akka://actors/user/coordinator/singleton]"),
]


class LogWatch(threading.Thread):
    """Notes when each milestone first appears in the logs' new lines (polled every 10 ms)."""

    def __init__(self, paths, since, trace=None):
        super().__init__(daemon=True)
        self._since = since
        self._trace = open(trace, "w") if trace else None
        self._files = [(path, os.path.getsize(path)) for path in paths]
        self.seen = {}
        self.stop = threading.Event()

    def run(self):
        while not self.stop.is_set():
            now = time.time() - self._since
            for index, (path, offset) in enumerate(self._files):
                with open(path, "rb") as f:
                    f.seek(offset)
                    text = f.read()
                # Whole lines only: a line still being written is read again next time.
                complete = text[: text.rfind(b"\n") + 1]
                self._files[index] = (path, offset + len(complete))
                for name, needle in MILESTONES:
                    if name not in self.seen and needle.encode() in complete:
                        self.seen[name] = now
                if self._trace:
                    for line in complete.decode(errors="replace").splitlines():
                        self._trace.write(f"{now:8.3f} {os.path.basename(os.path.dirname(path))} {line}\n")
            self.stop.wait(0.01)
        if self._trace:
            self._trace.close()


def probe(args):
    # Fresh connections and fresh node names on every try: a try that timed out may still be
    # carried out later, and must neither block nor collide with the next one. Tries go on
    # until one that started after a new Coordinator singleton started has completed: before
    # that, a leaving Coordinator may still serve writes (a clean leave hands over later).
    watch = LogWatch(args.logs, args.since, args.trace)
    watch.start()
    deadline = time.monotonic() + args.deadline
    completions = []
    attempt = 0
    try:
        while time.monotonic() < deadline:
            attempt += 1
            path = args.sockets[attempt % len(args.sockets)]
            started = time.monotonic()
            after_takeover = "coordinator" in watch.seen
            session = None
            try:
                session = Session(path, args.try_timeout)
                # The socket timeout bounds each receive; this bounds the whole try.
                session.settimeout(max(0.01, args.try_timeout - (time.monotonic() - started)))
                session.execute("blockdev-add", {"driver": "null-co", "node-name": f"{args.prefix}{attempt}", "size": 1 << 20})
                completions.append(time.time() - args.since)
                if after_takeover:
                    gaps = [b - a for a, b in zip([0.0] + completions, completions)]
                    milestones = " ".join(f"{watch.seen[n]:.3f}" if n in watch.seen else "-" for n, _ in MILESTONES)
                    # first write, longest gap between writes, first write on the new Coordinator, milestones
                    print(f"{completions[0]:.3f} {max(gaps):.3f} {completions[-1]:.3f} {milestones}")
                    return 0
            except (OSError, ValueError, QmpError):
                pass
            finally:
                if session is not None:
                    session.close()
            # Unanswered tries already waited their timeout; refused ones (socket gone, an
            # error reply) wait a little, so the host is not hammered.
            remaining = args.try_timeout - (time.monotonic() - started)
            if remaining > 0:
                time.sleep(min(remaining, 0.05))
    finally:
        watch.stop.set()
        watch.join()
    print(f"cluster_qmp.py: no graph change on a new Coordinator within {args.deadline} s", file=sys.stderr)
    return 1


def prune(args):
    # Through the graph owner's host: there the whole graph is a local message (to another
    # host it is one remote message, which Akka's frame size bounds).
    session = Session(args.socket, args.timeout)
    try:
        names = [n["node-name"] for n in session.execute("query-named-block-nodes")
                 if n["node-name"].startswith(tuple(args.prefix))]
        for name in names:
            session.execute("blockdev-del", {"node-name": name})
    finally:
        session.close()
    print(len(names))
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="mode", required=True)
    p = sub.add_parser("call")
    p.add_argument("socket")
    p.add_argument("command")
    p.add_argument("arguments", nargs="?")
    p.add_argument("--timeout", type=float, default=60)
    p.set_defaults(run=call)
    p = sub.add_parser("changes")
    p.add_argument("targets", nargs="+", metavar="SOCK[:HOST]")
    p.add_argument("--pairs", type=int, required=True)
    p.add_argument("--interval", type=float, default=0.05)
    p.add_argument("--prefix", default="wb")
    p.add_argument("--timeout", type=float, default=60)
    p.set_defaults(run=changes)
    p = sub.add_parser("probe")
    p.add_argument("sockets", nargs="+")
    p.add_argument("--since", type=float, required=True)
    p.add_argument("--try-timeout", type=float, default=0.3)
    p.add_argument("--deadline", type=float, default=120)
    p.add_argument("--prefix", default="probe")
    p.add_argument("--logs", nargs="+", required=True, help="the survivors' logs")
    p.add_argument("--trace", help="write the logs' new lines here, each with the time it was seen")
    p.set_defaults(run=probe)
    p = sub.add_parser("prune")
    p.add_argument("socket")
    p.add_argument("--prefix", action="append", required=True)
    p.add_argument("--timeout", type=float, default=60)
    p.set_defaults(run=prune)
    args = parser.parse_args()
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
