#!/usr/bin/env python3
"""Checks a maintctl-proxy node endpoint with a real client: redis-py 8.x.

The endpoint serves a Redis Cluster to plain (non-cluster) clients through one address.
Each check drives the endpoint the way an application would (plain ``redis.Redis``) and
compares what it answers with what the commands imply and, where the data lives in the
cluster, with what the cluster's own servers answer (``redis.RedisCluster`` on --direct,
or raw sockets to the slot's owner).

Usage:
  python3 endpoint_checks.py --endpoint 127.0.0.1:PORT [--endpoint2 127.0.0.1:PORT2] \
      --direct 127.0.0.1:P1,127.0.0.1:P2,... --protocol 2|3 --check NAME[,NAME...]|all

Output: one JSON line per check on stdout, {"check": NAME, "ok": BOOL, "detail": "...",
"seconds": S} (a check that does not apply, resp3 under --protocol 2, adds "skipped": true);
the detail of a failed check lists its first problems, of a passed one what it measured.
A line on stderr says how many of the run's keys were deleted at the end.
Exit status: 0 when every check is ok, 1 when one is not, 2 for a usage error.

Every key the run writes starts with a prefix unique to the run (epc:<uuid>:); they are
all deleted at the end, through the cluster's servers (or the endpoint when --direct does
not answer). Every socket has a timeout and every thread join is bounded, so a hung
endpoint makes a check fail, never the script hang.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import socket
import sys
import threading
import time
import traceback
import uuid
from collections import Counter
from typing import Any, Callable

try:
    import redis
    import redis.crc
    from redis.backoff import NoBackoff
    from redis.cluster import ClusterNode
    from redis.retry import Retry
except ImportError as error:  # the caller's interpreter lacks redis-py
    print(json.dumps({"check": "setup", "ok": False, "detail": f"redis-py is not importable: {error}"}))
    sys.exit(1)

SOCKET_TIMEOUT = 5.0       # every ordinary command's socket
BLOCKING_SOCKET_TIMEOUT = 10.0  # a client that runs BLPOP with a timeout of up to 5 s
JOIN_TIMEOUT = 10.0        # every thread join


# ---------------------------------------------------------------------------------------
# Small helpers

class CheckError(Exception):
    """A step that cannot go on (its result makes the rest meaningless)."""


FAILED = object()  # Result.get's value for a command that raised


def short(value: Any, limit: int = 160) -> str:
    text = f"{type(value).__name__}({err_text(value)!r})" if isinstance(value, BaseException) else repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def norm(value: Any) -> Any:
    """A comparable form of a redis-py result: tuples and lists alike, sets sorted."""
    if isinstance(value, (list, tuple)):
        return [norm(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted((norm(v) for v in value), key=repr)
    if isinstance(value, dict):
        return {norm_key(k): norm(v) for k, v in value.items()}
    if isinstance(value, str):
        return value.encode()
    return value


def norm_key(key: Any) -> Any:
    return key.encode() if isinstance(key, str) else key


def err_text(error: BaseException) -> str:
    """An error's whole text: redis-py 8 strips a reply's error code (ERR, CROSSSLOT,
    MOVED, EXECABORT, ...) off the message into ``status_code``; put it back."""
    code = getattr(error, "status_code", None)
    text = str(error)
    return f"{code} {text}" if code else text


def where(error: BaseException) -> str:
    """The line of this script where an unexpected exception surfaced."""
    frames = [f for f in traceback.extract_tb(error.__traceback__) if f.filename == __file__]
    return f" (endpoint_checks.py:{frames[-1].lineno})" if frames else ""


def parse_address(text: str) -> tuple[str, int]:
    host, _, port = text.strip().rpartition(":")
    if not host or not port.isdigit():
        raise argparse.ArgumentTypeError(f"not HOST:PORT: {text!r}")
    return host, int(port)


class Result:
    """What one check found: a list of problems (any problem fails it) and notes."""

    def __init__(self) -> None:
        self.problems: list[str] = []
        self.notes: list[str] = []
        self.skipped = False

    def fail(self, text: str) -> None:
        self.problems.append(text)

    def note(self, text: str) -> None:
        self.notes.append(text)

    def get(self, label: str, call: Callable[[], Any]) -> Any:
        """call's value, or FAILED (recorded as a problem) when it raises: a command the
        endpoint gets wrong fails the check but does not stop the commands after it."""
        try:
            return call()
        except (redis.ConnectionError, redis.TimeoutError) as error:
            # The connection is gone or hung: the commands after this one would each wait
            # out their timeout for nothing, so the check stops here.
            self.fail(f"{label}: {type(error).__name__}: {err_text(error)}")
            raise CheckError("stopped: the endpoint's connection failed") from error
        except Exception as error:  # noqa: BLE001
            self.fail(f"{label}: {type(error).__name__}: {err_text(error)}")
            return FAILED

    def eq(self, label: str, got: Any, want: Any) -> bool:
        """got (a value, or a callable whose value is taken) must equal want."""
        if callable(got):
            got = self.get(label, got)
            if got is FAILED:
                return False
        if norm(got) != norm(want):
            self.fail(f"{label}: got {short(got)}, want {short(want)}")
            return False
        return True

    def that(self, label: str, got: Any, predicate: Callable[[Any], bool]) -> Any:
        """got (a value, or a callable whose value is taken) must satisfy predicate;
        returns the value (FAILED when the call raised)."""
        if callable(got):
            got = self.get(label, got)
            if got is FAILED:
                return FAILED
        try:
            satisfied = bool(predicate(got))
        except Exception:  # noqa: BLE001 - a value of the wrong shape
            satisfied = False
        if not satisfied:
            self.fail(f"{label}: got {short(got)}")
        return got

    def true(self, label: str, condition: bool, explain: str = "") -> bool:
        if not condition:
            self.fail(f"{label}{': ' + explain if explain else ''}")
        return condition

    def expect_error(self, label: str, call: Callable[[], Any], *needles: str,
                     kind: type[BaseException] = redis.ResponseError) -> BaseException | None:
        """Runs call, which must raise `kind` whose text contains one of needles
        (case-insensitive); returns the error."""
        try:
            value = call()
        except kind as error:
            text = err_text(error)
            if needles and not any(n.lower() in text.lower() for n in needles):
                self.fail(f"{label}: error {type(error).__name__} {text!r} lacks {' or '.join(map(repr, needles))}")
            return error
        except Exception as error:  # noqa: BLE001 - any other kind is the finding
            self.fail(f"{label}: raised {type(error).__name__}: {err_text(error)}, want {kind.__name__}")
            return error
        self.fail(f"{label}: no error, returned {short(value)}")
        return None

    def detail(self) -> str:
        if self.problems:
            shown = self.problems[:8]
            more = len(self.problems) - len(shown)
            text = "; ".join(shown) + (f"; (+{more} more problems)" if more > 0 else "")
        else:
            text = "; ".join(self.notes) if self.notes else "ok"
        return text if len(text) <= 4000 else text[:3997] + "..."


# ---------------------------------------------------------------------------------------
# Raw RESP (no redis-py): encoding and one reply's exact bytes

def encode_command(*args: Any) -> bytes:
    parts = [b"*%d\r\n" % len(args)]
    for arg in args:
        if isinstance(arg, str):
            arg = arg.encode()
        elif isinstance(arg, int):
            arg = str(arg).encode()
        elif isinstance(arg, float):
            arg = repr(arg).encode()
        parts.append(b"$%d\r\n%s\r\n" % (len(arg), arg))
    return b"".join(parts)


class RawConnection:
    """A socket that reads whole RESP2/RESP3 replies and keeps their exact bytes."""

    def __init__(self, address: tuple[str, int], timeout: float = SOCKET_TIMEOUT) -> None:
        self.sock = socket.create_connection(address, timeout=timeout)
        self.sock.settimeout(timeout)
        self.buffer = b""

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def _fill(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("connection closed by peer")
        self.buffer += chunk

    def _line(self) -> bytes:
        while True:
            end = self.buffer.find(b"\r\n")
            if end >= 0:
                line, self.buffer = self.buffer[: end + 2], self.buffer[end + 2:]
                return line
            self._fill()

    def _exact(self, count: int) -> bytes:
        while len(self.buffer) < count:
            self._fill()
        data, self.buffer = self.buffer[:count], self.buffer[count:]
        return data

    def reply(self) -> tuple[bytes, Any]:
        """One reply: (its exact bytes, a Python value of it)."""
        line = self._line()
        kind, body = line[:1], line[1:-2]
        if kind in (b"+", b"("):
            return line, body
        if kind in (b"-", b"!"):
            if kind == b"!":
                data = self._exact(int(body) + 2)
                return line + data, ("error", data[:-2])
            return line, ("error", body)
        if kind == b":":
            return line, int(body)
        if kind == b",":
            return line, float(body)
        if kind == b"#":
            return line, body == b"t"
        if kind == b"_":
            return line, None
        if kind in (b"$", b"="):
            length = int(body)
            if length < 0:
                return line, None
            data = self._exact(length + 2)
            return line + data, data[:-2]
        if kind in (b"*", b"~", b">", b"%", b"|"):
            count = int(body)
            if count < 0:
                return line, None
            items = count * 2 if kind in (b"%", b"|") else count
            raw, values = [line], []
            for _ in range(items):
                item_raw, item_value = self.reply()
                raw.append(item_raw)
                values.append(item_value)
            if kind == b"%":
                return b"".join(raw), dict(zip(values[0::2], values[1::2]))
            if kind == b"|":  # an attribute precedes the reply it describes
                after_raw, after_value = self.reply()
                return b"".join(raw) + after_raw, after_value
            return b"".join(raw), values
        raise ConnectionError(f"not RESP: {short(line)}")

    def call(self, *args: Any) -> tuple[bytes, Any]:
        self.send(encode_command(*args))
        return self.reply()


# ---------------------------------------------------------------------------------------
# The run's context: addresses, clients, the cluster's slot map, cleanup

class Context:
    def __init__(self, args: argparse.Namespace) -> None:
        self.endpoint: tuple[str, int] = args.endpoint
        self.endpoint2: tuple[str, int] = args.endpoint2 or args.endpoint
        self.direct: list[tuple[str, int]] = args.direct
        self.protocol: int = args.protocol
        self.prefix = f"epc:{uuid.uuid4().hex[:16]}:"
        self._clients: list[Any] = []
        self._cluster: Any = None
        self._cluster_error: str | None = None
        self._slots: list[tuple[int, int, tuple[str, int]]] | None = None
        self._slots_error: str | None = None

    # -- clients ---------------------------------------------------------------------
    def client(self, address: tuple[str, int] | None = None, *, timeout: float = SOCKET_TIMEOUT,
               **options: Any) -> redis.Redis:
        """A plain client of the endpoint. Retries are off: redis-py 8 retries a failed
        connection 10 times by default, which would hide a connection the endpoint drops."""
        host, port = address or self.endpoint
        client = redis.Redis(host=host, port=port, protocol=self.protocol, socket_timeout=timeout,
                             socket_connect_timeout=SOCKET_TIMEOUT, retry=Retry(NoBackoff(), 0),
                             **options)
        self._clients.append(client)
        return client

    def cluster(self) -> Any:
        """redis.RedisCluster on --direct (same protocol as the endpoint's client, so that
        redis-py shapes both sides' results alike); raises CheckError when unavailable."""
        if self._cluster is None and self._cluster_error is None:
            try:
                self._cluster = redis.RedisCluster(
                    startup_nodes=[ClusterNode(h, p) for h, p in self.direct],
                    protocol=self.protocol, socket_timeout=SOCKET_TIMEOUT,
                    socket_connect_timeout=SOCKET_TIMEOUT)
            except Exception as error:  # noqa: BLE001
                self._cluster_error = f"{type(error).__name__}: {err_text(error)}"
        if self._cluster is None:
            raise CheckError(f"the direct cluster (--direct) is unavailable: {self._cluster_error}")
        return self._cluster

    def close_clients(self) -> None:
        for client in self._clients:
            try:
                client.close()
            except Exception:  # noqa: BLE001
                pass
        self._clients.clear()

    # -- the cluster's layout, read with raw sockets ----------------------------------
    def slots(self) -> list[tuple[int, int, tuple[str, int]]]:
        """(first slot, last slot, primary address) from CLUSTER SLOTS on a --direct server."""
        if self._slots is None and self._slots_error is None:
            errors = []
            for address in self.direct:
                connection = None
                try:
                    connection = RawConnection(address)
                    _, value = connection.call("CLUSTER", "SLOTS")
                    if not isinstance(value, list) or not value:
                        raise CheckError(f"CLUSTER SLOTS answered {short(value)}")
                    ranges = []
                    for entry in value:
                        host = entry[2][0].decode() if entry[2][0] else address[0]
                        ranges.append((int(entry[0]), int(entry[1]), (host, int(entry[2][1]))))
                    self._slots = sorted(ranges)
                    break
                except Exception as error:  # noqa: BLE001
                    errors.append(f"{address[0]}:{address[1]}: {type(error).__name__}: {error}")
                finally:
                    if connection:
                        connection.close()
            if self._slots is None:
                self._slots_error = "; ".join(errors) or "no --direct server given"
        if self._slots is None:
            raise CheckError(f"cannot read CLUSTER SLOTS from --direct: {self._slots_error}")
        return self._slots

    def owner(self, key: str | bytes) -> tuple[str, int]:
        slot = redis.crc.key_slot(key.encode() if isinstance(key, str) else key)
        for first, last, address in self.slots():
            if first <= slot <= last:
                return address
        raise CheckError(f"slot {slot} has no owner in CLUSTER SLOTS")

    def primaries(self) -> list[tuple[str, int]]:
        return sorted({address for _, _, address in self.slots()})

    # -- keys --------------------------------------------------------------------------
    def key(self, name: str) -> str:
        return self.prefix + name

    def keys_in_two_slots(self, stem: str) -> tuple[str, str]:
        """Two keys of the run that hash to different slots."""
        first = self.key(f"{stem}:0")
        for i in range(1, 100):
            other = self.key(f"{stem}:{i}")
            if redis.crc.key_slot(other.encode()) != redis.crc.key_slot(first.encode()):
                return first, other
        raise CheckError("no two keys in different slots found")  # cannot happen

    def cleanup(self) -> str:
        """Deletes every key of the run; through each primary, else through the endpoint."""
        pattern = self.prefix + "*"
        deleted = 0
        try:
            for host, port in self.primaries():
                node = redis.Redis(host=host, port=port, protocol=2, socket_timeout=SOCKET_TIMEOUT,
                                   socket_connect_timeout=SOCKET_TIMEOUT, retry=Retry(NoBackoff(), 0))
                try:
                    keys = list(node.scan_iter(match=pattern, count=1000))
                    pipe = node.pipeline(transaction=False)
                    for key in keys:
                        pipe.delete(key)
                    deleted += sum(pipe.execute()) if keys else 0
                finally:
                    node.close()
            return f"deleted {deleted} keys through the primaries"
        except Exception as direct_error:  # noqa: BLE001
            try:
                client = redis.Redis(host=self.endpoint[0], port=self.endpoint[1], protocol=self.protocol,
                                     socket_timeout=SOCKET_TIMEOUT, retry=Retry(NoBackoff(), 0))
                try:
                    for key in client.keys(pattern):
                        deleted += client.delete(key)
                finally:
                    client.close()
                return f"deleted {deleted} keys through the endpoint ({direct_error})"
            except Exception as error:  # noqa: BLE001
                return f"cleanup failed: {err_text(direct_error)}; {err_text(error)}"

    def close(self) -> None:
        self.close_clients()
        if self._cluster is not None:
            try:
                self._cluster.close()
            except Exception:  # noqa: BLE001
                pass


# ---------------------------------------------------------------------------------------
# The checks

def check_types(ctx: Context, result: Result) -> None:
    """Single-key commands of every data type; the results, and the data read directly
    from the cluster, must be what the commands imply."""
    ep = ctx.client()
    k = {name: ctx.key(f"t:{name}") for name in
         ("str", "nx", "ex", "cnt", "flt", "bin", "hash", "list", "set", "zset", "stream",
          "hll", "bits", "geo", "missing", "fromdirect")}
    binary_key = ctx.key("t:bin\r\nkey\x00with*3\r\n$3")
    binary_value = b"a\r\nb\x00c\r\n$3\r\n*1\r\n\x00\xff"

    # Strings.
    result.eq("SET", lambda: ep.set(k["str"], "hello"), True)
    result.eq("SET NX on an existing key", lambda: ep.set(k["str"], "other", nx=True), None)
    result.eq("SET NX on a new key", lambda: ep.set(k["nx"], "v", nx=True), True)
    result.eq("SET EX", lambda: ep.set(k["ex"], "v", ex=100), True)
    result.that("TTL after SET EX 100", lambda: ep.ttl(k["ex"]), lambda t: isinstance(t, int) and 95 <= t <= 100)
    result.eq("GET", lambda: ep.get(k["str"]), b"hello")
    result.eq("APPEND", lambda: ep.append(k["str"], " world"), 11)
    result.eq("GETRANGE", lambda: ep.getrange(k["str"], 0, 4), b"hello")
    result.eq("STRLEN", lambda: ep.strlen(k["str"]), 11)
    result.eq("INCR", lambda: ep.incr(k["cnt"]), 1)
    result.eq("INCRBY", lambda: ep.incrby(k["cnt"], 41), 42)
    result.eq("DECR", lambda: ep.decr(k["cnt"]), 41)
    result.eq("INCRBYFLOAT", lambda: ep.incrbyfloat(k["flt"], 1.5), 1.5)
    result.eq("SET binary value", lambda: ep.set(k["bin"], binary_value), True)
    result.eq("GET binary value", lambda: ep.get(k["bin"]), binary_value)
    result.eq("SET binary key", lambda: ep.set(binary_key, b"\x00"), True)
    result.eq("GET binary key", lambda: ep.get(binary_key), b"\x00")
    result.eq("GET missing", lambda: ep.get(k["missing"]), None)

    # Hashes.
    result.eq("HSET", lambda: ep.hset(k["hash"], mapping={"f1": "v1", "f2": "v2", "bin": b"\x00\r\n"}), 3)
    result.eq("HGET", lambda: ep.hget(k["hash"], "f1"), b"v1")
    result.eq("HINCRBY", lambda: ep.hincrby(k["hash"], "n", 5), 5)
    result.eq("HLEN", lambda: ep.hlen(k["hash"]), 4)
    result.eq("HDEL", lambda: ep.hdel(k["hash"], "f2"), 1)
    result.eq("HEXISTS deleted field", lambda: ep.hexists(k["hash"], "f2"), False)
    result.eq("HGETALL", lambda: ep.hgetall(k["hash"]), {b"f1": b"v1", b"bin": b"\x00\r\n", b"n": b"5"})

    # Lists.
    result.eq("RPUSH", lambda: ep.rpush(k["list"], "a", "b", "c"), 3)
    result.eq("LPUSH", lambda: ep.lpush(k["list"], "z"), 4)
    result.eq("LRANGE", lambda: ep.lrange(k["list"], 0, -1), [b"z", b"a", b"b", b"c"])
    result.eq("LPOP", lambda: ep.lpop(k["list"]), b"z")
    result.eq("RPOP", lambda: ep.rpop(k["list"]), b"c")
    result.eq("LLEN", lambda: ep.llen(k["list"]), 2)
    result.eq("LINDEX", lambda: ep.lindex(k["list"], 1), b"b")

    # Sets.
    result.eq("SADD", lambda: ep.sadd(k["set"], "a", "b", "c", "a"), 3)
    result.eq("SMEMBERS", lambda: ep.smembers(k["set"]), {b"a", b"b", b"c"})
    result.eq("SISMEMBER", lambda: bool(ep.sismember(k["set"], "b")), True)
    result.eq("SREM", lambda: ep.srem(k["set"], "a"), 1)
    result.eq("SCARD", lambda: ep.scard(k["set"]), 2)

    # Sorted sets.
    result.eq("ZADD", lambda: ep.zadd(k["zset"], {"a": 1, "b": 2.5, "c": 3}), 3)
    result.eq("ZRANGE WITHSCORES", lambda: ep.zrange(k["zset"], 0, -1, withscores=True),
              [[b"a", 1.0], [b"b", 2.5], [b"c", 3.0]])
    result.eq("ZSCORE", lambda: ep.zscore(k["zset"], "b"), 2.5)
    result.eq("ZINCRBY", lambda: ep.zincrby(k["zset"], 1, "a"), 2.0)
    result.eq("ZRANK", lambda: ep.zrank(k["zset"], "c"), 2)
    result.eq("ZRANGEBYSCORE", lambda: ep.zrangebyscore(k["zset"], 2.2, 10), [b"b", b"c"])
    result.eq("ZCARD", lambda: ep.zcard(k["zset"]), 3)

    # Streams.
    result.eq("XADD 1-1", lambda: ep.xadd(k["stream"], {"f": "v1"}, id="1-1"), b"1-1")
    result.eq("XADD 2-1", lambda: ep.xadd(k["stream"], {"f": "v2", "g": b"\x00"}, id="2-1"), b"2-1")
    result.that("XADD * returns a new id", lambda: ep.xadd(k["stream"], {"f": "v3"}),
                lambda i: isinstance(i, bytes) and b"-" in i)
    result.eq("XLEN", lambda: ep.xlen(k["stream"]), 3)
    result.eq("XRANGE", lambda: [[i, d] for i, d in ep.xrange(k["stream"], "-", "2-1")],
              [[b"1-1", {b"f": b"v1"}], [b"2-1", {b"f": b"v2", b"g": b"\x00"}]])

    # HyperLogLog, bitmaps, geo.
    result.eq("PFADD", lambda: ep.pfadd(k["hll"], "a", "b", "c"), 1)
    result.eq("PFADD existing", lambda: ep.pfadd(k["hll"], "a"), 0)
    result.eq("PFCOUNT", lambda: ep.pfcount(k["hll"]), 3)
    result.eq("SETBIT 7", lambda: ep.setbit(k["bits"], 7, 1), 0)
    result.eq("SETBIT 100", lambda: ep.setbit(k["bits"], 100, 1), 0)
    result.eq("GETBIT", lambda: ep.getbit(k["bits"], 7), 1)
    result.eq("BITCOUNT", lambda: ep.bitcount(k["bits"]), 2)
    result.eq("GEOADD", lambda: ep.geoadd(k["geo"], (13.361389, 38.115556, "Palermo", 15.087269, 37.502669, "Catania")), 2)
    result.that("GEODIST km", lambda: ep.geodist(k["geo"], "Palermo", "Catania", "km"),
                lambda d: isinstance(d, float) and abs(d - 166.2742) < 0.01)

    # Expiry and types.
    result.eq("EXPIRE", lambda: ep.expire(k["str"], 100), True)
    result.that("TTL after EXPIRE 100", lambda: ep.ttl(k["str"]), lambda t: isinstance(t, int) and 95 <= t <= 100)
    result.eq("PERSIST", lambda: ep.persist(k["str"]), True)
    result.eq("TTL after PERSIST", lambda: ep.ttl(k["str"]), -1)
    result.eq("TTL missing", lambda: ep.ttl(k["missing"]), -2)
    for name, want in (("str", b"string"), ("hash", b"hash"), ("list", b"list"), ("set", b"set"),
                       ("zset", b"zset"), ("stream", b"stream"), ("hll", b"string"), ("missing", b"none")):
        result.eq(f"TYPE {name}", lambda: ep.type(k[name]), want)
    result.eq("EXISTS", lambda: ep.exists(k["hash"]), 1)
    result.eq("EXISTS missing", lambda: ep.exists(k["missing"]), 0)

    # The same data read directly from the cluster must be the same.
    dc = ctx.cluster()
    reads: list[tuple[str, Callable[[Any], Any]]] = [
        ("GET str", lambda c: c.get(k["str"])),
        ("GET nx", lambda c: c.get(k["nx"])),
        ("GET cnt", lambda c: c.get(k["cnt"])),
        ("GET flt", lambda c: c.get(k["flt"])),
        ("GET bin", lambda c: c.get(k["bin"])),
        ("GET binary key", lambda c: c.get(binary_key)),
        ("HGETALL", lambda c: c.hgetall(k["hash"])),
        ("LRANGE", lambda c: c.lrange(k["list"], 0, -1)),
        ("SMEMBERS", lambda c: c.smembers(k["set"])),
        ("ZRANGE WITHSCORES", lambda c: c.zrange(k["zset"], 0, -1, withscores=True)),
        ("XRANGE", lambda c: c.xrange(k["stream"])),
        ("XLEN", lambda c: c.xlen(k["stream"])),
        ("PFCOUNT", lambda c: c.pfcount(k["hll"])),
        ("BITCOUNT", lambda c: c.bitcount(k["bits"])),
        ("GET bits", lambda c: c.get(k["bits"])),
        ("GEODIST", lambda c: c.geodist(k["geo"], "Palermo", "Catania", "km")),
        ("TYPE zset", lambda c: c.type(k["zset"])),
        ("TTL ex", lambda c: min(c.ttl(k["ex"]), 90)),
        ("TTL str", lambda c: c.ttl(k["str"])),
    ]
    for label, read in reads:
        through_endpoint = result.get(f"{label} through the endpoint", lambda: read(ep))
        directly = read(dc)
        if through_endpoint is not FAILED and norm(through_endpoint) != norm(directly):
            result.fail(f"{label}: endpoint reads {short(through_endpoint)}, the cluster {short(directly)}")
    # And what is written directly is what the endpoint reads.
    dc.set(k["fromdirect"], b"written\x00directly")
    result.eq("GET of a key written directly", lambda: ep.get(k["fromdirect"]), b"written\x00directly")
    result.note(f"{len(reads)} reads matched the cluster's")


def check_multikey(ctx: Context, result: Result) -> None:
    """MSET/MGET/EXISTS/TOUCH/DEL/UNLINK across slots, MSETNX in one slot and across."""
    ep = ctx.client()
    rng = random.Random()
    keys = [ctx.key(f"m:{i}") for i in range(200)]
    missing = [ctx.key(f"m:missing:{i}") for i in range(20)]
    values = {key: f"v{i}-\r\n".encode() for i, key in enumerate(keys)}
    try:
        shards = {ctx.owner(key) for key in keys}
        result.true("the keys span every shard", len(shards) == len(ctx.primaries()),
                    f"{len(shards)} of {len(ctx.primaries())} primaries")
        result.note(f"200 keys on {len(shards)} shard(s)")
    except CheckError as error:
        result.note(f"shard coverage not checked: {error}")

    result.eq("MSET of 200 keys", lambda: ep.mset(values), True)
    order = keys + missing
    rng.shuffle(order)
    got = result.get("MGET in shuffled order with missing keys", lambda: ep.mget(order))
    want = [values.get(key) for key in order]
    if got is FAILED:
        pass
    elif len(got) != len(want):
        result.fail(f"MGET of {len(order)} keys returned {len(got)} values")
    else:
        wrong = [i for i, (g, w) in enumerate(zip(got, want)) if g != w]
        result.true("MGET in shuffled order with missing keys", not wrong,
                    f"{len(wrong)} positions wrong, e.g. #{wrong[0]} {order[wrong[0]]!r}: got {short(got[wrong[0]])}, "
                    f"want {short(want[wrong[0]])}" if wrong else "")
    direct = ctx.cluster().mget_nonatomic(keys)
    result.true("the cluster holds what MSET wrote", direct == [values[key] for key in keys],
                f"{sum(1 for key, v in zip(keys, direct) if v != values[key])} keys differ")

    result.eq("EXISTS k k k1 missing", lambda: ep.exists(keys[0], keys[0], keys[1], missing[0]), 3)
    result.eq("EXISTS of all 200 and 20 missing", lambda: ep.exists(*(keys + missing)), 200)
    result.eq("TOUCH k k missing", lambda: ep.touch(keys[2], keys[2], missing[1]), 2)
    result.eq("TOUCH of 50", lambda: ep.touch(*keys[:50]), 50)
    result.eq("DEL of 50, 5 missing and a repeated key", lambda: ep.delete(*(keys[:50] + missing[:5] + [keys[0]])), 50)
    result.eq("UNLINK of 50 and 20 missing", lambda: ep.unlink(*(keys[50:100] + missing)), 50)
    result.eq("EXISTS after DEL/UNLINK", lambda: ep.exists(*keys), 100)
    left = ctx.cluster().mget_nonatomic(keys)
    result.true("the cluster lost exactly the deleted keys",
                all(v is None for v in left[:100]) and all(v is not None for v in left[100:]),
                f"{sum(1 for v in left[:100] if v is not None)} deleted keys remain, "
                f"{sum(1 for v in left[100:] if v is None)} kept keys are gone")

    # MSETNX: one slot works (all or nothing); two slots is a CROSSSLOT error.
    a, b, c = (ctx.key(f"{{mx}}:{name}") for name in ("a", "b", "c"))
    result.eq("MSETNX in one slot", lambda: ep.msetnx({a: "1", b: "2"}), True)
    result.eq("MSETNX in one slot with an existing key", lambda: ep.msetnx({a: "3", c: "4"}), False)
    result.eq("GET after the refused MSETNX", lambda: ep.mget([a, b, c]), [b"1", b"2", None])
    x, y = ctx.keys_in_two_slots("mxx")
    error = result.expect_error("MSETNX across slots", lambda: ep.msetnx({x: "1", y: "2"}), "CROSSSLOT")
    if error is not None:
        result.note(f"MSETNX across slots: {type(error).__name__} {err_text(error)!r}")
    result.eq("keys of the refused MSETNX", lambda: ep.exists(x) + ep.exists(y), 0)
    result.eq("keys of the refused MSETNX, directly", lambda: ctx.cluster().exists(x) + ctx.cluster().exists(y), 0)


def check_pipeline(ctx: Context, result: Result) -> None:
    """1,000 mixed commands in one non-transactional pipeline; each result is checked
    against a model of what the commands before it did."""
    ep = ctx.client()
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    strings = [ctx.key(f"p:s:{i}") for i in range(20)]
    counters = [ctx.key(f"p:c:{i}") for i in range(10)]
    lists = [ctx.key(f"p:l:{i}") for i in range(10)]
    hashes = [ctx.key(f"p:h:{i}") for i in range(10)]
    model: dict[str, Any] = {}
    pipe = ep.pipeline(transaction=False)
    expected: list[tuple[str, Any]] = []
    for n in range(1000):
        op = rng.choice(("SET", "SET", "GET", "GET", "INCR", "LPUSH", "HSET", "MGET", "DEL"))
        if op == "SET":
            key, value = rng.choice(strings), f"value-{n}".encode()
            pipe.set(key, value)
            model[key] = value
            expected.append((f"#{n} SET {key}", True))
        elif op == "GET":
            key = rng.choice(strings + counters)
            pipe.get(key)
            expected.append((f"#{n} GET {key}", model.get(key)))
        elif op == "INCR":
            key = rng.choice(counters)
            model[key] = str(int(model.get(key, b"0")) + 1).encode()
            pipe.incr(key)
            expected.append((f"#{n} INCR {key}", int(model[key])))
        elif op == "LPUSH":
            key, value = rng.choice(lists), f"item-{n}".encode()
            model[key] = [value] + model.get(key, [])
            pipe.lpush(key, value)
            expected.append((f"#{n} LPUSH {key}", len(model[key])))
        elif op == "HSET":
            key, field = rng.choice(hashes), f"f{rng.randrange(5)}".encode()
            fields = model.setdefault(key, {})
            added = 0 if field in fields else 1
            fields[field] = f"h-{n}".encode()
            pipe.hset(key, field, fields[field])
            expected.append((f"#{n} HSET {key} {field!r}", added))
        elif op == "MGET":
            chosen = rng.sample(strings + counters, rng.randint(2, 6))
            pipe.mget(chosen)
            expected.append((f"#{n} MGET {len(chosen)} keys", [model.get(key) for key in chosen]))
        else:
            key = rng.choice(strings + counters + lists + hashes)
            existed = key in model
            model.pop(key, None)
            pipe.delete(key)
            expected.append((f"#{n} DEL {key}", 1 if existed else 0))
    started = time.monotonic()
    results = pipe.execute(raise_on_error=False)
    elapsed = time.monotonic() - started
    if len(results) != len(expected):
        result.fail(f"the pipeline returned {len(results)} results for {len(expected)} commands")
    wrong = 0
    for (label, want), got in zip(expected, results):
        if norm(got) != norm(want):
            wrong += 1
            if wrong <= 5:
                result.fail(f"{label}: got {short(got)}, want {short(want)}")
    if wrong > 5:
        result.fail(f"{wrong} results wrong in all")
    # The cluster must hold the model's final state.
    dc = ctx.cluster()
    state_wrong = []
    for key in strings + counters:
        if dc.get(key) != model.get(key):
            state_wrong.append(key)
    for key in lists:
        if dc.lrange(key, 0, -1) != model.get(key, []):
            state_wrong.append(key)
    for key in hashes:
        if dc.hgetall(key) != model.get(key, {}):
            state_wrong.append(key)
    result.true("the cluster's state after the pipeline", not state_wrong,
                f"{len(state_wrong)} keys differ from the model, e.g. {state_wrong[:3]}")
    result.note(f"1000 commands (seed {seed}) in {elapsed:.2f}s, all results as the model says")


def check_transaction(ctx: Context, result: Result) -> None:
    """MULTI/EXEC in one slot; across slots a CROSSSLOT error and nothing written;
    WATCH with a concurrent change makes EXEC fail."""
    ep = ctx.client()
    a, b = ctx.key("{tx}:a"), ctx.key("{tx}:b")
    pipe = ep.pipeline(transaction=True)
    pipe.set(a, "1").incr(a).rpush(b, "x", "y").get(a).lrange(b, 0, -1)
    result.eq("MULTI/EXEC in one slot", lambda: pipe.execute(), [True, 2, 2, b"2", [b"x", b"y"]])
    result.eq("the cluster after EXEC", lambda: ctx.cluster().get(a), b"2")

    x, y = ctx.keys_in_two_slots("tx:cross")
    pipe = ep.pipeline(transaction=True)
    pipe.set(x, "1").set(y, "2")
    error = result.expect_error("MULTI/EXEC across slots", pipe.execute, "CROSSSLOT")
    if error is not None:
        kind = "EXECABORT" if "EXECABORT" in err_text(error) or isinstance(error, redis.exceptions.ExecAbortError) \
            else "CROSSSLOT"
        result.note(f"cross-slot transaction: {kind}: {type(error).__name__} {err_text(error)!r}")
    result.eq("keys of the cross-slot transaction, through the endpoint", lambda: ep.exists(x) + ep.exists(y), 0)
    result.eq("keys of the cross-slot transaction, directly",
              lambda: ctx.cluster().exists(x) + ctx.cluster().exists(y), 0)
    result.eq("PING after the refused transaction", lambda: ep.ping(), True)

    # WATCH: another client changes the key between WATCH and EXEC.
    w = ctx.key("{tx}:w")
    ep.set(w, "0")
    other = ctx.client()
    pipe = ep.pipeline(transaction=True)
    pipe.watch(w)
    result.eq("GET of a watched key", lambda: pipe.get(w), b"0")
    result.eq("SET by another client", lambda: other.set(w, "changed"), True)
    pipe.multi()
    pipe.set(w, "mine")
    result.expect_error("EXEC after a watched key changed", pipe.execute, kind=redis.WatchError)
    pipe.reset()
    result.eq("the watched key keeps the other client's value", lambda: ctx.cluster().get(w), b"changed")
    # And WATCH with no change lets EXEC through.
    pipe = ep.pipeline(transaction=True)
    pipe.watch(w)
    pipe.multi()
    pipe.set(w, "mine")
    result.eq("EXEC after WATCH with no change", lambda: pipe.execute(), [True])
    result.eq("the key after that EXEC", lambda: ep.get(w), b"mine")


def check_blocking(ctx: Context, result: Result) -> None:
    """BLPOP woken by another client's LPUSH; BLPOP timing out; other clients answered
    promptly while one is blocked."""
    queue = ctx.key("{b}:queue")

    def blpop_in_thread(keys: list[str], timeout: int) -> tuple[threading.Thread, dict]:
        box: dict[str, Any] = {}
        client = ctx.client(timeout=BLOCKING_SOCKET_TIMEOUT)

        def run() -> None:
            started = time.monotonic()
            try:
                box["value"] = client.blpop(keys, timeout=timeout)
            except Exception as error:  # noqa: BLE001
                box["error"] = f"{type(error).__name__}: {err_text(error)}"
            box["elapsed"] = time.monotonic() - started

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        return thread, box

    # Woken by LPUSH from another client after ~200 ms.
    pusher = ctx.client(ctx.endpoint2)
    thread, box = blpop_in_thread([queue], 5)
    time.sleep(0.2)
    pushed = pusher.lpush(queue, "hello")
    thread.join(JOIN_TIMEOUT)
    if thread.is_alive():
        result.fail(f"BLPOP woken by LPUSH: still blocked {JOIN_TIMEOUT:.0f}s later")
    elif "error" in box:
        result.fail(f"BLPOP woken by LPUSH: {box['error']}")
    else:
        result.eq("BLPOP woken by LPUSH", box["value"], (queue.encode(), b"hello"))
        result.true("BLPOP woken within 2 s", box["elapsed"] < 2.0, f"took {box['elapsed']:.2f}s")
        result.true("BLPOP waited for the LPUSH", box["elapsed"] >= 0.15, f"returned after {box['elapsed']:.3f}s")
        result.note(f"BLPOP woken after {box['elapsed']:.2f}s")
    result.true("LPUSH to a list a client waits on", pushed == 1, f"returned {short(pushed)}")
    result.eq("the list after the pop", lambda: pusher.llen(queue), 0)

    # Timing out on an empty list.
    thread, box = blpop_in_thread([ctx.key("{b}:empty")], 1)
    thread.join(JOIN_TIMEOUT)
    if thread.is_alive():
        result.fail(f"BLPOP with timeout 1: still blocked {JOIN_TIMEOUT:.0f}s later")
    elif "error" in box:
        result.fail(f"BLPOP with timeout 1: {box['error']}")
    else:
        result.eq("BLPOP with timeout 1 on an empty list", box["value"], None)
        result.true("BLPOP with timeout 1 took 0.8-3 s", 0.8 <= box["elapsed"] <= 3.0, f"took {box['elapsed']:.2f}s")

    # Others are answered while one client is blocked (keys in the blocked key's slot too,
    # so an endpoint sharing one server connection per shard would stall them).
    blocked_on = ctx.key("{b}:blocked")
    thread, box = blpop_in_thread([blocked_on], 4)
    time.sleep(0.3)
    other = ctx.client()
    slowest = 0.0
    for name in ("{b}:same-slot", "other-1", "other-2", "other-3"):
        key = ctx.key(name)
        started = time.monotonic()
        ok_set = result.get(f"SET {name} while another client is blocked", lambda: other.set(key, name))
        value = result.get(f"GET {name} while another client is blocked", lambda: other.get(key))
        took = time.monotonic() - started
        slowest = max(slowest, took)
        result.true(f"SET/GET {name} while another client is blocked", ok_set is True and value == name.encode(),
                    f"got {short(ok_set)}, {short(value)}")
        result.true(f"SET/GET {name} answered promptly while another client is blocked", took < 1.0,
                    f"took {took:.2f}s")
    result.true("the blocked client is still blocked", thread.is_alive(),
                f"it returned {short(box.get('value'))} {box.get('error', '')}")
    other.lpush(blocked_on, "release")
    thread.join(JOIN_TIMEOUT)
    if thread.is_alive():
        result.fail("the blocked client was not released by LPUSH")
    else:
        result.eq("the blocked client's BLPOP", box.get("value", box.get("error")), (blocked_on.encode(), b"release"))
    result.note(f"GET/SET while blocked: slowest {slowest * 1000:.0f} ms")


def _collect(pubsub: Any, wanted: Callable[[list[dict]], bool], seconds: float) -> list[dict]:
    messages: list[dict] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not wanted(messages):
        message = pubsub.get_message(timeout=min(0.2, max(0.01, deadline - time.monotonic())))
        if message is not None:
            messages.append(message)
    return messages


def check_pubsub(ctx: Context, result: Result) -> None:
    """SUBSCRIBE and PSUBSCRIBE on --endpoint get what is published on --endpoint2 and on
    every primary; SSUBSCRIBE gets SPUBLISH."""
    subscriber = ctx.client()
    publisher = ctx.client(ctx.endpoint2)
    channel = ctx.key("ps:chan")
    pattern = ctx.key("ps:pat:*")
    pattern_channel = ctx.key("ps:pat:one")
    pubsub = subscriber.pubsub()
    try:
        pubsub.subscribe(channel)
        pubsub.psubscribe(pattern)
        confirmations = _collect(pubsub, lambda m: len(m) >= 2, 3.0)
        result.eq("SUBSCRIBE and PSUBSCRIBE confirmations",
                  [(m["type"], m["channel"], m["data"]) for m in confirmations],
                  [("subscribe", channel.encode(), 1), ("psubscribe", pattern.encode(), 2)])

        count = publisher.publish(channel, "hello")
        result.true("PUBLISH returns an integer", isinstance(count, int) and not isinstance(count, bool),
                    f"got {short(count)}")
        count_p = publisher.publish(pattern_channel, "to-pattern")
        result.true("PUBLISH to a pattern's channel returns an integer", isinstance(count_p, int),
                    f"got {short(count_p)}")
        got = _collect(pubsub, lambda m: len(m) >= 2, 5.0)
        result.eq("the messages", sorted(((m["type"], m["pattern"], m["channel"], m["data"]) for m in got), key=repr),
                  sorted([("message", None, channel.encode(), b"hello"),
                          ("pmessage", pattern.encode(), pattern_channel.encode(), b"to-pattern")], key=repr))

        # Published straight to each primary: the cluster propagates it to the endpoint.
        try:
            primaries = ctx.primaries()
        except CheckError as error:
            primaries = []
            result.note(f"not published on the primaries: {error}")
        for host, port in primaries:
            node = ctx.client((host, port))
            node.publish(channel, f"from-{port}")
        if primaries:
            got = _collect(pubsub, lambda m: len(m) >= len(primaries), 5.0)
            result.eq("messages published on each primary",
                      sorted(m["data"] for m in got), sorted(f"from-{port}".encode() for _, port in primaries))

        pubsub.unsubscribe(channel)
        pubsub.punsubscribe(pattern)
        confirmations = _collect(pubsub, lambda m: len(m) >= 2, 3.0)
        result.eq("UNSUBSCRIBE and PUNSUBSCRIBE confirmations",
                  [(m["type"], m["data"]) for m in confirmations], [("unsubscribe", 1), ("punsubscribe", 0)])
    finally:
        pubsub.close()

    # Sharded pub/sub, when redis-py offers it on a plain client.
    if not (hasattr(subscriber.pubsub(), "ssubscribe") and hasattr(publisher, "spublish")):
        result.note("sharded pub/sub not checked: this redis-py lacks ssubscribe/spublish")
        return
    shard_channel = ctx.key("ps:shard")
    sharded = subscriber.pubsub()
    try:
        sharded.ssubscribe(shard_channel)
        confirmations = _collect(sharded, lambda m: len(m) >= 1, 3.0)
        result.eq("SSUBSCRIBE confirmation", [(m["type"], m["channel"], m["data"]) for m in confirmations],
                  [("ssubscribe", shard_channel.encode(), 1)])
        count = publisher.spublish(shard_channel, "sharded-hello")
        result.true("SPUBLISH returns an integer", isinstance(count, int), f"got {short(count)}")
        got = _collect(sharded, lambda m: len(m) >= 1, 5.0)
        result.eq("the sharded message", [(m["type"], m["channel"], m["data"]) for m in got],
                  [("smessage", shard_channel.encode(), b"sharded-hello")])
        result.note("plain, pattern and sharded messages arrived")
    finally:
        sharded.close()


def check_scan(ctx: Context, result: Result) -> None:
    """SCAN MATCH COUNT 50 through the endpoint visits each of 500 keys; KEYS finds them."""
    ep = ctx.client()
    keys = {ctx.key(f"s:{i}").encode() for i in range(500)}
    try:
        ctx.cluster().mset_nonatomic({key: b"x" for key in keys})
        written = "directly"
    except CheckError:
        ep.mset({key: b"x" for key in keys})
        written = "through the endpoint"
    seen: Counter = Counter()
    cursor, calls = 0, 0
    deadline = time.monotonic() + 60
    while True:
        cursor, batch = ep.scan(cursor, match=ctx.key("s:*"), count=50)
        calls += 1
        seen.update(batch)
        if cursor == 0:
            break
        if calls >= 20000 or time.monotonic() > deadline:
            result.fail(f"SCAN did not return cursor 0 after {calls} calls")
            break
    missing = keys - set(seen)
    extra = set(seen) - keys
    duplicates = [key for key, n in seen.items() if n > 1]
    result.true("every key returned by SCAN", not missing,
                f"{len(missing)} of 500 never returned, e.g. {short(sorted(missing)[:3])}")
    result.true("SCAN returned only the run's keys", not extra, f"{len(extra)} others, e.g. {short(sorted(extra)[:3])}")
    result.true("SCAN took more than one call", calls > 1, f"{calls} call(s)")
    found = result.get("KEYS prefix*", lambda: ep.keys(ctx.key("s:*")))
    if found is not FAILED:
        result.true("KEYS prefix* returns exactly the 500", len(found) == 500 and set(found) == keys,
                    f"{len(found)} keys, {len(set(found))} distinct, {len(keys - set(found))} missing")
    size = result.that("DBSIZE >= 500", lambda: ep.dbsize(), lambda n: isinstance(n, int) and n >= 500)
    result.note(f"keys written {written}; SCAN: {calls} calls, {len(duplicates)} duplicates; DBSIZE {size}")


def check_unsupported(ctx: Context, result: Result) -> None:
    """Unsupported commands are errors naming them, and the connection stays open."""
    ep = ctx.client(single_connection_client=True)
    key = ctx.key("u:k")
    result.eq("SET", lambda: ep.set(key, "still-here"), True)
    client_id = ep.client_id()
    sock = ep.connection._sock
    answers = {
        "CONFIG GET": result.expect_error("CONFIG GET maxmemory", lambda: ep.config_get("maxmemory"), "config"),
        "CLUSTER INFO": result.expect_error("CLUSTER INFO", lambda: ep.execute_command("CLUSTER", "INFO"), "cluster"),
        "SELECT 1": result.expect_error("SELECT 1", lambda: ep.execute_command("SELECT", 1)),
        "NOSUCHCMD": result.expect_error("NOSUCHCMD", lambda: ep.execute_command("NOSUCHCMD", "a"), "unknown command"),
    }
    result.note("; ".join(f"{command}: {err_text(error)!r}" for command, error in answers.items() if error))
    result.eq("PING afterwards", lambda: ep.ping(), True)
    result.eq("GET afterwards", lambda: ep.get(key), b"still-here")
    result.eq("SELECT 0", lambda: ep.execute_command("SELECT", 0), True)
    result.true("the same connection throughout", ep.connection._sock is sock and sock is not None,
                "the client had to reconnect")
    result.eq("CLIENT ID afterwards (the same connection)", lambda: ep.client_id(), client_id)


def check_resp3(ctx: Context, result: Result) -> None:
    """Under --protocol 3: HELLO says proto 3; maps, nulls and doubles arrive as RESP3."""
    if ctx.protocol != 3:
        result.skipped = True
        result.note("skipped: only meaningful with --protocol 3")
        return
    ep = ctx.client()
    hash_key, zset_key = ctx.key("r3:hash"), ctx.key("r3:zset")
    ep.hset(hash_key, mapping={"a": "1", "b": "2"})
    ep.zadd(zset_key, {"m": 2.5})
    connection = ep.connection_pool.get_connection()
    try:
        metadata = connection.handshake_metadata
        proto = metadata.get(b"proto", metadata.get("proto")) if isinstance(metadata, dict) else None
        result.true("the connection's HELLO answer is a map with proto 3", proto == 3, f"got {short(metadata)}")
        connection.send_command("HELLO", 3)
        hello = connection.read_response()
        proto = hello.get(b"proto", hello.get("proto")) if isinstance(hello, dict) else None
        result.true("HELLO 3 answers a map with proto 3", proto == 3, f"got {short(hello)}")
        # The parser's own values, before redis-py's result callbacks reshape them.
        connection.send_command("HGETALL", hash_key)
        raw = connection.read_response()
        result.true("HGETALL on the wire is a RESP3 map", isinstance(raw, dict) and raw == {b"a": b"1", b"b": b"2"},
                    f"got {short(raw)}")
        connection.send_command("GET", ctx.key("r3:missing"))
        raw = connection.read_response()
        result.eq("GET missing on the wire (RESP3 null)", raw, None)
        connection.send_command("ZSCORE", zset_key, "m")
        raw = connection.read_response()
        result.true("ZSCORE on the wire is a RESP3 double", isinstance(raw, float) and raw == 2.5, f"got {short(raw)}")
    finally:
        ep.connection_pool.release(connection)
    result.eq("HGETALL", lambda: ep.hgetall(hash_key), {b"a": b"1", b"b": b"2"})
    result.that("HGETALL is a dict", lambda: ep.hgetall(hash_key), lambda v: isinstance(v, dict))
    result.eq("GET missing", lambda: ep.get(ctx.key("r3:missing")), None)
    result.that("ZSCORE is a float", lambda: ep.zscore(zset_key, "m"), lambda v: isinstance(v, float) and v == 2.5)
    result.note("HELLO 3 map with proto 3; HGETALL a map, a missing GET a null, ZSCORE a double")


def check_raw(ctx: Context, result: Result) -> None:
    """Identical RESP bytes to the endpoint and to the slot's owner get identical bytes
    back, in RESP2 and (after HELLO 3 on both) RESP3."""
    tag = ctx.key("{raw}")
    k, kb, ks, kh, kbig, kc, kz, kset, km = (f"{tag}:{n}" for n in
                                             ("k", "bin", "str", "hash", "big", "cnt", "zset", "set", "missing"))
    owner = ctx.owner(tag)
    big = bytes(range(256)) * 400 + b"\r\n"  # 100 KB, more than one TCP read
    steps: list[tuple[str, list[tuple]]] = [
        ("GET missing", [("GET", km)]),
        ("SET", [("SET", k, "hello")]),
        ("GET", [("GET", k)]),
        ("SET binary", [("SET", kb, b"a\r\nb\x00c\r\n$-1\r\n")]),
        ("GET binary", [("GET", kb)]),
        ("SET string", [("SET", ks, "notanint")]),
        ("INCR of a non-integer", [("INCR", ks)]),
        ("LPUSH to a string", [("LPUSH", ks, "x")]),
        ("HSET", [("HSET", kh, "f1", "v1", "f2", "v2")]),
        ("HGETALL", [("HGETALL", kh)]),
        ("GET with no key", [("GET",)]),
        ("MGET", [("MGET", k, km, kb)]),
        ("EXISTS", [("EXISTS", k, km, k)]),
        ("TYPE", [("TYPE", kh)]),
        ("SET 100 KB", [("SET", kbig, big)]),
        ("GET 100 KB", [("GET", kbig)]),
        ("ZADD", [("ZADD", kz, "1", "a", "2.5", "b")]),
        ("ZSCORE", [("ZSCORE", kz, "b")]),
        ("ZRANGE WITHSCORES", [("ZRANGE", kz, "0", "-1", "WITHSCORES")]),
        ("SADD", [("SADD", kset, "a")]),
        ("SMEMBERS", [("SMEMBERS", kset)]),
        ("a pipelined batch", [("INCR", kc), ("INCR", kc), ("GET", kc), ("DEL", kc), ("GET", kc)]),
    ]
    all_keys = [k, kb, ks, kh, kbig, kc, kz, kset, km]

    def reset() -> None:
        admin = RawConnection(owner)
        try:
            admin.call("DEL", *all_keys)
        finally:
            admin.close()

    def run(address: tuple[str, int], hello: bool) -> tuple[list[bytes], str | None, bytes | None]:
        """Each step's replies' bytes; an error that stopped the run; HELLO's reply."""
        connection = RawConnection(address)
        replies: list[bytes] = []
        hello_reply = None
        try:
            if hello:
                hello_reply, _ = connection.call("HELLO", "3")
            for label, commands in steps:
                connection.send(b"".join(encode_command(*c) for c in commands))
                replies.append(b"".join(connection.reply()[0] for _ in commands))
            return replies, None, hello_reply
        except Exception as error:  # noqa: BLE001
            return replies, f"after {len(replies)} steps: {type(error).__name__}: {error}", hello_reply
        finally:
            connection.close()

    compared = 0
    for protocol in (2, 3):
        hello = protocol == 3
        reset()
        endpoint_replies, endpoint_error, endpoint_hello = run(ctx.endpoint, hello)
        reset()
        server_replies, server_error, _ = run(owner, hello)
        reset()
        phase = f"RESP{protocol}"
        if server_error:
            raise CheckError(f"{phase}: the server {owner[0]}:{owner[1]} failed {server_error}")
        if hello and endpoint_hello is not None and not endpoint_hello.startswith(b"%"):
            result.fail(f"{phase}: the endpoint's HELLO 3 reply is not a map: {short(endpoint_hello)}")
        if endpoint_error:
            result.fail(f"{phase}: the endpoint {endpoint_error}")
        for (label, _), ours, theirs in zip(steps, endpoint_replies, server_replies):
            compared += 1
            if ours != theirs:
                result.fail(f"{phase} {label}: endpoint sent {short(ours, 120)}, server {short(theirs, 120)}")
    result.note(f"{compared} replies byte-identical to {owner[0]}:{owner[1]}'s (RESP2 and RESP3)")


def check_info(ctx: Context, result: Result) -> None:
    """INFO's keyspace counts the cluster's keys; CLIENT SETNAME/GETNAME/ID/INFO/LIST;
    TIME; ECHO."""
    ep = ctx.client(single_connection_client=True)
    written = {ctx.key(f"i:{i}"): b"1" for i in range(30)}
    for key, value in written.items():
        ep.set(key, value)

    def direct_total() -> int | None:
        try:
            total = 0
            for host, port in ctx.primaries():
                node = ctx.client((host, port))
                total += node.dbsize()
                node.close()
            return total
        except CheckError:
            return None

    before = direct_total()
    info = result.that("INFO is a dict", lambda: ep.info(), lambda v: isinstance(v, dict))
    after = direct_total()
    db0 = info.get("db0") if isinstance(info, dict) else None
    keys = db0.get("keys") if isinstance(db0, dict) else None
    result.true("INFO keyspace db0 keys >= the keys written", isinstance(keys, int) and keys >= len(written),
                f"db0 is {short(db0)}")
    if before is not None and isinstance(keys, int):
        low, high = min(before, after), max(before, after)
        result.true("INFO keyspace db0 keys = the primaries' DBSIZE summed", low <= keys <= high,
                    f"endpoint {keys}, primaries {before}..{after}")
    result.that("INFO keyspace has db0", lambda: ep.info("keyspace"), lambda v: isinstance(v, dict) and "db0" in v)

    name = f"epc-{uuid.uuid4().hex[:8]}"
    result.eq("CLIENT SETNAME", lambda: ep.client_setname(name), True)
    result.eq("CLIENT GETNAME", lambda: ep.client_getname(), name)
    client_id = result.that("CLIENT ID is an integer", lambda: ep.client_id(),
                            lambda v: isinstance(v, int) and not isinstance(v, bool))
    result.that("CLIENT INFO names the client", lambda: ep.client_info(),
                lambda v: v.get("name") == name and str(v.get("id")) == str(client_id))
    listed = result.get("CLIENT LIST", lambda: ep.client_list())
    if listed is not FAILED:
        result.true("CLIENT LIST includes the client",
                    any(str(c.get("id")) == str(client_id) and c.get("name") == name for c in listed),
                    f"{len(listed)} clients listed, none with id {client_id} and name {name}")
    result.that("TIME is two integers near now", lambda: ep.time(),
                lambda v: isinstance(v, tuple) and len(v) == 2 and all(isinstance(n, int) for n in v)
                and abs(v[0] - time.time()) < 60 and 0 <= v[1] < 1_000_000)
    result.eq("ECHO", lambda: ep.echo(b"echo\r\n\x00me"), b"echo\r\n\x00me")
    result.note(f"db0 keys {keys} (primaries {before}); client {client_id} named {name}")



def check_edges(ctx: Context, result: Result) -> None:
    """What one client can do to the connections an endpoint shares or lends, with raw
    sockets: subscriptions that end while more subscription commands are in flight,
    connection commands inside MULTI, a long keyless MULTI, too many blocking commands,
    a RESP3 message while a reply is awaited, and a transaction whose connection is cut."""
    def connect() -> RawConnection:
        raw = RawConnection(ctx.endpoint)
        if ctx.protocol == 3:
            raw.call("HELLO", "3")
        return raw

    def kinds(frames: list[Any]) -> list[Any]:
        return [[x.decode() if isinstance(x, bytes) else x for x in frame] if isinstance(frame, list) else frame
                for frame in frames]

    # Subscribe, unsubscribe and subscribe again, pipelined: every confirmation comes, and the
    # client is back to normal once its subscriptions are gone.
    raw = connect()
    a, b = ctx.key("e:chan:a"), ctx.key("e:chan:b")
    raw.send(encode_command("SUBSCRIBE", a) + encode_command("UNSUBSCRIBE", a) + encode_command("SUBSCRIBE", b))
    frames = [raw.reply()[1] for _ in range(3)]
    result.eq("SUBSCRIBE, UNSUBSCRIBE, SUBSCRIBE pipelined", kinds(frames),
              [["subscribe", a, 1], ["unsubscribe", a, 0], ["subscribe", b, 1]])
    result.eq("UNSUBSCRIBE the last", kinds([raw.call("UNSUBSCRIBE", b)[1]]), [["unsubscribe", b, 0]])
    key = ctx.key("e:after-sub")
    result.eq("SET after the subscriptions ended", raw.call("SET", key, "v")[0], b"+OK\r\n")
    result.eq("GET after the subscriptions ended", raw.call("GET", key)[1], b"v")
    raw.close()

    # A command that would change the pinned connection is refused inside MULTI; EXEC then aborts.
    raw = connect()
    tag = ctx.key("{e:t}")
    raw.send(encode_command("MULTI") + encode_command("SET", tag + "x", "1") + encode_command("CLIENT", "REPLY", "SKIP")
             + encode_command("EXEC"))
    replies = [raw.reply()[0] for _ in range(4)]
    result.true("CLIENT REPLY SKIP inside MULTI refused", replies[2].startswith(b"-ERR"), f"{replies}")
    result.true("EXEC after a refused command aborts", replies[3].startswith(b"-EXECABORT"), f"{replies}")
    raw.send(encode_command("MULTI") + encode_command("SET", tag + "y", "2") + encode_command("EXEC") + encode_command("GET", tag + "y"))
    replies = [raw.reply()[0] for _ in range(4)]
    result.eq("the next transaction on a connection that was pinned", replies[3], b"$1\r\n2\r\n")
    raw.close()

    # 300 keyless commands in one transaction: EXEC is still read and answered.
    raw = connect()
    raw.send(encode_command("MULTI") + encode_command("TIME") * 300 + encode_command("EXEC"))
    replies = [raw.reply() for _ in range(302)]
    result.true("MULTI with 300 keyless commands", isinstance(replies[-1][1], list) and len(replies[-1][1]) == 300,
                f"EXEC answered {short(replies[-1][0], 60)}")
    raw.close()

    # More blocking commands than one client may have waiting: the extra one is refused, in order.
    raw = connect()
    empty = ctx.key("e:empty")
    raw.send(encode_command("BLPOP", empty, "1") * 17)
    started = time.monotonic()
    replies = [raw.reply()[0] for _ in range(17)]
    refused = [index for index, reply in enumerate(replies) if reply.startswith(b"-")]
    result.eq("17 BLPOPs on one connection: the refused ones", refused, [16])
    result.true("and the others timed out together", time.monotonic() - started < 4.0, f"{time.monotonic() - started:.1f}s")
    raw.close()

    # RESP3: a message comes while a blocking reply is awaited, not after it.
    if ctx.protocol == 3:
        raw = connect()
        channel = ctx.key("e:push")
        raw.call("SUBSCRIBE", channel)
        raw.send(encode_command("BLPOP", empty, "3"))
        publisher = ctx.client(ctx.endpoint2)
        time.sleep(0.2)
        publisher.publish(channel, "now")
        started = time.monotonic()
        first = raw.reply()[1]
        result.true("a RESP3 message ahead of an awaited BLPOP", isinstance(first, list) and first[:1] == [b"message"]
                    and time.monotonic() - started < 1.5, f"{short(first)} after {time.monotonic() - started:.1f}s")
        raw.reply()  # BLPOP's timeout
        raw.close()

    # A transaction whose connection is cut: EXEC aborts; nothing of it runs elsewhere.
    raw = connect()
    counter = ctx.key("{e:lost}c")
    raw.send(encode_command("WATCH", counter) + encode_command("MULTI") + encode_command("INCR", counter))
    [raw.reply() for _ in range(3)]
    host, port = ctx.owner(counter)
    direct = RawConnection((host, port))
    direct.call("CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes")
    direct.close()
    time.sleep(0.2)
    exec_reply = raw.call("EXEC")[0]
    result.true("EXEC after its connection was cut", exec_reply.startswith(b"-EXECABORT"), short(exec_reply, 80))
    after = ctx.client()
    result.eq("the transaction's INCR did not run", after.get(counter), None)
    raw.close()


def _key_on_each_primary(ctx: Context, stem: str) -> dict[tuple[str, int], str]:
    """A key of the run owned by each primary."""
    keys: dict[tuple[str, int], str] = {}
    for index in range(2000):
        key = ctx.key(f"{stem}:{index}")
        keys.setdefault(ctx.owner(key), key)
        if len(keys) == len(ctx.primaries()):
            break
    return keys


def _direct(address: tuple[str, int]) -> redis.Redis:
    return redis.Redis(host=address[0], port=address[1], protocol=2, socket_timeout=SOCKET_TIMEOUT,
                       socket_connect_timeout=SOCKET_TIMEOUT, retry=Retry(NoBackoff(), 0))


def _replica_pid(primary: tuple[str, int]) -> tuple[int | None, str]:
    """The pid of this machine of one replica of `primary`, checked to be that server's
    (its command line names redis-server and its port); None with why when it is not here."""
    direct = _direct(primary)
    try:
        info = direct.info("replication")
    finally:
        direct.close()
    replica = info.get("slave0")
    if not isinstance(replica, dict):
        return None, f"{primary} has no replica: {short(info)}"
    address = (str(replica["ip"]), int(replica["port"]))
    server = _direct(address)
    try:
        pid = int(server.info("server")["process_id"])
    finally:
        server.close()
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as file:
            command = file.read().replace(b"\0", b" ")
    except OSError as error:
        return None, f"pid {pid} of {address} is not a process of this machine: {error}"
    if b"redis-server" not in command or f":{address[1]}".encode() not in command:
        return None, f"pid {pid} of {address} is another process here ({short(command, 60)}): a server in a container"
    return pid, f"{address[0]}:{address[1]}"


def check_wait(ctx: Context, result: Result) -> None:
    """WAIT counts the replicas that have this client's writes, as each shard's server counts
    them: on a client that wrote nothing, after writes to every shard, with a replica that
    cannot acknowledge (SIGSTOP), from many clients at once; and nothing of the endpoint's
    marks is left in the cache."""
    keys = _key_on_each_primary(ctx, "w:shard")
    primaries = sorted(keys)
    replicas_direct = []
    for address in primaries:
        direct = _direct(address)
        try:
            direct.set(keys[address], "direct")
            replicas_direct.append(direct.wait(1, 5000))
        finally:
            direct.close()
    expected = min(replicas_direct)
    result.true("every shard has a replica", expected >= 1, f"direct WAITs answered {replicas_direct}")
    fresh_direct = _direct(primaries[0])
    try:
        result.eq("WAIT from a client that wrote nothing", lambda: ctx.client().wait(1, 2000), fresh_direct.wait(1, 2000))
    finally:
        fresh_direct.close()

    client = ctx.client()
    pipe = client.pipeline(transaction=False)
    for index in range(200):
        pipe.set(keys[primaries[index % len(primaries)]] + f":{index}", index)
    pipe.wait(1, 5000)
    replies = result.get("200 SETs to every shard and WAIT, pipelined", lambda: pipe.execute())
    if replies is not FAILED:
        result.eq("WAIT after the pipelined SETs", replies[-1], expected)
    started = time.monotonic()
    result.eq("WAIT for more replicas than there are", lambda: client.wait(len(primaries) + 5, 300), expected)
    result.true("... answers at its timeout", 0.25 <= time.monotonic() - started < 3.0, f"{time.monotonic() - started:.2f}s")
    for arguments in (("x", "1"), ("1",), ("1", "-1")):
        direct = _direct(primaries[0])
        try:
            want = err_text(_raise(lambda: direct.execute_command("WAIT", *arguments)))
        finally:
            direct.close()
        got = err_text(_raise(lambda: ctx.client().execute_command("WAIT", *arguments)))
        result.eq(f"WAIT {' '.join(arguments)}'s error", got, want)

    # Many clients at once, each writing its own key and waiting.
    answers: list[Any] = []
    def writer(index: int) -> None:
        own = ctx.client()
        try:
            own.set(ctx.key(f"w:many:{index}"), index)
            answers.append(own.wait(1, 5000))
        except Exception as error:  # noqa: BLE001
            answers.append(f"{type(error).__name__}: {err_text(error)}")
    threads = [threading.Thread(target=writer, args=(index,), daemon=True) for index in range(24)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(JOIN_TIMEOUT)
    result.eq("24 clients' WAITs at once", sorted(map(str, answers)), [str(expected)] * 24)
    result.true("... in well under their timeout", time.monotonic() - started < 4.0, f"{time.monotonic() - started:.2f}s")

    # A shard whose replica cannot acknowledge: its writers' WAIT times out with 0, as the
    # server answers it directly; a writer to the other shards is answered at once.
    paused_primary = primaries[0]
    pid, where_ = _replica_pid(paused_primary)
    if pid is None:
        result.note(f"replica not paused: {where_}")
    else:
        stopped = ctx.client()
        other = ctx.client()
        os.kill(pid, signal.SIGSTOP)
        try:
            stopped.set(keys[paused_primary], "paused")
            started = time.monotonic()
            result.eq("WAIT 1 400 while the shard's replica is stopped", lambda: stopped.wait(1, 400), 0)
            result.true("... after its timeout", time.monotonic() - started >= 0.35, f"{time.monotonic() - started:.2f}s")
            other.set(keys[primaries[-1]], "not paused")
            started = time.monotonic()
            result.eq("WAIT 1 2000 of a writer to another shard meanwhile", lambda: other.wait(1, 2000), 1)
            result.true("... at once", time.monotonic() - started < 0.3, f"{time.monotonic() - started:.2f}s")
            direct = _direct(paused_primary)
            try:
                direct.set(keys[paused_primary], "paused, direct")
                result.eq("the server's own WAIT 1 400 meanwhile", direct.wait(1, 400), 0)
            finally:
                direct.close()
        finally:
            os.kill(pid, signal.SIGCONT)
        result.eq("WAIT once the replica runs again", lambda: stopped.wait(1, 5000), 1)
        result.note(f"paused replica {where_} (pid {pid})")

    marks = 0
    for address in primaries:
        direct = _direct(address)
        try:
            marks += len(list(direct.scan_iter(match="__maintctl:wait:*", count=1000)))
        finally:
            direct.close()
    result.eq("keys of the endpoint's WAIT marks left in the cache", marks, 0)
    result.note(f"WAIT answered {expected} replica(s) per shard, as the servers do")


def _raise(call: Callable[[], Any]) -> BaseException | None:
    """The exception `call` raises, None when it raises none."""
    try:
        call()
    except Exception as error:  # noqa: BLE001
        return error
    return None


def check_scripts(ctx: Context, result: Result) -> None:
    """EVAL, EVALSHA and FCALL go to the shard of their keys (a key on every primary);
    keys in two slots are CROSSSLOT; SCRIPT LOAD loads on every shard."""
    import hashlib
    ep = ctx.client()
    keys = _key_on_each_primary(ctx, "s:k")
    result.true("a key on every primary", len(keys) == len(ctx.primaries()) and len(keys) > 1, f"{keys}")
    for key in keys.values():
        result.that(f"EVAL SET {key}", lambda: ep.eval("return redis.call('SET', KEYS[1], ARGV[1])", 1, key, "v:" + key),
                    lambda v: v in (True, b"OK", "OK"))
        result.eq(f"GET {key} after EVAL", lambda: ep.get(key), ("v:" + key).encode())
    first, other = ctx.keys_in_two_slots("s:x")
    result.expect_error("EVAL with keys in two slots", lambda: ep.eval("return 1", 2, first, other), "crossslot")

    body = "return {KEYS[1], redis.call('GET', KEYS[1])}"
    sha = result.get("SCRIPT LOAD", lambda: ep.script_load(body))
    want = hashlib.sha1(body.encode()).hexdigest()
    result.eq("SCRIPT LOAD's sha1", sha.decode() if isinstance(sha, bytes) else sha, want)
    for address, key in keys.items():
        direct = _direct(address)
        try:
            result.eq(f"SCRIPT EXISTS on {address[0]}:{address[1]}", lambda: direct.script_exists(want), [True])
        finally:
            direct.close()
        result.eq(f"EVALSHA on the shard of {key}", lambda: ep.evalsha(want, 1, key), [key.encode(), ("v:" + key).encode()])
    result.expect_error("EVALSHA of a script never loaded", lambda: ep.evalsha("0" * 40, 1, first), "noscript")

    # Functions: loaded on each primary by hand (FUNCTION is no endpoint command), called through it.
    library = "#!lua name=epc\nredis.register_function('epc_get', function(keys, args) return redis.call('GET', keys[1]) end)"
    loaded = []
    try:
        for address in keys:
            direct = _direct(address)
            try:
                direct.function_load(library, replace=True)
                loaded.append(address)
            finally:
                direct.close()
        for key in keys.values():
            result.eq(f"FCALL on the shard of {key}", lambda: ep.fcall("epc_get", 1, key), ("v:" + key).encode())
        result.expect_error("FCALL with keys in two slots", lambda: ep.fcall("epc_get", 2, first, other), "crossslot")
    finally:
        for address in loaded:
            direct = _direct(address)
            try:
                direct.function_delete("epc")
            finally:
                direct.close()
    result.note(f"EVAL, EVALSHA, FCALL on {len(keys)} shards; SCRIPT LOAD on every shard")


def check_blocking_kinds(ctx: Context, result: Result) -> None:
    """BRPOP, BLMOVE, BZPOPMIN and XREAD BLOCK each woken by another client's write, and
    their timeouts honoured."""
    waker = ctx.client(ctx.endpoint2)

    def woken(label: str, call: Callable[[Any], Any], wake: Callable[[], Any]) -> Any:
        box: dict[str, Any] = {}
        client = ctx.client(timeout=BLOCKING_SOCKET_TIMEOUT)

        def run() -> None:
            started = time.monotonic()
            try:
                box["value"] = call(client)
            except Exception as error:  # noqa: BLE001
                box["error"] = f"{type(error).__name__}: {err_text(error)}"
            box["elapsed"] = time.monotonic() - started

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        time.sleep(0.3)
        result.true(f"{label} waits", thread.is_alive(), f"it returned {short(box.get('value'))} {box.get('error', '')}")
        wake()
        thread.join(JOIN_TIMEOUT)
        if thread.is_alive():
            result.fail(f"{label}: still blocked {JOIN_TIMEOUT:.0f}s after the write that wakes it")
            return FAILED
        if "error" in box:
            result.fail(f"{label}: {box['error']}")
            return FAILED
        result.true(f"{label} woken within 2 s", box["elapsed"] < 2.3, f"took {box['elapsed']:.2f}s")
        return box["value"]

    queue = ctx.key("{bk}:queue")
    result.eq("BRPOP", woken("BRPOP", lambda c: c.brpop([queue], timeout=5), lambda: waker.lpush(queue, "a", "b")),
              (queue.encode(), b"a"))
    source, target = ctx.key("{bk}:source"), ctx.key("{bk}:target")
    result.eq("BLMOVE", woken("BLMOVE", lambda c: c.blmove(source, target, 5, "LEFT", "RIGHT"), lambda: waker.rpush(source, "m")), b"m")
    result.eq("the list BLMOVE moved to", lambda: waker.lrange(target, 0, -1), [b"m"])
    zset = ctx.key("{bk}:zset")
    popped = woken("BZPOPMIN", lambda c: c.bzpopmin([zset], timeout=5), lambda: waker.zadd(zset, {"low": 1, "high": 2}))
    result.true("BZPOPMIN pops the lowest", popped is not FAILED and list(popped)[:2] == [zset.encode(), b"low"]
                and float(list(popped)[2]) == 1.0, f"got {short(popped)}")
    stream = ctx.key("{bk}:stream")
    waker.xadd(stream, {"before": "1"})
    read = woken("XREAD BLOCK", lambda c: c.xread({stream: "$"}, block=5000), lambda: waker.xadd(stream, {"field": "new"}))
    text = short(read, 400)
    result.true("XREAD BLOCK returns the new entry only", "new" in text and "before" not in text, f"got {text}")

    # Timeouts: each returns nothing after about its timeout.
    client = ctx.client(timeout=BLOCKING_SOCKET_TIMEOUT)
    empty = ctx.key("{bk}:empty")
    for label, call in (("BRPOP 1", lambda: client.brpop([empty], timeout=1)),
                        ("BLMOVE 1", lambda: client.blmove(empty, target, 1, "LEFT", "RIGHT")),
                        ("BZPOPMIN 1", lambda: client.bzpopmin([empty], timeout=1)),
                        ("XREAD BLOCK 1000", lambda: client.xread({stream: "$"}, block=1000))):
        started = time.monotonic()
        value = result.get(label, call)
        took = time.monotonic() - started
        result.true(f"{label} on nothing times out empty", value in (None, [], {}), f"got {short(value)}")
        result.true(f"{label} took 0.8-3 s", 0.8 <= took <= 3.0, f"took {took:.2f}s")
    result.note("BRPOP, BLMOVE, BZPOPMIN, XREAD BLOCK woken and timed out")


def check_connection_commands(ctx: Context, result: Result) -> None:
    """COMMAND COUNT/INFO/DOCS as a server answers them, RANDOMKEY, HELLO 2, RESET and QUIT."""
    ep = ctx.client()
    direct = _direct(ctx.primaries()[0])
    try:
        result.eq("COMMAND COUNT (as a server's)", lambda: ep.command_count(), direct.command_count())
    finally:
        direct.close()
    # The exact bytes a server sends, in the protocol the client speaks.
    ours, theirs = RawConnection(ctx.endpoint), RawConnection(ctx.primaries()[0])
    try:
        if ctx.protocol == 3:
            ours.call("HELLO", "3")
            theirs.call("HELLO", "3")
        for arguments in (("COMMAND", "INFO", "get", "set"), ("COMMAND", "DOCS", "get")):
            wire = ours.call(*arguments)[0]
            result.true(f"{' '.join(arguments)}: a server's bytes", wire == theirs.call(*arguments)[0] and b"get" in wire,
                        f"got {short(wire, 120)}")
    finally:
        ours.close()
        theirs.close()
    keys = _key_on_each_primary(ctx, "c:random")
    for key in keys.values():
        ep.set(key, "1")
    random_key = result.get("RANDOMKEY", lambda: ep.randomkey())
    result.true("RANDOMKEY names a key that exists", random_key not in (None, FAILED) and ep.exists(random_key) == 1, f"got {short(random_key)}")

    raw = RawConnection(ctx.endpoint)
    try:
        _, hello = raw.call("HELLO", "2")
        fields = dict(zip(hello[::2], hello[1::2])) if isinstance(hello, list) else {}
        result.eq("HELLO 2's proto", fields.get(b"proto"), 2)
        result.eq("RESET", raw.call("RESET")[0], b"+RESET\r\n")
        result.eq("PING after RESET", raw.call("PING")[0], b"+PONG\r\n")
        result.eq("QUIT", raw.call("QUIT")[0], b"+OK\r\n")
        raw.sock.settimeout(3)
        try:
            closed = raw.sock.recv(1) == b""
        except OSError:
            closed = True
        result.true("the connection closes after QUIT", closed)
    finally:
        raw.close()
    result.note("COMMAND as the servers answer it; RANDOMKEY, HELLO 2, RESET, QUIT")


def check_slot_migration(ctx: Context, result: Result) -> None:
    """A slot moved between primaries under the endpoint (CLUSTER SETSLOT MIGRATING/IMPORTING,
    MIGRATE, SETSLOT NODE), as resharding does: while it moves, keys already moved are reached
    by following -ASK; once it moved, by following -MOVED; then it is moved back."""
    ep = ctx.client()
    key = ctx.key("{m:slot}old")
    slot = redis.crc.key_slot(key.encode())
    source = ctx.owner(key)
    target = next(address for address in ctx.primaries() if address != source)
    ids = {}
    for address in (source, target):
        connection = RawConnection(address)
        try:
            ids[address] = connection.call("CLUSTER", "MYID")[1].decode()
        finally:
            connection.close()
    result.eq("SET before the move", lambda: ep.set(key, "old"), True)

    def move(origin: tuple[str, int], destination: tuple[str, int], before_done: Callable[[], None]) -> None:
        into, out_of = RawConnection(destination), RawConnection(origin)
        try:
            into.call("CLUSTER", "SETSLOT", str(slot), "IMPORTING", ids[origin])
            out_of.call("CLUSTER", "SETSLOT", str(slot), "MIGRATING", ids[destination])
            keys = out_of.call("CLUSTER", "GETKEYSINSLOT", str(slot), "1000")[1] or []
            if keys:
                out_of.call("MIGRATE", destination[0], str(destination[1]), "", "0", "5000", "KEYS", *[k.decode() for k in keys])
            before_done()
            for address in ctx.primaries():
                connection = RawConnection(address)
                try:
                    connection.call("CLUSTER", "SETSLOT", str(slot), "NODE", ids[destination])
                finally:
                    connection.close()
        finally:
            into.close()
            out_of.close()

    def while_moving() -> None:
        # The origin no longer holds the slot's keys: it answers -ASK for them.
        result.eq("GET of a moved key (the endpoint follows -ASK)", lambda: ep.get(key), b"old")
        result.eq("SET of a new key while the slot moves", lambda: ep.set(ctx.key("{m:slot}new"), "new"), True)
        result.eq("GET of the new key while the slot moves", lambda: ep.get(ctx.key("{m:slot}new")), b"new")

    move(source, target, while_moving)
    result.eq("GET once the slot moved (the endpoint follows -MOVED)", lambda: ep.get(key), b"old")
    result.eq("SET once the slot moved", lambda: ep.set(key, "moved"), True)
    connection = RawConnection(target)
    try:
        result.eq("the key is on the new owner", connection.call("GET", key)[1], b"moved")
    finally:
        connection.close()
    move(target, source, lambda: None)
    ctx._slots = None
    result.eq("GET once the slot moved back", lambda: ep.get(key), b"moved")
    result.eq("GET of the new key once the slot moved back", lambda: ep.get(ctx.key("{m:slot}new")), b"new")
    result.note(f"slot {slot} moved {source[1]} → {target[1]} and back through ASK and MOVED")


def check_flush(ctx: Context, result: Result) -> None:
    """FLUSHDB and FLUSHALL empty every shard (run last: they empty the cache)."""
    ep = ctx.client()
    for command in ("FLUSHDB", "FLUSHALL"):
        keys = _key_on_each_primary(ctx, f"f:{command}")
        for key in keys.values():
            ep.set(key, "1")
        result.that(f"DBSIZE before {command}", lambda: ep.dbsize(), lambda v: v >= len(keys))
        result.that(command, lambda: ep.execute_command(command), lambda v: v in (True, b"OK", "OK"))
        result.eq(f"DBSIZE after {command}", lambda: ep.dbsize(), 0)
        for address in keys:
            direct = _direct(address)
            try:
                result.eq(f"{address[0]}:{address[1]}'s DBSIZE after {command}", lambda: direct.dbsize(), 0)
            finally:
                direct.close()
    result.note("FLUSHDB and FLUSHALL reached every primary")


CHECKS: dict[str, Callable[[Context, Result], None]] = {
    "types": check_types,
    "multikey": check_multikey,
    "pipeline": check_pipeline,
    "transaction": check_transaction,
    "blocking": check_blocking,
    "pubsub": check_pubsub,
    "scan": check_scan,
    "unsupported": check_unsupported,
    "resp3": check_resp3,
    "raw": check_raw,
    "info": check_info,
    "edges": check_edges,
    "wait": check_wait,
    "scripts": check_scripts,
    "blocking_kinds": check_blocking_kinds,
    "connection": check_connection_commands,
    "migration": check_slot_migration,
    "flush": check_flush,  # last: it empties the cache
}


def run_check(ctx: Context, name: str) -> dict:
    result = Result()
    started = time.monotonic()
    try:
        CHECKS[name](ctx, result)
    except CheckError as error:
        result.fail(str(error))
    except Exception as error:  # noqa: BLE001 - every exception is a finding, never a traceback
        result.fail(f"stopped by {type(error).__name__}: {err_text(error)}{where(error)}")
    finally:
        ctx.close_clients()
    line = {"check": name, "ok": not result.problems, "detail": result.detail()}
    if result.skipped and not result.problems:
        line["skipped"] = True
    line["seconds"] = round(time.monotonic() - started, 3)
    return line


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--endpoint", type=parse_address, required=True, help="the endpoint, HOST:PORT")
    parser.add_argument("--endpoint2", type=parse_address, help="a second endpoint (pub/sub's publisher)")
    parser.add_argument("--direct", default="",
                        type=lambda t: [parse_address(a) for a in t.split(",") if a.strip()],
                        help="the cluster's servers, HOST:PORT,HOST:PORT,...")
    parser.add_argument("--protocol", type=int, choices=(2, 3), default=2, help="RESP version (default 2)")
    parser.add_argument("--check", default="all", help=f"all, or some of: {','.join(CHECKS)}")
    args = parser.parse_args(argv)
    names = list(CHECKS) if args.check.strip() == "all" else [n.strip() for n in args.check.split(",") if n.strip()]
    unknown = [n for n in names if n not in CHECKS]
    if unknown or not names:
        parser.error(f"unknown check(s) {unknown}; known: {', '.join(CHECKS)}, all")

    ctx = Context(args)
    all_ok = True
    try:
        for name in names:
            line = run_check(ctx, name)
            all_ok &= line["ok"]
            print(json.dumps(line), flush=True)
    finally:
        print(f"endpoint_checks: prefix {ctx.prefix}: {ctx.cleanup()}", file=sys.stderr)
        ctx.close()
    return 0 if all_ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
