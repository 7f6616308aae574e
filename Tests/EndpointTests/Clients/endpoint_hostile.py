#!/usr/bin/env python3
r"""Checks a maintctl-proxy node endpoint against hostile and broken clients, with raw sockets.

Each check does one unfriendly thing to the endpoint (bytes that are not RESP, requests
over the size limits, a request left half sent, ten thousand idle connections, a client
that pipelines large replies and never reads them, a shard whose primary was just killed)
while a "bystander" (a separate, well-behaved client) keeps sending SET/GET pairs on keys
of every shard and checks that each reply is right and arrives within 100 ms, before,
during and after the hostile action.

Usage:
  python3 endpoint_hostile.py --endpoint 127.0.0.1:PORT --proxy-pid PID \
      --direct 127.0.0.1:P1,127.0.0.1:P2,... --check NAME[,NAME...]|all [--dead 127.0.0.1:PORT]

Checks (each also requires the bystander's replies right and < 100 ms throughout):
  garbage       bytes that are not RESP (*abc, $\x00\x01 as a bulk length, 64 KB of random
                bytes after *1 $x, a non-bulk argument, unbalanced quotes, garbage after a
                valid PING, random bytes after *), each on a connection of its own, round
                after round for 1.5 s: one `-ERR Protocol error: ...` line (after +PONG for
                the PING), then EOF (or RST, when the endpoint closes with input unread).
  oversized     a 600,000,000-byte bulk length, *99999999999, a 70 KB inline line without
                newline: invalid bulk length / invalid multibulk length / too big inline
                request, then the connection closed.
  unterminated  a SET cut 5 bytes short held for 2 s (no reply, no close), then finished: +OK
                and GET answers the value; also a SET+GET sent one byte at a time.
  idle10k       10,000 idle connections (RLIMIT_NOFILE soft raised to hard; hard >= 10,100
                needed): all accepted (INFO clients), every 100th answers PING, the proxy's
                RSS < 300 MB (reported: before, with them, after, per connection); closed at
                once (by RST, so no TIME_WAIT is left here), connected_clients back to the
                few before within 5 s.
  nonreader     one client pipelines up to 200,000 GET of a 100 KB value and never reads,
                writing until its socket takes nothing for 1 s (at most 10 s), then holds 2 s:
                the proxy's RSS growth < 512 MB (1,024 in flight x 100 KB ~ 100 MB expected);
                reported: the GETs the shard ran for it (INFO commandstats), RSS after it
                closed; the proxy must answer PING after.
  shard_down    only with --dead (a primary the caller has just killed with SIGKILL; --direct
                then names the live primaries): for 3 s, SET/GET pairs on the live shards
                (< 100 ms, right) and GETs on the dead shard, each answered within 1.5 s by
                CLUSTERDOWN... or, after a failover, a normal reply (never a hang or a close).
                The servers' own `CLUSTERDOWN The cluster is down`, while the live servers
                say cluster_state:fail (a failed primary not yet replaced, with Redis'
                default cluster-require-full-coverage yes), is counted, not a failure.
With --check all and no --dead, shard_down is reported as skipped. With --dead, the
bystander of the other checks leaves out the dead server's shard.

--direct servers are read for the slot map (CLUSTER SLOTS, and CLUSTER NODES to find the
dead server's shard); keys are placed on shards by computing their slots here (CRC16-XMODEM
with hash-tag rules), checked against CLUSTER KEYSLOT. --proxy-pid is read for the proxy's
memory (VmRSS in /proc/PID/status) and its open-file limit.

Output: one JSON line per check on stdout, {"check": NAME, "ok": BOOL, "detail": "...",
"seconds": S} ("skipped": true for shard_down without --dead). The detail of a failed check
lists its first problems, then what it measured.
Exit status: 0 when every check is ok, 1 when one is not, 2 for a usage error.

Every key the run writes starts with a prefix unique to the run (eph:<hex>:) and is deleted
at the end. Every socket has a timeout, every loop and every thread join is bounded, and
each check closes the sockets it opened, so a hung endpoint fails a check, never hangs the
script. Needs only the standard library (Python 3.11).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import select
import socket
import sys
import threading
import time
import traceback
from typing import Any, Callable

LATENCY_LIMIT = 0.100      # the bystander's bound on each reply
SOCKET_TIMEOUT = 3.0       # every ordinary socket operation
IDLE_CONNECTIONS = 10_000
SETTLE_SECONDS = 30.0      # idle10k: how long INFO clients may take to count them all, or none
IDLE_RSS_LIMIT_MB = 300    # the proxy's RSS with 10,000 idle clients
NONREADER_GROWTH_LIMIT_MB = 512  # the proxy's RSS growth under a client that never reads
BIG_VALUE_BYTES = 100 * 1024
NONREADER_COMMANDS = 200_000
DEAD_REPLY_LIMIT = 1.5     # each request to a dead shard must be answered within this
SHARD_DOWN_SECONDS = 3.0
RANDOM_SEED = 20240601


# ---------------------------------------------------------------------------------------
# Small helpers

class CheckError(Exception):
    """A step that cannot go on (its result makes the rest of the check meaningless)."""


class Result:
    """What one check found: problems (any problem fails it) and measurements."""

    def __init__(self) -> None:
        self.problems: list[str] = []
        self.notes: list[str] = []
        self.skipped = False

    def fail(self, text: str) -> None:
        self.problems.append(text)

    def note(self, text: str) -> None:
        self.notes.append(text)

    def true(self, label: str, condition: bool, explain: str = "") -> bool:
        if not condition:
            self.fail(f"{label}{': ' + explain if explain else ''}")
        return condition

    def detail(self) -> str:
        parts: list[str] = []
        if self.problems:
            shown = self.problems[:8]
            more = len(self.problems) - len(shown)
            parts.append("PROBLEMS: " + "; ".join(shown) + (f"; (+{more} more problems)" if more > 0 else ""))
        parts.extend(self.notes)
        text = " | ".join(parts) if parts else "ok"
        return text if len(text) <= 6000 else text[:5997] + "..."


def short(value: Any, limit: int = 160) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def parse_address(text: str) -> tuple[str, int]:
    host, _, port = text.strip().rpartition(":")
    if not host or not port.isdigit():
        raise argparse.ArgumentTypeError(f"not HOST:PORT: {text!r}")
    return host, int(port)


def address_text(address: tuple[str, int]) -> str:
    return f"{address[0]}:{address[1]}"


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}ms"


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * (len(ordered) - 1) + 0.5))]


def latency_summary(values: list[float]) -> str:
    if not values:
        return "n=0"
    return (f"n={len(values)} p50={ms(percentile(values, 0.5))} p99={ms(percentile(values, 0.99))} "
            f"max={ms(max(values))}")


CLOSE_BATCH = 500     # idle10k: connections closed at once…
CLOSE_PAUSE = 0.025   # …then this pause


def close_all(sockets: list[socket.socket], reset: bool = False) -> None:
    """Closes every socket; with reset, by RST (SO_LINGER 0), which leaves no TIME_WAIT here:
    ten thousand TIME_WAIT sockets would keep as many local ports (in the ephemeral range,
    where test servers often listen) unbindable for a minute."""
    linger = b"\x01\x00\x00\x00\x00\x00\x00\x00"  # struct linger {l_onoff = 1, l_linger = 0}
    for sock in sockets:
        try:
            if reset:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
            sock.close()
        except OSError:
            pass


# ---------------------------------------------------------------------------------------
# Slots: CRC16-XMODEM and hash tags, as Redis Cluster computes them

def _crc16_table() -> list[int]:
    table = []
    for byte in range(256):
        crc = byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) & 0xFFFF if crc & 0x8000 else (crc << 1) & 0xFFFF
        table.append(crc)
    return table


CRC16_TABLE = _crc16_table()


def crc16(data: bytes) -> int:
    crc = 0
    for byte in data:
        crc = ((crc << 8) & 0xFFFF) ^ CRC16_TABLE[((crc >> 8) ^ byte) & 0xFF]
    return crc


def key_slot(key: bytes) -> int:
    start = key.find(b"{")
    if start != -1:
        end = key.find(b"}", start + 1)
        if end != -1 and end != start + 1:
            key = key[start + 1:end]
    return crc16(key) & 16383


# ---------------------------------------------------------------------------------------
# Raw RESP client

class ErrorReply(str):
    """An error reply (`-...`), its text without the dash."""


def encode_command(*args: Any) -> bytes:
    parts = [b"*%d\r\n" % len(args)]
    for arg in args:
        if isinstance(arg, str):
            arg = arg.encode()
        elif isinstance(arg, int):
            arg = str(arg).encode()
        parts.append(b"$%d\r\n%s\r\n" % (len(arg), arg))
    return b"".join(parts)


class Resp:
    """One RESP2 connection over a blocking socket with a timeout."""

    def __init__(self, address: tuple[str, int], timeout: float = SOCKET_TIMEOUT) -> None:
        self.sock = socket.create_connection(address, timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buffer = bytearray()

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self) -> "Resp":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def send(self, *args: Any) -> None:
        self.sock.sendall(encode_command(*args))

    def call(self, *args: Any) -> Any:
        self.send(*args)
        return self.read()

    def _fill(self) -> None:
        chunk = self.sock.recv(1 << 20)
        if not chunk:
            raise EOFError("the endpoint closed the connection")
        self.buffer += chunk

    def _line(self) -> bytes:
        while True:
            end = self.buffer.find(b"\r\n")
            if end != -1:
                line = bytes(self.buffer[:end])
                del self.buffer[: end + 2]
                return line
            if len(self.buffer) > 1 << 20:
                raise ValueError("reply line longer than 1 MB")
            self._fill()

    def _exact(self, count: int) -> bytes:
        while len(self.buffer) < count + 2:
            self._fill()
        data = bytes(self.buffer[:count])
        del self.buffer[: count + 2]
        return data

    def read(self) -> Any:
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind == b"+":
            return rest.decode(errors="replace")
        if kind == b"-":
            return ErrorReply(rest.decode(errors="replace"))
        if kind == b":":
            return int(rest)
        if kind == b"$":
            length = int(rest)
            return None if length < 0 else self._exact(length)
        if kind == b"*":
            count = int(rest)
            return None if count < 0 else [self.read() for _ in range(count)]
        raise ValueError(f"not a RESP2 reply: {line[:80]!r}")


def read_until_close(sock: socket.socket, timeout: float, limit: int = 1 << 20) -> tuple[bytes, str]:
    """Everything the peer sends until it closes; returns the bytes and how it ended:
    'eof', 'reset', 'timeout' or 'limit'."""
    data = bytearray()
    deadline = time.monotonic() + timeout
    while len(data) < limit:
        left = deadline - time.monotonic()
        if left <= 0:
            return bytes(data), "timeout"
        sock.settimeout(left)
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            return bytes(data), "timeout"
        except (ConnectionResetError, BrokenPipeError):
            return bytes(data), "reset"
        if not chunk:
            return bytes(data), "eof"
        data += chunk
    return bytes(data), "limit"


# ---------------------------------------------------------------------------------------
# The proxy process

def proxy_rss_kb(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def proxy_fd_limit(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/limits") as limits:
            for line in limits:
                if line.startswith("Max open files"):
                    value = line.split()[3]
                    return None if value == "unlimited" else int(value)
    except (OSError, ValueError, IndexError):
        return None
    return None


def proxy_cpu_seconds(pid: int) -> float | None:
    """The CPU time (user + system) the proxy has used so far."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def cpu_between(before: float | None, after: float | None) -> str:
    return "?" if before is None or after is None else ms(after - before)


