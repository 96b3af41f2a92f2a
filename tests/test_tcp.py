"""``core.tcp.disable_nagle``: the server's sockets get ``TCP_NODELAY``, now and for later connections.

Streamlit 1.67 binds its listening socket with protocol number 0, so asyncio leaves Nagle's algorithm on for
the connections it accepts (≈ 40 ms per answer on a kept-alive connection, issue #10). No timing here: the
option itself is read on the sockets.
"""

from __future__ import annotations

import socket
import sys

import pytest

from core import tcp

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc/self/fd et héritage Linux")


def _nodelay(sock: socket.socket) -> int:
    return sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)


@pytest.fixture
def server():
    """A listening socket made the way Streamlit 1.67 makes its own (``socket.socket(family)``)."""
    listener = socket.socket(family=socket.AF_INET)
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    opened = [listener]
    yield listener, opened
    for sock in opened:
        sock.close()


def _connect(listener: socket.socket, opened: list) -> tuple[socket.socket, socket.socket]:
    client = socket.create_connection(listener.getsockname())
    accepted, _ = listener.accept()
    opened += [client, accepted]
    return client, accepted


def test_the_server_sockets_get_nodelay_and_later_connections_inherit_it(server):
    listener, opened = server
    client, before = _connect(listener, opened)
    # What Streamlit's socket gives: Nagle on for what it accepts (the reason for this module).
    assert listener.proto == 0 and _nodelay(before) == 0
    client_option = _nodelay(client)

    assert tcp.disable_nagle() >= 2
    assert _nodelay(listener) == 1
    assert _nodelay(before) == 1  # a connection accepted before the call
    _, after = _connect(listener, opened)
    assert _nodelay(after) == 1  # a connection accepted after: inherited from the listener
    assert _nodelay(client) == client_option  # another local port: not ours to change

    assert tcp.disable_nagle() == 0  # nothing left to change: a second call is harmless


def test_without_a_descriptor_list_nothing_is_done(server, monkeypatch):
    listener, _ = server
    monkeypatch.setattr(tcp, "_FD_FOLDERS", ())
    assert tcp.disable_nagle() == 0
    assert _nodelay(listener) == 0
