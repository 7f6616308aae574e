#!/usr/bin/env python3
"""A stand-in for a peer endpoint that can still reach every server: it answers
MAINTCTL.HEALTH with each given server silent for 0 ms, and +OK to anything else.
Usage: fake_peer.py PORT-FILE SERVER... ; it listens on 127.0.0.1, an ephemeral port,
writes the port to PORT-FILE, and serves until killed."""

import socket
import sys
import threading


def serve(connection: socket.socket, servers: list[str]) -> None:
    buffer = b""
    with connection:
        while True:
            data = connection.recv(65536)
            if not data:
                return
            buffer += data
            while True:
                request, buffer = take(buffer)
                if request is None:
                    break
                if request and request[0].upper() == b"MAINTCTL.HEALTH":
                    reply = b"*%d\r\n" % len(servers) + b"".join(
                        b"*2\r\n$%d\r\n%s\r\n:0\r\n" % (len(server), server.encode()) for server in servers)
                else:
                    reply = b"+OK\r\n"
                connection.sendall(reply)


def take(buffer: bytes) -> tuple[list[bytes] | None, bytes]:
    """One RESP array of bulk strings from the front of buffer, or None when incomplete."""
    if not buffer.startswith(b"*") or b"\r\n" not in buffer:
        return None, buffer
    header, rest = buffer.split(b"\r\n", 1)
    parts = []
    for _ in range(int(header[1:])):
        if b"\r\n" not in rest:
            return None, buffer
        length_line, rest = rest.split(b"\r\n", 1)
        length = int(length_line[1:])
        if len(rest) < length + 2:
            return None, buffer
        parts.append(rest[:length])
        rest = rest[length + 2:]
    return parts, rest


def main() -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    with open(sys.argv[1], "w") as port_file:
        port_file.write(str(listener.getsockname()[1]))
    servers = sys.argv[2:]
    while True:
        connection, _ = listener.accept()
        threading.Thread(target=serve, args=(connection, servers), daemon=True).start()


if __name__ == "__main__":
    main()