def mb(kb: int | None) -> str:
    return "?" if kb is None else f"{kb / 1024:.1f}MB"


# ---------------------------------------------------------------------------------------
# The bystander: a well-behaved client, on its own connection and thread

class Bystander:
    """Sends SET k v / GET k pairs on keys of every shard, one at a time, and records each
    reply's latency and any wrong reply, error, timeout or closed connection, by phase."""

    def __init__(self, endpoint: tuple[str, int], keys: list[bytes], label: str = "bystander",
                 pause: float = 0.005, limit: float | None = None, max_seconds: float = 180.0,
                 shard_of: Callable[[bytes], str] | None = None,
                 tolerate: Callable[[bytes, str, float], bool] | None = None) -> None:
        self.endpoint = endpoint
        # An error reply `tolerate(key, text, monotonic time)` accepts is counted, not a problem
        # (shard_down: the cluster's own CLUSTERDOWN while its servers say cluster_state:fail);
        # error replies wait in `deferred` for resolve(), after what tolerate consults is known.
        self.tolerate = tolerate
        self.tolerated: dict[str, int] = {}
        self.deferred: list[tuple[bytes, str, float, str]] = []
        self.confirmed: dict[bytes, bytes] = {}  # the last value a SET of each key was answered OK for
        self.keys = keys
        self.shard_of = shard_of or (lambda key: "?")
        self.shard_max: dict[str, dict[str, float]] = {}  # phase -> shard -> the slowest reply
        self.gets: dict[str, int] = {}  # GETs sent, by shard
        self.label = label
        self.pause = pause
        self.limit = LATENCY_LIMIT if limit is None else limit
        # A reply slower than the bound is reported as slow, not as a time-out.
        self.socket_timeout = max(SOCKET_TIMEOUT, self.limit + 1.0)
        self.max_seconds = max_seconds
        self.phase = "before"
        self.latencies: dict[str, list[float]] = {}
        self.problems: list[str] = []
        self.problem_count = 0
        self.slow: list[str] = []
        self.slow_count = 0
        self.pairs: dict[str, int] = {}
        self.stop_event = threading.Event()
        self.started = time.monotonic()
        self.thread = threading.Thread(target=self._run, name=label, daemon=True)
        self.counter = 0
        self.lock = threading.Lock()

    def start(self) -> "Bystander":
        self.started = time.monotonic()
        self.thread.start()
        return self

    def set_phase(self, phase: str) -> None:
        self.phase = phase

    def wait_pairs(self, phase: str, count: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.pairs.get(phase, 0) >= count:
                return True
            time.sleep(0.01)
        return self.pairs.get(phase, 0) >= count

    def run_phase(self, phase: str, seconds: float, min_pairs: int = 5) -> None:
        """Switches to `phase` for about `seconds` (and at least min_pairs pairs, up to 5 s or
        the latency bound more)."""
        self.set_phase(phase)
        time.sleep(seconds)
        self.wait_pairs(phase, min_pairs, max(5.0, self.limit))

    def stop(self) -> None:
        self.stop_event.set()
        self.thread.join(timeout=self.socket_timeout + 2)
        if self.thread.is_alive():
            self._problem("the bystander thread did not stop within its bound")

    def _problem(self, text: str) -> None:
        with self.lock:
            self.problem_count += 1
            if len(self.problems) < 6:
                self.problems.append(f"[{self.phase}, at {time.monotonic() - self.started:.2f}s] {text}")

    def _timed(self, conn: Resp, *args: Any) -> tuple[Any, float]:
        start = time.perf_counter()
        conn.send(*args)
        reply = conn.read()
        return reply, time.perf_counter() - start

    def _record(self, phase: str, what: str, key: bytes, latency: float) -> None:
        self.latencies.setdefault(phase, []).append(latency)
        shard = self.shard_of(key)
        slowest = self.shard_max.setdefault(phase, {})
        slowest[shard] = max(slowest.get(shard, 0.0), latency)
        if latency >= self.limit:
            with self.lock:
                self.slow_count += 1
                if len(self.slow) < 6:
                    self.slow.append(f"[{phase}] {what} (shard {shard}) took {ms(latency)}")

    def _run(self) -> None:
        started = time.monotonic()
        conn: Resp | None = None
        index = 0
        while not self.stop_event.is_set() and time.monotonic() - started < self.max_seconds:
            phase = self.phase
            try:
                if conn is None:
                    conn = Resp(self.endpoint, timeout=self.socket_timeout)
                key = self.keys[index % len(self.keys)]
                index += 1
                self.counter += 1
                value = b"v%d" % self.counter
                reply, latency = self._timed(conn, "SET", key, value)
                self._record(phase, f"SET {key.decode()}", key, latency)
                wanted = [value]
                if reply == "OK":
                    self.confirmed[key] = value
                elif self._defer(key, reply, f"SET {key.decode()} answered {short(reply)}"):
                    # Not written: GET answers the value before, or (a SET that went through
                    # after all) this one.
                    wanted.append(self.confirmed.get(key))
                else:
                    self._problem(f"SET {key.decode()} answered {short(reply)}")
                shard = self.shard_of(key)
                self.gets[shard] = self.gets.get(shard, 0) + 1
                reply, latency = self._timed(conn, "GET", key)
                self._record(phase, f"GET {key.decode()}", key, latency)
                if reply not in wanted and not self._defer(key, reply, f"GET {key.decode()} answered {short(reply)}"):
                    self._problem(f"GET {key.decode()} answered {short(reply)}, want {' or '.join(map(repr, wanted))}")
                self.pairs[phase] = self.pairs.get(phase, 0) + 1
            except (OSError, EOFError, ValueError) as error:
                self._problem(f"{type(error).__name__}: {error}")
                if conn is not None:
                    conn.close()
                    conn = None
                self.stop_event.wait(0.1)
                continue
            self.stop_event.wait(self.pause)
        if conn is not None:
            conn.close()

    def _defer(self, key: bytes, reply: Any, text: str) -> bool:
        if not isinstance(reply, ErrorReply) or self.tolerate is None:
            return False
        self.deferred.append((key, str(reply), time.monotonic(), f"[{self.phase}, at {time.monotonic() - self.started:.2f}s] {text}"))
        return True

    def resolve(self) -> None:
        """Decides the deferred error replies: tolerated, or problems."""
        for key, text, at, problem in self.deferred:
            if self.tolerate is not None and self.tolerate(key, text, at):
                self.tolerated[text] = self.tolerated.get(text, 0) + 1
            else:
                self.problem_count += 1
                if len(self.problems) < 6:
                    self.problems.append(problem)
        self.deferred = []

    def report(self, result: Result, phases: list[str] | None = None) -> None:
        """Adds the bystander's problems to `result` and its latencies to its notes."""
        for problem in self.problems:
            result.fail(f"{self.label}: {problem}")
        if self.problem_count > len(self.problems):
            result.fail(f"{self.label}: +{self.problem_count - len(self.problems)} more problems")
        if self.slow_count:
            result.fail(f"{self.label}: {self.slow_count} replies took >= {ms(self.limit)}: " + "; ".join(self.slow))
        for phase in phases or list(self.latencies):
            values = self.latencies.get(phase, [])
            if phases and self.pairs.get(phase, 0) == 0:
                result.fail(f"{self.label}: no SET/GET pair completed {phase} the action")
            slowest = ", ".join(f"{shard} {ms(value)}" for shard, value in sorted(self.shard_max.get(phase, {}).items()))
            result.note(f"{self.label} {phase}: {self.pairs.get(phase, 0)} pairs, {latency_summary(values)}"
                        + (f" (max by shard: {slowest})" if slowest else ""))


# ---------------------------------------------------------------------------------------
# The run: the cluster's layout and the run's keys

class Run:
    def __init__(self, args: argparse.Namespace) -> None:
        self.endpoint: tuple[str, int] = args.endpoint
        self.pid: int = args.proxy_pid
        self.direct: list[tuple[str, int]] = args.direct
        self.dead: tuple[str, int] | None = args.dead
        self.prefix = "eph:%s:" % os.urandom(4).hex()
        self.primaries: list[str] = []          # shard primaries, "host:port"
        self.slot_owner: list[str | None] = [None] * 16384
        self.dead_shard: str | None = None      # the primary (as listed) whose shard the dead server served
        self.dead_shard_problem = ""
        self.shard_keys: dict[str, list[bytes]] = {}
        self.written: set[bytes] = set()

    # Layout

    def direct_call(self, *args: Any) -> tuple[Any, tuple[str, int]]:
        errors = []
        for address in self.direct:
            try:
                with Resp(address) as conn:
                    reply = conn.call(*args)
                if isinstance(reply, ErrorReply):
                    errors.append(f"{address_text(address)}: -{reply}")
                    continue
                return reply, address
            except (OSError, EOFError, ValueError) as error:
                errors.append(f"{address_text(address)}: {type(error).__name__}: {error}")
        raise CheckError(f"no --direct server answered {' '.join(map(str, args))}: " + "; ".join(errors))

    def read_layout(self) -> None:
        if crc16(b"123456789") != 0x31C3 or key_slot(b"foo") != 12182 or key_slot(b"{user1000}.a") != key_slot(b"user1000"):
            raise CheckError("the script's CRC16 is wrong")
        slots, _ = self.direct_call("CLUSTER", "SLOTS")
        for entry in slots:
            start, end, primary = entry[0], entry[1], entry[2]
            owner = f"{primary[0].decode()}:{primary[1]}"
            if owner not in self.primaries:
                self.primaries.append(owner)
            for slot in range(start, end + 1):
                self.slot_owner[slot] = owner
        if not self.primaries:
            raise CheckError("CLUSTER SLOTS lists no shard")
        if self.dead is not None:
            self.find_dead_shard()
        for index in range(100_000):
            key = f"{self.prefix}k{index}".encode()
            owner = self.slot_owner[key_slot(key)]
            if owner is None:
                continue
            keys = self.shard_keys.setdefault(owner, [])
            if len(keys) < 4:
                keys.append(key)
            if len(self.shard_keys) == len(self.primaries) and all(len(k) >= 4 for k in self.shard_keys.values()):
                break
        # The server's own slot of one key per shard must be ours.
        for keys in self.shard_keys.values():
            slot, address = self.direct_call("CLUSTER", "KEYSLOT", keys[0])
            if slot != key_slot(keys[0]):
                raise CheckError(f"CLUSTER KEYSLOT {keys[0]!r} on {address_text(address)} is {slot}, the script computed {key_slot(keys[0])}")

    def find_dead_shard(self) -> None:
        """The shard the dead server served: its own slots while the cluster still lists it as
        primary; after a failover, the slots of the replica that took over (the dead server
        is then listed as that one's replica, in CLUSTER NODES)."""
        dead = address_text(self.dead)
        if dead in self.primaries:
            self.dead_shard = dead
            return
        nodes, _ = self.direct_call("CLUSTER", "NODES")
        by_id: dict[str, tuple[str, str, str]] = {}
        for line in nodes.decode().splitlines():
            fields = line.split()
            if len(fields) < 8:
                continue
            address = fields[1].split("@")[0].split(",")[0]
            by_id[fields[0]] = (address, fields[2], fields[3])
        for node_id, (address, flags, master) in by_id.items():
            if address == dead:
                if "slave" in flags and master in by_id and by_id[master][0] in self.primaries:
                    self.dead_shard = by_id[master][0]
                    return
                # A failed primary whose replica has taken over stays listed as a failed master
                # with no slots; its shard is then the one primary that --direct (the live
                # primaries before the kill) does not name.
                others = [p for p in self.primaries if p not in {address_text(d) for d in self.direct}]
                if len(others) == 1:
                    self.dead_shard = others[0]
                    self.dead_shard_problem = (f"{dead} is listed as {flags} with no slots; its shard taken "
                                               f"to be {others[0]}, the one primary --direct does not name")
                    return
                self.dead_shard_problem = (f"the cluster lists {dead} as {flags} (master {master}), serving no slots, "
                                           f"and {len(others)} primaries are not in --direct: {others}")
                return
        self.dead_shard_problem = f"{dead} is not in the cluster's CLUSTER NODES"

    def live_keys(self) -> list[bytes]:
        """Keys on every shard but the dead one, interleaved shard by shard."""
        shards = [owner for owner in self.primaries if owner != self.dead_shard]
        keys: list[bytes] = []
        for index in range(4):
            for owner in shards:
                keys.append(self.shard_keys[owner][index])
        return keys

    def bystander(self, label: str = "bystander") -> Bystander:
        keys = self.live_keys()
        self.written.update(keys)
        return Bystander(self.endpoint, keys, label=label, shard_of=self.shard_of)

    def shard_of(self, key: bytes) -> str:
        return self.slot_owner[key_slot(key)] or "?"

    def key_on(self, owner: str, name: str) -> bytes:
        for index in range(200_000):
            key = f"{self.prefix}{name}{index}".encode()
            if self.slot_owner[key_slot(key)] == owner:
                return key
        raise CheckError(f"found no key on shard {owner}")

    def connected_clients(self) -> int | None:
        try:
            with Resp(self.endpoint) as conn:
                reply = conn.call("INFO", "clients")
        except (OSError, EOFError, ValueError):
            return None
        if not isinstance(reply, bytes):
            return None
        for line in reply.decode(errors="replace").splitlines():
            if line.startswith("connected_clients:"):
                return int(line.split(":", 1)[1])
        return None

    def ping(self) -> str:
        try:
            with Resp(self.endpoint) as conn:
                start = time.perf_counter()
                reply = conn.call("PING")
                return f"{reply!r} in {ms(time.perf_counter() - start)}"
        except (OSError, EOFError, ValueError) as error:
            return f"{type(error).__name__}: {error}"

    def cleanup(self) -> int:
        deleted = 0
        dead_keys = set(self.shard_keys.get(self.dead_shard, [])) if self.dead_shard else set()
        try:
            with Resp(self.endpoint, timeout=2.0) as conn:
                for key in sorted(self.written):
                    if key in dead_keys or (self.dead_shard and self.slot_owner[key_slot(key)] == self.dead_shard):
                        continue
                    reply = conn.call("DEL", key)
                    if isinstance(reply, int):
                        deleted += reply
        except (OSError, EOFError, ValueError):
            pass
        return deleted


# ---------------------------------------------------------------------------------------
# Checks

def expect_protocol_error(endpoint: tuple[str, int], payload: bytes, want: str,
                          before: bytes = b"") -> tuple[str | None, str]:
    """Sends payload on a new connection; the endpoint must answer (after `before`, the
    replies of the valid commands in front of it) one `-ERR Protocol error...` line
    containing `want`, then close the connection. Returns (problem or None, what happened)."""
    sock = socket.create_connection(endpoint, timeout=SOCKET_TIMEOUT)
    try:
        send_error = ""
        try:
            sock.sendall(payload)
        except (BrokenPipeError, ConnectionResetError) as error:
            # The endpoint may close while a large payload is still being sent; the reply
            # is then already on its way.
            send_error = f" (sending: {type(error).__name__} - the endpoint closed first)"
        started = time.perf_counter()
        data, end = read_until_close(sock, timeout=SOCKET_TIMEOUT)
        took = time.perf_counter() - started
    finally:
        sock.close()
    shown = f"received {short(data, 200)} then {end} after {ms(took)}{send_error}"
    if not data.startswith(before):
        return f"{shown}; want first {before!r}", shown
    rest = data[len(before):]
    line, _, after = rest.partition(b"\r\n")
    if not line.startswith(b"-ERR Protocol error") or want.encode() not in line or not rest.endswith(b"\r\n"):
        return f"{shown}; want one line -ERR Protocol error ... {want!r}", shown
    if after:
        return f"{shown}; more bytes after the error line", shown
    if end == "timeout":
        return f"{shown}; the connection was not closed within {SOCKET_TIMEOUT}s", shown
    if end not in ("eof", "reset"):
        return shown, shown
    return None, f"{line.decode(errors='replace')!r} then {end}"


def hostile_rounds(result: Result, cases: Callable[[int], list[tuple[str, bytes, str, bytes]]],
                   endpoint: tuple[str, int], min_seconds: float = 1.5, max_rounds: int = 3000) -> None:
    """Sends every case of cases(round) on connections of their own, round after round, for
    at least min_seconds (and 3 rounds; at most max_rounds), so the bystander runs during them."""
    seen: dict[str, dict[str, Any]] = {}
    started = time.monotonic()
    rounds = 0
    while rounds < max_rounds and (rounds < 3 or time.monotonic() - started < min_seconds):
        for label, payload, want, before in cases(rounds):
            entry = seen.setdefault(label, {"rounds": 0, "failed": 0, "outcomes": {}})
            entry["rounds"] += 1
            try:
                problem, outcome = expect_protocol_error(endpoint, payload, want, before)
            except OSError as error:
                problem = outcome = f"{type(error).__name__}: {error}"
            entry["outcomes"][outcome] = entry["outcomes"].get(outcome, 0) + 1
            if problem:
                entry["failed"] += 1
                if entry["failed"] <= 2:
                    result.fail(f"{label} (round {rounds + 1}): {problem}")
        rounds += 1
    for label, entry in seen.items():
        if entry["failed"] > 2:
            result.fail(f"{label}: failed {entry['failed']} of {entry['rounds']} rounds")
        outcomes = ", ".join(f"{text} x{count}" for text, count in entry["outcomes"].items())
        result.note(f"{label}: {outcomes}")
    result.note(f"{rounds} rounds in {time.monotonic() - started:.1f}s")


def check_garbage(run: Run) -> Result:
    result = Result()
    rng = random.Random(RANDOM_SEED)

    def cases(round_: int) -> list[tuple[str, bytes, str, bytes]]:
        noise = rng.randbytes(64 * 1024)
        high = bytes(byte | 0x80 for byte in rng.randbytes(200))
        return [
            ("*abc", b"*abc\r\n", "invalid multibulk length", b""),
            ("$\\x00\\x01 as a bulk length", b"*1\r\n$\x00\x01\r\n" + b"\x00\xff" * 32, "invalid bulk length", b""),
            # "too big bulk count string" or "invalid bulk length", by where the noise has a CRLF
            ("64KB of random bytes after *1 $x", b"*1\r\n$x" + noise, "Protocol error", b""),
            ("an argument that is not a bulk", b"*2\r\n$3\r\nGET\r\nxyz\r\n", "expected '$', got 'x'", b""),
            ("unbalanced quotes", b'SET "abc def\r\n', "unbalanced quotes in request", b""),
            ("garbage after a valid command", b"*1\r\n$4\r\nPING\r\n*-x\r\n", "invalid multibulk length", b"+PONG\r\n"),
            ("random bytes after *", b"*" + high + b"\r\n", "invalid multibulk length", b""),
        ]

    return rounds_beside_a_bystander(run, result, cases)


def rounds_beside_a_bystander(run: Run, result: Result, cases: Callable[[int], list[tuple[str, bytes, str, bytes]]]) -> Result:
    """Runs the hostile `cases` round after round while a bystander checks the others."""
    bystander = run.bystander().start()
    try:
        bystander.run_phase("before", 0.5)
        bystander.set_phase("during")
        hostile_rounds(result, cases, run.endpoint)
        bystander.run_phase("after", 1.0)
    finally:
        bystander.stop()
    bystander.report(result, ["before", "during", "after"])
    result.note(f"proxy answers PING after: {run.ping()}")
    return result


def check_oversized(run: Run) -> Result:
    result = Result()

    def cases(round_: int) -> list[tuple[str, bytes, str, bytes]]:
        return [
            ("bulk of 600,000,000 bytes", b"*1\r\n$600000000\r\n", "invalid bulk length", b""),
            ("*99999999999", b"*99999999999\r\n", "invalid multibulk length", b""),
            ("70KB inline line without newline", b"GET " + b"a" * (70 * 1024), "too big inline request", b""),
        ]

    return rounds_beside_a_bystander(run, result, cases)


def check_unterminated(run: Run) -> Result:
    result = Result()
    owner = run.primaries[0] if run.primaries[0] != run.dead_shard else run.primaries[-1]
    key = run.key_on(owner, "partial")
    key2 = run.key_on(owner, "bytewise")
    run.written.update([key, key2])
    head = encode_command("SET", key, "abcde")
    cut = len(head) - len(b"cde\r\n")
    bystander = run.bystander().start()
    sockets: list[socket.socket] = []
    try:
        bystander.run_phase("before", 0.5)
        sock = socket.create_connection(run.endpoint, timeout=SOCKET_TIMEOUT)
        sockets.append(sock)
        sock.sendall(head[:cut])
        bystander.set_phase("during")
        # For 2 s the endpoint must neither answer nor close.
        poller = select.poll()
        poller.register(sock, select.POLLIN | select.POLLERR | select.POLLHUP)
        held_until = time.monotonic() + 2.0
        while time.monotonic() < held_until:
            events = poller.poll(max(1, int((held_until - time.monotonic()) * 1000)))
            if events:
                try:
                    data = sock.recv(4096, socket.MSG_PEEK | socket.MSG_DONTWAIT)
                except OSError as error:
                    data = f"{type(error).__name__}".encode()
                result.fail(f"while the request was unfinished the endpoint sent {short(data)}"
                            f"{' (closed)' if data == b'' else ''} after {2.0 - (held_until - time.monotonic()):.2f}s")
                break
        else:
            sock.sendall(head[cut:])
            sock.settimeout(1.0)
            try:
                start = time.perf_counter()
                data = b""
                while not data.endswith(b"\r\n"):
                    chunk = sock.recv(4096)
                    if not chunk:
                        break
                    data += chunk
                took = time.perf_counter() - start
                result.true("the finished request", data == b"+OK\r\n", f"answered {short(data)}, want +OK")
                result.note(f"held {cut} of {len(head)} bytes for 2s, then the rest: {data!r} in {ms(took)}")
                sock.sendall(encode_command("GET", key))
                data = sock.recv(4096)
                result.true("GET after it", data == b"$5\r\nabcde\r\n", f"answered {short(data)}")
            except (socket.timeout, OSError) as error:
                result.fail(f"after finishing the request: {type(error).__name__}: {error}")
        # A whole command, one byte at a time.
        sock2 = socket.create_connection(run.endpoint, timeout=SOCKET_TIMEOUT)
        sockets.append(sock2)
        sock2.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        command = encode_command("SET", key2, "bytewise") + encode_command("GET", key2)
        for byte in command:
            sock2.sendall(bytes([byte]))
            time.sleep(0.001)
        sock2.settimeout(2.0)
        want = b"+OK\r\n$8\r\nbytewise\r\n"
        data = b""
        try:
            while len(data) < len(want):
                chunk = sock2.recv(4096)
                if not chunk:
                    break
                data += chunk
        except OSError as error:
            result.fail(f"byte-at-a-time SET/GET: {type(error).__name__} after {data!r}")
        result.true("byte-at-a-time SET/GET", data == want, f"answered {short(data)}")
        result.note(f"SET+GET sent one byte at a time ({len(command)} bytes): {'ok' if data == want else 'wrong'}")
        bystander.run_phase("after", 0.5)
    finally:
        close_all(sockets)
        bystander.stop()
    bystander.report(result, ["before", "during", "after"])
    return result


def open_idle(endpoint: tuple[str, int], count: int, batch: int, result: Result) -> list[socket.socket]:
    """count connections to the endpoint, opened `batch` at a time with non-blocking
    connects, each batch within 5 s."""
    opened: list[socket.socket] = []
    failures: dict[str, int] = {}
    while len(opened) + sum(failures.values()) < count:
        pending: dict[int, socket.socket] = {}
        poller = select.poll()
        for _ in range(min(batch, count - len(opened) - sum(failures.values()))):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.setblocking(False)
            code = sock.connect_ex(endpoint)
            if code not in (0, 115):  # EINPROGRESS
                failures[os.strerror(code)] = failures.get(os.strerror(code), 0) + 1
                sock.close()
                continue
            pending[sock.fileno()] = sock
            poller.register(sock, select.POLLOUT | select.POLLERR | select.POLLHUP)
        deadline = time.monotonic() + 5.0
        while pending and time.monotonic() < deadline:
            for fd, _ in poller.poll(100):
                sock = pending.pop(fd, None)
                if sock is None:
                    continue
                poller.unregister(fd)
                code = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                if code:
                    failures[os.strerror(code)] = failures.get(os.strerror(code), 0) + 1
                    sock.close()
                else:
                    sock.settimeout(SOCKET_TIMEOUT)
                    opened.append(sock)
        for sock in pending.values():
            failures["connect timed out (5s)"] = failures.get("connect timed out (5s)", 0) + 1
            sock.close()
        if sum(failures.values()) > 100:
            break
    if failures:
        result.fail(f"{sum(failures.values())} connects failed: {failures}")
    return opened


def check_idle10k(run: Run) -> Result:
    result = Result()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = IDLE_CONNECTIONS + 100
    if hard != resource.RLIM_INFINITY and hard < need:
        result.fail(f"this script's RLIMIT_NOFILE hard limit is {hard}, {need} are needed for "
                    f"{IDLE_CONNECTIONS} connections (raise it: ulimit -Hn)")
        return result
    if soft == resource.RLIM_INFINITY or soft < need:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    proxy_limit = proxy_fd_limit(run.pid)
    result.note(f"RLIMIT_NOFILE here {soft}->{resource.getrlimit(resource.RLIMIT_NOFILE)[0]} (hard {hard}); "
                f"the proxy's open-file limit {proxy_limit}")
    if proxy_limit is not None and proxy_limit < IDLE_CONNECTIONS + 50:
        result.fail(f"the proxy's own open-file limit is {proxy_limit}: it cannot hold {IDLE_CONNECTIONS} clients")
    rss_before = proxy_rss_kb(run.pid)
    if rss_before is None:
        result.fail(f"cannot read /proc/{run.pid}/status (is --proxy-pid the proxy?)")
        return result
    clients_before = run.connected_clients()
    bystander = run.bystander().start()
    idle: list[socket.socket] = []
    clients = clients_after = rss_held = rss_after = None
    closed_count = 0
    try:
        bystander.run_phase("before", 0.5)
        bystander.set_phase("during")
        started = time.monotonic()
        cpu_before_open = proxy_cpu_seconds(run.pid)
        idle = open_idle(run.endpoint, IDLE_CONNECTIONS, 250, result)
        open_seconds = time.monotonic() - started
        result.note(f"opened {len(idle)} idle connections in {open_seconds:.1f}s "
                    f"(the proxy's CPU meanwhile: {cpu_between(cpu_before_open, proxy_cpu_seconds(run.pid))})")
        # The endpoint must have accepted them all (a debug build on a loaded 2-core machine
        # takes many seconds of CPU for 10,000 accepts: SETTLE_SECONDS, not stuck).
        deadline = time.monotonic() + SETTLE_SECONDS
        while time.monotonic() < deadline:
            clients = run.connected_clients()
            if clients is not None and clients >= len(idle):
                break
            time.sleep(0.1)
        result.true("connected_clients with the idle connections open", clients is not None and clients >= len(idle),
                    f"INFO clients says {clients}, {len(idle)} are open")
        # A sample of them must be served: PING on every 100th.
        sample = idle[::100]
        unanswered = []
        for sock in sample:
            try:
                sock.settimeout(2.0)
                sock.sendall(b"PING\r\n")
                reply = sock.recv(64)
                if reply != b"+PONG\r\n":
                    unanswered.append(short(reply, 40))
            except OSError as error:
                unanswered.append(type(error).__name__)
        result.true(f"PING on {len(sample)} of the idle connections", not unanswered,
                    f"{len(unanswered)} not answered +PONG: {unanswered[:5]}")
        bystander.run_phase("held", 2.0)
        rss_held = proxy_rss_kb(run.pid)
        bystander.set_phase("closing")
        # They leave within half a second (20,000 a second), not in one instant: the endpoint
        # handles a burst of closes in one turn of its event loop, and a bystander's reply
        # waits for that turn (about 30 us a close).
        cpu_before_close = proxy_cpu_seconds(run.pid)
        closing_started = time.monotonic()
        for start in range(0, len(idle), CLOSE_BATCH):
            close_all(idle[start:start + CLOSE_BATCH], reset=True)
            time.sleep(CLOSE_PAUSE)
        closed_count = len(idle)
        idle = []
        deadline = time.monotonic() + SETTLE_SECONDS
        while time.monotonic() < deadline:
            clients_after = run.connected_clients()
            if clients_after is not None and clients_after <= (clients_before or 0) + 3:
                break
            time.sleep(0.1)
        result.note(f"closed them in {time.monotonic() - closing_started:.1f}s until INFO said so "
                    f"(the proxy's CPU meanwhile: {cpu_between(cpu_before_close, proxy_cpu_seconds(run.pid))})")
        bystander.run_phase("after", 0.5)
        rss_after = proxy_rss_kb(run.pid)
    finally:
        close_all(idle, reset=True)
        bystander.stop()
    result.true("connected_clients after closing", clients_after is not None and clients_after <= (clients_before or 0) + 3,
                f"INFO clients says {clients_after} {SETTLE_SECONDS:.0f}s after closing them (before: {clients_before})")
    per_connection = (rss_held - rss_before) / max(1, closed_count) if rss_held is not None else None
    result.true(f"the proxy's RSS with {closed_count} idle clients < {IDLE_RSS_LIMIT_MB}MB",
                rss_held is not None and rss_held < IDLE_RSS_LIMIT_MB * 1024, f"it is {mb(rss_held)}")
    result.note(f"proxy RSS: before {mb(rss_before)}, with {closed_count} idle clients {mb(rss_held)} "
                f"(bound {IDLE_RSS_LIMIT_MB}MB), after closing {mb(rss_after)}; "
                f"{per_connection:.1f}KB per connection (the RSS delta: less on a proxy whose heap grew earlier)"
                if per_connection is not None else "proxy RSS unreadable")
    result.note(f"closing: {CLOSE_BATCH} every {int(CLOSE_PAUSE * 1000)} ms, by RST (SO_LINGER 0)")
    result.note(f"connected_clients: before {clients_before}, with them {clients}, after closing {clients_after}")
    bystander.report(result, ["before", "during", "held", "closing", "after"])
    return result


def get_calls(address: str) -> int | None:
    """How many GETs the server at address has run (INFO commandstats)."""
    try:
        with Resp(parse_address(address), timeout=2.0) as conn:
            reply = conn.call("INFO", "commandstats")
    except (OSError, EOFError, ValueError, argparse.ArgumentTypeError):
        return None
    if not isinstance(reply, bytes):
        return None
    for line in reply.decode(errors="replace").splitlines():
        if line.startswith("cmdstat_get:"):
            for field in line.split(":", 1)[1].split(","):
                name, _, number = field.partition("=")
                if name == "calls":
                    return int(number)
    return 0


def check_nonreader(run: Run) -> Result:
    result = Result()
    owner = run.primaries[0] if run.primaries[0] != run.dead_shard else run.primaries[-1]
    bigkey = run.key_on(owner, "bigkey")
    run.written.add(bigkey)
    value = bytes(random.Random(RANDOM_SEED).getrandbits(8) for _ in range(BIG_VALUE_BYTES))
    with Resp(run.endpoint, timeout=5.0) as conn:
        reply = conn.call("SET", bigkey, value)
        if reply != "OK":
            result.fail(f"SET bigkey answered {short(reply)}")
            return result
        if conn.call("GET", bigkey) != value:
            result.fail("GET bigkey does not answer the 100KB value just set")
            return result
    rss_before = proxy_rss_kb(run.pid)
    if rss_before is None:
        result.fail(f"cannot read /proc/{run.pid}/status (is --proxy-pid the proxy?)")
        return result
    one = encode_command("GET", bigkey)
    chunk_commands = 1000
    chunk = one * chunk_commands
    result.note(f"bigkey {bigkey.decode()} on shard {owner}")
    bystander = run.bystander().start()
    sock: socket.socket | None = None
    rss_peak = rss_before
    sent = 0
    forwarded: list[str] = []
    rss_held = rss_after = None
    try:
        bystander.run_phase("before", 0.5)
        calls0, mine0 = get_calls(owner), bystander.gets.get(owner, 0)
        bystander.set_phase("during")
        sock = socket.create_connection(run.endpoint, timeout=SOCKET_TIMEOUT)
        sock.setblocking(False)
        poller = select.poll()
        poller.register(sock, select.POLLOUT)
        started = time.monotonic()
        last_progress = started
        total = len(one) * NONREADER_COMMANDS
        offset = 0  # into the current chunk
        next_sample = started
        # Write until all is sent, or no byte is taken for 1 s (the send blocks), or 10 s.
        while sent < total and time.monotonic() - started < 10.0:
            now = time.monotonic()
            if now >= next_sample:
                rss = proxy_rss_kb(run.pid)
                if rss is not None:
                    rss_peak = max(rss_peak, rss)
                next_sample = now + 0.1
            try:
                count = sock.send(memoryview(chunk)[offset:min(len(chunk), offset + total - sent)])
            except BlockingIOError:
                count = 0
            if count:
                sent += count
                offset = (offset + count) % len(chunk)
                last_progress = time.monotonic()
                continue
            if now - last_progress >= 1.0:
                break
            poller.poll(50)
        write_seconds = time.monotonic() - started
        blocked = sent < total
        result.note(f"non-reader wrote {sent} bytes ({sent // len(one)} of {NONREADER_COMMANDS} GETs of a "
                    f"{BIG_VALUE_BYTES // 1024}KB value) in {write_seconds:.1f}s; "
                    + (f"the socket took its last byte at {last_progress - started:.2f}s, then none for 1s"
                       if blocked else "the socket took it all"))
        # Hold the non-reader 2 s more (not reading); the proxy's memory must stay bounded.
        hold_until = time.monotonic() + 2.0
        while time.monotonic() < hold_until:
            rss = proxy_rss_kb(run.pid)
            if rss is not None:
                rss_peak = max(rss_peak, rss)
            time.sleep(0.1)
        calls1, mine1 = get_calls(owner), bystander.gets.get(owner, 0)
        rss_held = proxy_rss_kb(run.pid)
        bystander.set_phase("closing")
        sock.close()
        sock = None
        rss_after = proxy_rss_kb(run.pid)
        deadline = time.monotonic() + 5.0
        while time.monotonic() < deadline and rss_after is not None and rss_after > rss_before + (rss_peak - rss_before) / 2:
            time.sleep(0.2)
            rss_after = proxy_rss_kb(run.pid) or rss_after
        # The memory may be back before a bystander pair had time to complete (a loaded machine):
        # the closing phase lasts until one has, within a bound.
        bystander.wait_pairs("closing", 1, 5.0)
        bystander.run_phase("after", 1.0)
        calls2, mine2 = get_calls(owner), bystander.gets.get(owner, 0)
        if None not in (calls0, calls1, calls2):
            forwarded.append(f"GETs the proxy sent to {owner} for the non-reader: {(calls1 - calls0) - (mine1 - mine0)} "
                             f"while it wrote and held (the bystander's own GETs there subtracted), "
                             f"{(calls2 - calls1) - (mine2 - mine1)} more after it closed")
        result.note(f"proxy RSS at the end of the 2s hold: {mb(rss_held)}")
    finally:
        if sock is not None:
            sock.close()
        bystander.stop()
    growth = rss_peak - rss_before
    result.true(f"the proxy's RSS growth < {NONREADER_GROWTH_LIMIT_MB}MB", growth < NONREADER_GROWTH_LIMIT_MB * 1024,
                f"it grew {mb(growth)} (from {mb(rss_before)} to {mb(rss_peak)})")
    ping = run.ping()
    result.true("the proxy answers PING after the non-reader closed", ping.startswith("'PONG'"), ping)
    result.note(f"proxy RSS: before {mb(rss_before)}, peak {mb(rss_peak)} (growth {mb(growth)}, bound "
                f"{NONREADER_GROWTH_LIMIT_MB}MB; 1024 in flight x 100KB ~ 100MB expected), "
                f"{'up to 5s ' if rss_after is not None else ''}after closing {mb(rss_after)}; PING after: {ping}")
    for text in forwarded:
        result.note(text)
    bystander.report(result, ["before", "during", "closing", "after"])
    return result


class DeadProber:
    """GETs on the dead shard's keys, one at a time on their own connection: each must be
    answered within DEAD_REPLY_LIMIT by a CLUSTERDOWN error or (after a failover) a normal reply."""

    def __init__(self, endpoint: tuple[str, int], keys: list[bytes], seconds: float) -> None:
        self.endpoint = endpoint
        self.keys = keys
        self.seconds = seconds
        self.latencies: list[float] = []
        self.kinds: dict[str, int] = {}
        self.problems: list[str] = []
        self.problem_count = 0
        self.first_normal: float | None = None
        self.thread = threading.Thread(target=self._run, name="dead-prober", daemon=True)

    def _problem(self, text: str) -> None:
        self.problem_count += 1
        if len(self.problems) < 6:
            self.problems.append(text)

    def _run(self) -> None:
        started = time.monotonic()
        conn: Resp | None = None
        index = 0
        while time.monotonic() - started < self.seconds:
            key = self.keys[index % len(self.keys)]
            index += 1
            at = time.monotonic() - started
            try:
                if conn is None:
                    conn = Resp(self.endpoint, timeout=DEAD_REPLY_LIMIT)
                begin = time.perf_counter()
                reply = conn.call("GET", key)
                latency = time.perf_counter() - begin
                self.latencies.append(latency)
                if isinstance(reply, ErrorReply):
                    kind = reply.split(" ", 1)[0]
                    self.kinds[kind] = self.kinds.get(kind, 0) + 1
                    if kind != "CLUSTERDOWN":
                        self._problem(f"at {at:.2f}s GET {key.decode()} answered -{short(str(reply), 120)}")
                else:
                    self.kinds["normal"] = self.kinds.get("normal", 0) + 1
                    if self.first_normal is None:
                        self.first_normal = at
                if latency > DEAD_REPLY_LIMIT:
                    self._problem(f"at {at:.2f}s GET {key.decode()} took {ms(latency)}")
            except socket.timeout:
                self.kinds["timeout"] = self.kinds.get("timeout", 0) + 1
                self._problem(f"at {at:.2f}s GET {key.decode()}: no reply within {DEAD_REPLY_LIMIT}s")
                conn.close() if conn else None
                conn = None
            except (OSError, EOFError, ValueError) as error:
                self.kinds["closed"] = self.kinds.get("closed", 0) + 1
                self._problem(f"at {at:.2f}s GET {key.decode()}: {type(error).__name__}: {error}")
                conn.close() if conn else None
                conn = None
                time.sleep(0.05)
                continue
            time.sleep(0.01)
        if conn is not None:
            conn.close()


class StateMonitor:
    """Polls CLUSTER INFO on the live --direct servers every 50 ms and keeps when each said
    cluster_state:fail: with cluster-require-full-coverage yes (Redis' default), a cluster
    with a failed primary and no replica promoted yet refuses every key, on every shard, with
    its own `CLUSTERDOWN The cluster is down` - the servers' answer, not the endpoint's."""

    def __init__(self, servers: list[tuple[str, int]], seconds: float) -> None:
        self.servers = servers
        self.seconds = seconds
        self.failed: dict[str, list[float]] = {address_text(s): [] for s in servers}
        self.polls = 0
        self.thread = threading.Thread(target=self._run, name="state-monitor", daemon=True)

    def _run(self) -> None:
        started = time.monotonic()
        conns: dict[str, Resp | None] = {address_text(s): None for s in self.servers}
        while time.monotonic() - started < self.seconds:
            for server in self.servers:
                name = address_text(server)
                try:
                    if conns[name] is None:
                        conns[name] = Resp(server, timeout=0.5)
                    info = conns[name].call("CLUSTER", "INFO")
                    if isinstance(info, bytes) and b"cluster_state:fail" in info:
                        self.failed[name].append(time.monotonic())
                except (OSError, EOFError, ValueError):
                    if conns[name] is not None:
                        conns[name].close()
                    conns[name] = None
            self.polls += 1
            time.sleep(0.05)
        for conn in conns.values():
            if conn is not None:
                conn.close()

    def said_fail(self, server: str | None, at: float, margin: float = 0.25) -> bool:
        names = [server] if server in self.failed else list(self.failed)
        return any(abs(t - at) <= margin for name in names for t in self.failed[name])

    def summary(self, started: float) -> str:
        parts = []
        for name, times in self.failed.items():
            if times:
                parts.append(f"{name} from {times[0] - started:.2f}s to {times[-1] - started:.2f}s")
        return ("the live servers said cluster_state:fail: " + ", ".join(parts)) if parts else \
            "the live servers said cluster_state:ok throughout"


def check_shard_down(run: Run) -> Result:
    result = Result()
    if run.dead_shard is None:
        result.fail(f"cannot tell the dead server's shard: {run.dead_shard_problem or 'unknown'}")
        return result
    dead_keys = run.shard_keys[run.dead_shard]
    live = run.live_keys()
    live_shards = [owner for owner in run.primaries if owner != run.dead_shard]
    result.note(f"dead server {address_text(run.dead)}, its shard listed under {run.dead_shard} "
                f"({sum(1 for o in run.slot_owner if o == run.dead_shard)} slots); live shards {live_shards}")
    if run.dead_shard_problem:
        result.note(run.dead_shard_problem)
    monitor = StateMonitor(run.direct, SHARD_DOWN_SECONDS + 0.5)

    def clusters_own_down(key: bytes, text: str, at: float) -> bool:
        return text == "CLUSTERDOWN The cluster is down" and monitor.said_fail(run.shard_of(key), at)

    bystander = Bystander(run.endpoint, live, label="live shards", pause=0.002, shard_of=run.shard_of,
                          tolerate=clusters_own_down)
    run.written.update(live)
    prober = DeadProber(run.endpoint, dead_keys, SHARD_DOWN_SECONDS)
    started = time.monotonic()
    monitor.thread.start()
    bystander.set_phase("during")
    bystander.start()
    prober.thread.start()
    prober.thread.join(timeout=SHARD_DOWN_SECONDS + DEAD_REPLY_LIMIT + 3)
    bystander.stop()
    monitor.thread.join(timeout=3.0)
    bystander.resolve()
    if prober.thread.is_alive():
        result.fail("the dead-shard prober did not finish within its bound")
    for problem in prober.problems:
        result.fail(f"dead shard: {problem}")
    if prober.problem_count > len(prober.problems):
        result.fail(f"dead shard: +{prober.problem_count - len(prober.problems)} more problems")
    result.true("dead shard: some request answered", bool(prober.latencies), "none was")
    bystander.report(result, ["during"])
    result.note(f"dead shard replies: {prober.kinds}, {latency_summary(prober.latencies)}"
                + (f", first normal reply (failover) at {prober.first_normal:.2f}s" if prober.first_normal is not None else ""))
    result.note(monitor.summary(started) + f" ({monitor.polls} polls)")
    if bystander.tolerated:
        result.note(f"live-shard replies that were the servers' own error while they said cluster_state:fail "
                    f"(accepted; cluster-require-full-coverage no avoids them): {bystander.tolerated}")
    return result


CHECKS: dict[str, Callable[[Run], Result]] = {
    "garbage": check_garbage,
    "oversized": check_oversized,
    "unterminated": check_unterminated,
    "idle10k": check_idle10k,
    "nonreader": check_nonreader,
    "shard_down": check_shard_down,
}


# ---------------------------------------------------------------------------------------

def emit(name: str, ok: bool, detail: str, seconds: float, skipped: bool = False) -> None:
    line: dict[str, Any] = {"check": name, "ok": ok, "detail": detail, "seconds": round(seconds, 3)}
    if skipped:
        line["skipped"] = True
    print(json.dumps(line), flush=True)


def main(argv: list[str]) -> int:
    global LATENCY_LIMIT
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--endpoint", required=True, type=parse_address)
    parser.add_argument("--proxy-pid", required=True, type=int)
    parser.add_argument("--direct", required=True,
                        type=lambda text: [parse_address(part) for part in text.split(",") if part.strip()])
    parser.add_argument("--check", required=True)
    parser.add_argument("--dead", type=parse_address)
    parser.add_argument("--bystander-limit-ms", type=float, default=100.0,
                        help="the bound on each of the bystander's replies (default 100; a debug build of the endpoint is slower)")
    args = parser.parse_args(argv)
    LATENCY_LIMIT = args.bystander_limit_ms / 1000
    if not args.direct:
        parser.error("--direct lists no server")
    if args.check == "all":
        names = list(CHECKS)
    else:
        names = [name.strip() for name in args.check.split(",") if name.strip()]
        unknown = [name for name in names if name not in CHECKS]
        if unknown or not names:
            parser.error(f"unknown check {unknown}; the checks are {', '.join(CHECKS)} or all")
        if "shard_down" in names and args.dead is None:
            parser.error("shard_down needs --dead HOST:PORT")

    run = Run(args)
    started = time.monotonic()
    try:
        run.read_layout()
    except Exception as error:  # noqa: BLE001 - every requested check fails with the reason
        for name in names:
            emit(name, False, f"setup: {type(error).__name__}: {error}", time.monotonic() - started)
        return 1

    all_ok = True
    for name in names:
        start = time.monotonic()
        if name == "shard_down" and args.dead is None:
            emit(name, True, "skipped: no --dead given", 0.0, skipped=True)
            continue
        try:
            result = CHECKS[name](run)
            ok, detail = not result.problems, result.detail()
        except Exception as error:  # noqa: BLE001 - a check that breaks fails, the rest run
            frames = [f for f in traceback.extract_tb(error.__traceback__) if f.filename == __file__]
            at = f" (endpoint_hostile.py:{frames[-1].lineno})" if frames else ""
            ok, detail = False, f"{type(error).__name__}: {error}{at}"
        all_ok = all_ok and ok
        emit(name, ok, detail, time.monotonic() - start)
    deleted = run.cleanup()
    print(f"endpoint_hostile: deleted {deleted} of the run's keys ({run.prefix}*)", file=sys.stderr)
    return 0 if all_ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
