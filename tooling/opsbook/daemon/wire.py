"""How the `opsbook` command and its daemon talk: one Unix socket per knowledge base, in that knowledge base's
folder of the user's cache (readable by the user only), carrying frames of a kind byte, a length and a payload.

A run is: the command sends REQUEST (JSON: arguments, working folder, environment, umask, which streams are
terminals, which opsbook it is); the daemon answers STARTED when it takes it up, or REFUSED (run it yourself);
the command confirms with GO (a command that gave up waiting has closed the connection instead, so the daemon
never runs a command its caller runs itself); while the command runs, the daemon sends its output as it is
written, one OUTPUT frame per write (the stream's number, 1 or 2, then the bytes), so a progress line is drawn
live; it may send WANT_STDIN once, answered by STDIN; it ends with ANSWER, the exit code as JSON. Standard
library only: the client imports this before anything else.
"""

from __future__ import annotations

import socket
from pathlib import Path

from opsbook.index.location import index_folder

REQUEST = b"Q"
STARTED = b"S"
GO = b"G"
WANT_STDIN = b"I"
STDIN = b"D"
OUTPUT = b"O"
ANSWER = b"X"
REFUSED = b"R"
SOCKET_NAME = "daemon.sock"
MAX_SOCKET_PATH = 107
"""Bytes a Unix socket's path may have on Linux (108 with the final zero byte); macOS allows 103."""
HEADER = 9


def socket_path(root: Path) -> Path:
    return index_folder(root) / SOCKET_NAME


def send(connection: socket.socket, kind: bytes, payload: bytes) -> None:
    connection.sendall(kind + len(payload).to_bytes(HEADER - 1, "big") + payload)


def receive(connection: socket.socket) -> tuple[bytes, bytes]:
    """The next frame; ConnectionError when the other side is gone."""
    header = _exactly(connection, HEADER)
    return header[:1], _exactly(connection, int.from_bytes(header[1:], "big"))


def _exactly(connection: socket.socket, size: int) -> bytes:
    data = bytearray(size)
    view = memoryview(data)
    done = 0
    while done < size:
        count = connection.recv_into(view[done:])
        if count == 0:
            raise ConnectionError("the other side closed the connection")
        done += count
    return bytes(data)
