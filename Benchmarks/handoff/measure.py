#!/usr/bin/env python3
"""What clients feel of maintenance through the node endpoints, measured on a live cluster of
local processes (Benchmarks/handoff/run sets it up; never run by tests).

Part 1, planned failovers: ROUNDS rolling restarts (3 planned failovers each) of
local-cluster.yaml while three kinds of client write unique keys, 2 threads each:
  endpoint+notify  redis-py RESP3 with maintenance notifications, through node-1's endpoint
  endpoint         redis-py RESP2, no notifications, through node-2's endpoint
  direct cluster   redis-py RedisCluster straight at the servers (what the probe measures)
Each write's latency is recorded with its shard; the writes of one shard slower than
STALL_MS that lie within 1 s of each other are one stall, and its longest write is the
stall's length. Every acknowledged write is read back at the end.

Part 2, at rest (no maintctl running): KILLS times a primary off the leader node is
SIGKILLed and the time until its replica answers ROLE master is measured, with the
endpoints' own failover; then REDIS_KILLS times with the endpoints' healing paused, which
leaves it to Redis's own failover (cluster-node-timeout 5000). The cluster is made anew
for each kill.

Prints the machine, the commands and markdown tables to stdout; progress, and every lost
write, to stderr. TRACE=1 also prints every write (name, key, monotonic start, latency ms,
wall-clock start, error) and maintctl's --verbose log to stderr, to find what a lost write met.
"""

from __future__ import annotations

import json
import os
import platform
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid

import redis
from redis import maint_notifications
from redis.backoff import NoBackoff
from redis.cluster import RedisCluster
from redis.retry import Retry

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MAINTCTL = os.path.join(ROOT, os.environ.get("MAINTCTL", ".build/release/maintctl"))
ROUNDS = int(os.environ.get("ROUNDS", "5"))
KILLS = int(os.environ.get("KILLS", "10"))
REDIS_KILLS = int(os.environ.get("REDIS_KILLS", "3"))
STALL_MS = float(os.environ.get("STALL_MS", "5"))
INVENTORY = os.path.join(ROOT, "Playbooks/inventories/local-cluster.yaml")


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def maintctl(*arguments: str, check: bool = True) -> subprocess.CompletedProcess:
    ran = subprocess.run([MAINTCTL, *arguments], capture_output=True, text=True, cwd=ROOT)
    if check and ran.returncode != 0:
        raise RuntimeError(f"maintctl {' '.join(arguments)} failed ({ran.returncode}): {ran.stderr[-2000:]}")
    return ran


def status(state: str) -> dict:
    return json.loads(maintctl("cluster", "status", "--state", state, "--format", "json").stdout)


def control(state: str, node: str, *command: str) -> str:
    with socket.socket(socket.AF_UNIX) as sock:
        sock.settimeout(5)
        sock.connect(f"{state}/nodes/{node}/endpoint.sock")
        sock.sendall(b"*%d\r\n" % len(command) + b"".join(b"$%d\r\n%s\r\n" % (len(part), part.encode()) for part in command))
        return sock.recv(65536).decode()


def slot_ranges(state: str) -> dict[str, tuple[int, int]]:
    ranges = {}
    for copy in status(state)["copies"]:
        if copy["role"] == "primary":
            low, high = copy["slots"].split("-")
            ranges[copy["shard"]] = (int(low), int(high))
    return ranges


class Writer:
    """Threads writing unique keys through one client; every write's (start, latency, shard, error)."""

    def __init__(self, name: str, client, shard_of, threads: int = 2) -> None:
        self.name = name
        self.client = client
        self.shard_of = shard_of
        self.records: list[tuple[float, float, str, str | None]] = []
        self.acknowledged: dict[str, str] = {}
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self.run, args=(index,), daemon=True) for index in range(threads)]
        self.prefix = f"bench:{uuid.uuid4().hex[:6]}:{name.replace(' ', '-')}"

    def start(self) -> "Writer":
        for thread in self.threads:
            thread.start()
        return self

    def run(self, index: int) -> None:
        number = 0
        while not self.stop.is_set():
            number += 1
            key = f"{self.prefix}:{index}:{number}"
            value = str(number)
            started = time.monotonic()
            error = None
            try:
                if not self.client.set(key, value):
                    error = "SET answered false"
            except Exception as failure:  # noqa: BLE001 - counted
                error = f"{type(failure).__name__}: {failure}"
            latency = time.monotonic() - started
            with self.lock:
                self.records.append((started, latency, self.shard_of(key), error))
                if os.environ.get("TRACE"):
                    print(f"TRACE {self.name.replace(' ', '-')} {key} {started:.6f} {latency * 1000:.2f} {time.time() - latency:.6f} {error}", file=sys.stderr)
                if error is None:
                    self.acknowledged[key] = value
            time.sleep(0.001)

    def finish(self) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=30)


