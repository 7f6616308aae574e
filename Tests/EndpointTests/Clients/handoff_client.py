#!/usr/bin/env python3
"""A plain redis-py client (no Redis Cluster support) writing through a node endpoint while
maintenance runs, then reading every acknowledged write back.

Threads share one redis.Redis (one connection pool, as an application has). redis-py's own
retries are off: every error the library meets is counted. With --retry, a failed write is
tried again (as an application's retry logic does) and the retries that succeed are counted.
It runs until --stop-file exists (or --max-seconds pass), then prints JSON lines, one per
check: {"check", "ok", "detail", "value"}.

  errors         no error (with --allow-connection-errors: only connection errors, and with
                 --allow-error TEXT only errors that contain TEXT too, each followed by a
                 retry that succeeded)
  lost           every acknowledged write reads back with its value
  moved          the endpoint process serving the client changed (value: when, epoch seconds)
  notifications  maintenance notifications received, by type (with --expect-notifications:
                 FAILING_OVER, FAILED_OVER, MIGRATING, MIGRATED and MOVING each at least once)
  gap            the longest time between two acknowledged writes of one thread (value: ms)
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import threading
import time
import uuid

import redis
from redis import maint_notifications
from redis.backoff import NoBackoff
from redis.retry import Retry

NOTIFIED: collections.Counter[str] = collections.Counter()
NOTIFIED_LOCK = threading.Lock()


def count_notifications(log: str | None) -> None:
    """Counts every maintenance notification redis-py handles (and appends its type to `log`),
    then lets it handle it."""
    for handler in (maint_notifications.MaintNotificationsConnectionHandler, maint_notifications.MaintNotificationsPoolHandler):
        original = handler.handle_notification

        def counted(self, notification, _original=original):
            with NOTIFIED_LOCK:
                NOTIFIED[type(notification).__name__] += 1
                if log:
                    with open(log, "a") as file:
                        file.write(type(notification).__name__ + "\n")
            return _original(self, notification)

        handler.handle_notification = counted


class Writer:
    def __init__(self, client: redis.Redis, prefix: str, index: int, retry: bool) -> None:
        self.client = client
        self.prefix = prefix
        self.index = index
        self.retry = retry
        self.acknowledged: dict[str, str] = {}
        self.errors: list[tuple[float, str]] = []
        self.retried_ok = 0
        self.retries_failed = 0
        self.longest_gap = 0.0
        self.pids: list[tuple[float, int]] = []

    def run(self, stop: threading.Event, deadline: float) -> None:
        last_ack = time.monotonic()
        number = 0
        while not stop.is_set() and time.monotonic() < deadline:
            number += 1
            key = f"{self.prefix}:{self.index}:{number}"
            value = f"{number}-{uuid.uuid4().hex[:8]}"
            if self.write(key, value, stop, deadline):
                now = time.monotonic()
                self.longest_gap = max(self.longest_gap, now - last_ack)
                last_ack = now
            if number % 20 == 0:
                self.note_pid()
            time.sleep(0.002)

    def write(self, key: str, value: str, stop: threading.Event, deadline: float) -> bool:
        try:
            if self.client.set(key, value):
                self.acknowledged[key] = value
                return True
            self.errors.append((time.time(), f"SET {key} answered false"))
            return False
        except Exception as error:  # noqa: BLE001 - every failure is the measurement
            self.errors.append((time.time(), f"{type(error).__name__}: {error}"))
        if not self.retry:
            return False
        for _ in range(100):
            if time.monotonic() > deadline:
                break
            time.sleep(0.05)
            try:
                if self.client.set(key, value):
                    self.acknowledged[key] = value
                    self.retried_ok += 1
                    return True
            except Exception:  # noqa: BLE001 - the retry fails again; counted below
                continue
        self.retries_failed += 1
        return False

    def note_pid(self) -> None:
        try:
            pid = int(self.client.info("server")["process_id"])
        except Exception as error:  # noqa: BLE001
            self.errors.append((time.time(), f"INFO: {type(error).__name__}: {error}"))
            return
        if not self.pids or self.pids[-1][1] != pid:
            self.pids.append((time.time(), pid))


def emit(check: str, ok: bool, detail: str, value: float | None = None) -> None:
    print(json.dumps({"check": check, "ok": ok, "detail": detail, "value": value}), flush=True)


def read_back(host: str, port: int, password: str | None, writers: list[Writer]) -> tuple[int, int, list[str]]:
    """Reads every acknowledged key through a fresh connection: (checked, lost, examples)."""
    client = redis.Redis(host=host, port=port, password=password, protocol=2, socket_timeout=10)
    checked = lost = 0
    examples: list[str] = []
    for writer in writers:
        items = list(writer.acknowledged.items())
        for start in range(0, len(items), 500):
            batch = items[start:start + 500]
            values = client.mget([key for key, _ in batch])
            for (key, wanted), got in zip(batch, values):
                checked += 1
                if got is None or got.decode() != wanted:
                    lost += 1
                    if len(examples) < 5:
                        examples.append(f"{key}: wanted {wanted}, read {got!r}")
    client.close()
    return checked, lost, examples


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--protocol", type=int, choices=[2, 3], required=True)
    parser.add_argument("--notifications", choices=["on", "off"], default="off")
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--stop-file", required=True)
    parser.add_argument("--ready-file", help="written once every thread has written")
    parser.add_argument("--max-seconds", type=float, default=240)
    parser.add_argument("--retry", action="store_true", help="retry a failed write, as an application would")
    parser.add_argument("--allow-connection-errors", action="store_true")
    parser.add_argument("--allow-error", action="append", default=[], metavar="TEXT",
                        help="an error whose text contains TEXT is allowed when a retry succeeded")
    parser.add_argument("--socket-timeout", type=float, default=5.0)
    parser.add_argument("--notices-file", help="each maintenance notification's type is appended to it as it comes")
    parser.add_argument("--expect-notifications", action="store_true")
    parser.add_argument("--password-file", help="the cache's password, to AUTH with")
    parser.add_argument("--read-back-file", help="once the stop file exists: read every write back through the endpoint "
                        "(HOST:PORT) this file names, not --endpoint (which may have left with its machine)")
    args = parser.parse_args()
    host, port = args.endpoint.rsplit(":", 1)
    password = open(args.password_file).read().strip() if args.password_file else None
    count_notifications(args.notices_file)

    options: dict = dict(host=host, port=int(port), password=password, protocol=args.protocol, retry=Retry(NoBackoff(), 0),
                         socket_timeout=args.socket_timeout, socket_connect_timeout=2)
    if args.protocol == 3:
        options["maint_notifications_config"] = maint_notifications.MaintNotificationsConfig(enabled=args.notifications == "on")
    client = redis.Redis(**options)
    prefix = f"handoff:{uuid.uuid4().hex[:8]}"
    writers = [Writer(client, prefix, index, args.retry) for index in range(args.threads)]
    for writer in writers:
        writer.note_pid()
    stop = threading.Event()
    deadline = time.monotonic() + args.max_seconds
    threads = [threading.Thread(target=writer.run, args=(stop, deadline), daemon=True) for writer in writers]
    for thread in threads:
        thread.start()
    ready_written = False
    while time.monotonic() < deadline and not os.path.exists(args.stop_file):
        if args.ready_file and not ready_written and all(writer.acknowledged for writer in writers):
            with open(args.ready_file, "w") as ready:
                ready.write("ready\n")
            ready_written = True
        time.sleep(0.05)
    stop.set()
    for thread in threads:
        thread.join(timeout=30)
    for writer in writers:
        writer.note_pid()
    client.close()

    errors = sorted(error for writer in writers for error in writer.errors)
    retried_ok = sum(writer.retried_ok for writer in writers)
    retries_failed = sum(writer.retries_failed for writer in writers)
    shown = "; ".join(f"{text} (at {at:.3f})" for at, text in errors[:5])
    if args.allow_connection_errors or args.allow_error:
        # A connection error on the INFO that notes the server's pid is one too.
        def allowed(text: str) -> bool:
            connection = text.removeprefix("INFO: ").startswith(("ConnectionError", "TimeoutError"))
            return (args.allow_connection_errors and connection) or any(part in text for part in args.allow_error)
        unexpected = [text for _, text in errors if not allowed(text)]
        emit("errors", not unexpected and retries_failed == 0,
             f"{len(errors)} errors, {len(unexpected)} not allowed, {retried_ok} retries succeeded, "
             f"{retries_failed} writes failed every retry: {shown}", len(errors))
    else:
        emit("errors", not errors, f"{len(errors)} errors: {shown}", len(errors))

    read_host, read_port = host, int(port)
    if args.read_back_file:
        read_host, read_port_text = open(args.read_back_file).read().strip().rsplit(":", 1)
        read_port = int(read_port_text)
    checked, lost, examples = read_back(read_host, read_port, password, writers)
    acknowledged = sum(len(writer.acknowledged) for writer in writers)
    emit("lost", lost == 0 and checked == acknowledged and acknowledged > 100,
         f"{acknowledged} writes acknowledged, {checked} read back, {lost} lost {examples}", lost)

    transitions = sorted({change for writer in writers for change in writer.pids})
    first_pid = transitions[0][1] if transitions else None
    moved_at = next((at for at, pid in transitions if pid != first_pid), None)
    emit("moved", moved_at is not None,
         f"endpoint pids seen: {[(round(at, 3), pid) for at, pid in transitions]}", moved_at)

    with NOTIFIED_LOCK:
        seen = dict(NOTIFIED)
    wanted = ["NodeFailingOverNotification", "NodeFailedOverNotification", "NodeMigratingNotification",
              "NodeMigratedNotification", "NodeMovingNotification"]
    emit("notifications", not args.expect_notifications or all(seen.get(name, 0) > 0 for name in wanted),
         f"received {seen}", sum(seen.values()))

    gap = max(writer.longest_gap for writer in writers) * 1000
    emit("gap", True, f"the longest time between two acknowledged writes of one thread: {gap:.1f} ms", gap)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
