"""Server sockets of this process without Nagle's algorithm (``TCP_NODELAY``).

Why: Streamlit 1.67 binds its listening socket itself (``socket.socket(family)``, protocol number 0) and hands
it to uvicorn. asyncio turns Nagle's algorithm off only for sockets whose protocol is ``IPPROTO_TCP``, so the
connections accepted from that socket keep it on. Every answer after the first on a kept-alive connection (the
dozens of small scripts a browser fetches when it opens the app for the first time) and every burst of messages
on the WebSocket then waits for the browser's delayed acknowledgement, about 40 ms each time (measured: 44 ms
per script instead of 3 ms; issue #10, ``bench/RESULTS.md``).

:func:`disable_nagle` sets ``TCP_NODELAY`` on this process's listening TCP sockets, which the connections they
accept later inherit (Linux), and on the connections already accepted from them. It reads the process's open
descriptors (``/proc/self/fd``, or ``/dev/fd``); where neither exists (Windows) it does nothing. It touches no
other socket: a client connection of this process (an HTTP download) has another local port.
"""

from __future__ import annotations

import contextlib
import os
import socket
import stat
from pathlib import Path

_FD_FOLDERS = (Path("/proc/self/fd"), Path("/dev/fd"))


def _open_descriptors() -> list[int]:
    for folder in _FD_FOLDERS:
        with contextlib.suppress(OSError):
            return sorted(int(name) for name in os.listdir(folder) if name.isdigit())
    return []


def _tcp_sockets() -> list[socket.socket]:
    """A duplicate of each open TCP socket of this process (closed by the caller); options set on a duplicate
    apply to the socket itself."""
    found = []
    for fd in _open_descriptors():
        try:
            if not stat.S_ISSOCK(os.fstat(fd).st_mode):
                continue
            dup = socket.socket(fileno=os.dup(fd))  # learns family and type from the descriptor
        except OSError:
            continue
        if dup.family in (socket.AF_INET, socket.AF_INET6) and dup.type == socket.SOCK_STREAM:
            found.append(dup)
        else:
            dup.close()
    return found


def _nodelay(sock: socket.socket) -> bool:
    return bool(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))


def disable_nagle() -> int:
    """``TCP_NODELAY`` on the listening TCP sockets of this process and the connections they accepted; the
    number of sockets changed (0 when every one already had it, or on a system without a descriptor list)."""
    changed = 0
    sockets = _tcp_sockets()
    try:
        listening = [s for s in sockets if _listening(s)]
        ports = {s.getsockname()[1] for s in listening}
        accepted = [s for s in sockets if s not in listening and _local_port(s) in ports]
        for sock in listening + accepted:
            with contextlib.suppress(OSError):  # a connection closed meanwhile
                if not _nodelay(sock):
                    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                    changed += 1
    finally:
        for sock in sockets:
            sock.close()
    return changed


def _listening(sock: socket.socket) -> bool:
    try:
        return bool(sock.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN))
    except (OSError, AttributeError):  # no SO_ACCEPTCONN on this system
        return False


def _local_port(sock: socket.socket) -> int | None:
    try:
        return sock.getsockname()[1]
    except OSError:
        return None