def stalls(records: list[tuple[float, float, str, str | None]]) -> list[float]:
    """Per shard, slow writes within 1 s of each other are one stall; its longest write, in ms."""
    found: list[float] = []
    for shard in {record[2] for record in records}:
        slow = sorted((start, latency) for start, latency, owner, _ in records if owner == shard and latency * 1000 >= STALL_MS)
        current: list[float] = []
        last_end = None
        for start, latency in slow:
            if last_end is not None and start - last_end > 1.0:
                found.append(max(current) * 1000)
                current = []
            current.append(latency)
            last_end = start + latency
        if current:
            found.append(max(current) * 1000)
    return sorted(found)


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def lost(writer: Writer, reader) -> int:
    missing = 0
    for key, value in list(writer.acknowledged.items()):
        got = reader.get(key)
        if got != value.encode():
            missing += 1
            log(f"{writer.name}: acknowledged write lost: {key} = {value}, read {got!r}")
    return missing


def planned(state: str) -> None:
    nodes = {node["node"]: node["endpoint"] for node in status(state)["nodes"]}
    ranges = slot_ranges(state)
    from redis.crc import key_slot

    def shard_of(key: str) -> str:
        slot = key_slot(key.encode())
        return next(shard for shard, (low, high) in ranges.items() if low <= slot <= high)

    first_host, first_port = nodes["node-1"].rsplit(":", 1)
    second_host, second_port = nodes["node-2"].rsplit(":", 1)
    seed = next(copy for copy in status(state)["copies"] if copy["role"] == "primary")
    no_retry = Retry(NoBackoff(), 0)
    clients = [
        ("endpoint+notify", redis.Redis(host=first_host, port=int(first_port), protocol=3, retry=no_retry, socket_timeout=5,
                                        maint_notifications_config=maint_notifications.MaintNotificationsConfig(
                                            enabled=os.environ.get("NOTIFY", "1") == "1" or "auto"))),
        ("endpoint", redis.Redis(host=second_host, port=int(second_port), protocol=2, retry=no_retry, socket_timeout=5)),
        ("direct cluster", RedisCluster(host="127.0.0.1", port=seed["port"], socket_timeout=5)),
    ]
    writers = [Writer(name, client, shard_of).start() for name, client in clients]
    time.sleep(1)
    summaries = []
    for round_number in range(ROUNDS):
        log(f"rolling restart {round_number + 1}/{ROUNDS}")
        ran = maintctl("run", "Playbooks/rolling-restart.yaml", "--backend", "process", "--state", state, "--format", "json",
                       *(["--verbose"] if os.environ.get("TRACE") else []))
        if os.environ.get("TRACE"):
            print(ran.stderr, file=sys.stderr)
        summaries.append(json.loads(ran.stdout))
        time.sleep(0.5)
    time.sleep(0.5)
    for writer in writers:
        writer.finish()
    reader = RedisCluster(host="127.0.0.1", port=next(copy for copy in status(state)["copies"] if copy["role"] == "primary")["port"])
    failovers = [failover for summary in summaries for failover in summary.get("failovers", [])]
    backend_gaps = [failover.get("unavailable_ms", 0) for failover in failovers]
    print(f"\n### Planned failovers: {len(failovers)} in {ROUNDS} rolling restarts of local-cluster.yaml\n")
    print(f"maintctl's own write gap per failover (hold to unpause): p50 {percentile(backend_gaps, 0.5):.0f} ms, "
          f"max {max(backend_gaps) if backend_gaps else float('nan'):.0f} ms\n")
    print("| client | writes | stalls ≥ %g ms | stall p50 | p99 | max | errors | acknowledged writes lost |" % STALL_MS)
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for writer in writers:
        found = stalls(writer.records)
        errors = [record[3] for record in writer.records if record[3]]
        print(f"| {writer.name} | {len(writer.records)} | {len(found)} | {percentile(found, 0.5):.1f} ms | {percentile(found, 0.99):.1f} ms | "
              f"{max(found) if found else float('nan'):.1f} ms | {len(errors)} | {lost(writer, reader)} |")
        if errors:
            log(f"{writer.name} errors: {errors[:5]}")


