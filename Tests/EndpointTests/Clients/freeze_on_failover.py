"""Stops a process (SIGSTOP) the moment an endpoint announces a planned failover.

Connects to a node endpoint with RESP3, opts in to maintenance notifications, and waits for
a FAILING_OVER push: the endpoint sends it once it holds the shard, so the process stopped
then (maintctl) is stopped inside the hold. Prints "stopped" and exits 0; exits 1 when the
connection ends or --max-seconds pass first.

    freeze_on_failover.py --endpoint 127.0.0.1:PORT --pid PID [--ready-file PATH]
"""
import argparse
import os
import signal
import socket
import sys
import time


def command(*args: str) -> bytes:
    parts = [b"*%d\r\n" % len(args)]
    for arg in args:
        data = arg.encode()
        parts.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(parts)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--pid", type=int, required=True)
    parser.add_argument("--ready-file")
    parser.add_argument("--max-seconds", type=float, default=300)
    args = parser.parse_args()
    host, port = args.endpoint.rsplit(":", 1)
    deadline = time.monotonic() + args.max_seconds
    with socket.create_connection((host, int(port)), timeout=5) as connection:
        connection.sendall(command("HELLO", "3") + command("CLIENT", "MAINT_NOTIFICATIONS", "ON"))
        seen = b""
        # The HELLO map, then +OK: the endpoint now tells this connection.
        while b"+OK\r\n" not in seen:
            chunk = connection.recv(65536)
            if not chunk:
                print("the endpoint closed before opting in: %r" % seen[-200:], file=sys.stderr)
                return 1
            seen += chunk
        if b"-ERR" in seen:
            print("opting in failed: %r" % seen[-200:], file=sys.stderr)
            return 1
        if args.ready_file:
            open(args.ready_file, "w").close()
        seen = b""
        connection.settimeout(0.5)
        while time.monotonic() < deadline:
            try:
                chunk = connection.recv(65536)
            except socket.timeout:
                continue
            if not chunk:
                return 1
            seen = seen[-64:] + chunk
            if b"FAILING_OVER" in seen:
                os.kill(args.pid, signal.SIGSTOP)
                print("stopped", flush=True)
                return 0
    return 1


if __name__ == "__main__":
    sys.exit(main())