def promote_time(state: str, pause_healing: bool, limit: float) -> float | None:
    copies = status(state)["copies"]
    victim = next(copy for copy in copies if copy["role"] == "primary" and copy["node"] != "node-1")
    replica = next(copy for copy in copies if copy["shard"] == victim["shard"] and copy["role"] == "replica")
    if pause_healing:
        for node in ("node-1", "node-2", "node-3"):
            control(state, node, "HEALING", "PAUSE", "60000")
    probe = redis.Redis(port=replica["port"], socket_timeout=1)
    time.sleep(1.0)
    os.kill(victim["pid"], signal.SIGKILL)
    killed = time.monotonic()
    while time.monotonic() - killed < limit:
        try:
            if probe.execute_command("ROLE")[0] in (b"master", "master"):
                return time.monotonic() - killed
        except redis.RedisError:
            pass
        time.sleep(0.005)
    return None


def at_rest(directory: str) -> None:
    results = {"endpoints": [], "redis": []}
    for label, count, pause in (("endpoints", KILLS, False), ("redis", REDIS_KILLS, True)):
        for attempt in range(count):
            state = f"{directory}/rest-{label}-{attempt}"
            maintctl("cluster", "up", INVENTORY, "--backend", "process", "--state", state)
            try:
                elapsed = promote_time(state, pause, 30.0)
                results[label].append(elapsed)
                log(f"{label} kill {attempt + 1}/{count}: promoted after {elapsed}")
            finally:
                maintctl("cluster", "down", "--state", state, check=False)
    print("\n### At rest: SIGKILL of a primary until its replica is primary\n")
    print("| who fails over | kills | p50 | max | not promoted within 30 s |")
    print("| --- | --- | --- | --- | --- |")
    for label, name in (("endpoints", "the endpoints (down_after 800 ms, quorum of 3)"), ("redis", "Redis itself (cluster-node-timeout 5000)")):
        times = [value for value in results[label] if value is not None]
        print(f"| {name} | {len(results[label])} | {percentile(times, 0.5):.2f} s | {max(times) if times else float('nan'):.2f} s | "
              f"{len(results[label]) - len(times)} |")


def main() -> int:
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), platform.processor())
    print(f"machine: {cpu}, {os.cpu_count()} cores; {platform.platform()}")
    print(f"maintctl: {MAINTCTL}; redis-py {redis.__version__}; "
          f"{subprocess.run(['redis-server', '--version'], capture_output=True, text=True).stdout.strip()}")
    print(f"command: ROUNDS={ROUNDS} KILLS={KILLS} REDIS_KILLS={REDIS_KILLS} STALL_MS={STALL_MS} Benchmarks/handoff/run")
    directory = tempfile.mkdtemp(prefix="maintctl-handoff-bench-", dir="/dev/shm" if os.access("/dev/shm", os.W_OK) else None)
    state = f"{directory}/planned"
    try:
        maintctl("cluster", "up", INVENTORY, "--backend", "process", "--state", state)
        try:
            planned(state)
            if os.environ.get("TRACE"):
                for node in sorted(os.listdir(f"{state}/nodes")):
                    for line in open(f"{state}/nodes/{node}/endpoint.log", errors="replace"):
                        if "promoted" in line or "fail over" in line or "failover" in line:
                            log(f"{node} endpoint: {line.strip()}")
        finally:
            maintctl("cluster", "down", "--state", state, check=False)
        at_rest(directory)
    finally:
        subprocess.run(["rm", "-rf", directory])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
