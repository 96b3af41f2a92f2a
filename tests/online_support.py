"""Helpers shared by the tests of the online loaders (never touch a real host).

* ``use_data_dir(monkeypatch, path)`` points every setting of the HTTP layer at a temporary data dir,
  with short timeouts, tiny backoffs and no rate limiting, and resets the shared session;
* ``context(key)`` builds the fetch context of a territory of the committed bundle;
* ``FaultServer`` is a threaded HTTP server on 127.0.0.1 whose answers per path are scripted (status,
  body, delay, connection reset, truncated body, slow stream) — to exercise the real urllib3 retries;
  it also plays the hostile mirror of ``tests/test_hostile_mirror.py`` (``json_answer``, ``redirect``);
* ``listing(folder)`` lists every entry under a folder (files, folders, links), to prove that nothing
  appeared outside the data folder; ``contours_zip()`` is a small QPV 2024 contours archive.
"""

from __future__ import annotations

from sources import fetching

import os
import socket
import struct
import threading
import time
from collections.abc import Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import settings
from sources import http

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "online"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def use_data_dir(monkeypatch, path: Path, *, retries: int = 2, timeout: float = 2.0) -> Path:
    path = Path(path)
    monkeypatch.setattr(settings, "DATA_DIR", path)
    monkeypatch.setattr(settings, "RATE_LIMIT", False)
    monkeypatch.setattr(settings, "HTTP_RETRIES", retries)
    monkeypatch.setattr(settings, "HTTP_BACKOFF", 0.01)
    monkeypatch.setattr(settings, "HTTP_READ_TIMEOUT", timeout)
    monkeypatch.setattr(settings, "HTTP_CONNECT_TIMEOUT", timeout)
    monkeypatch.setattr(settings, "HTTP_RETRY_AFTER_MAX", 5.0)
    monkeypatch.setattr(settings, "MIRROR", None)
    http.reset()
    return path


def env_for(path: Path) -> dict[str, str]:
    """Environment of a subprocess using ``path`` as data dir, with fast HTTP settings (few retries, short
    backoff). The read timeout leaves room for the local mirror cutting national files under a loaded machine
    (two test processes): 5 s was once too short for the IRIS WFS answer; failure tests use their own servers."""
    import os

    return {**os.environ, "ECOQPV_DATA_DIR": str(path), "ECOQPV_RATE_LIMIT": "0", "ECOQPV_HTTP_RETRIES": "2",
            "ECOQPV_HTTP_BACKOFF": "0.01", "ECOQPV_HTTP_TIMEOUT": "30", "ECOQPV_HTTP_CONNECT_TIMEOUT": "5",
            "PYTHONPATH": str(Path(__file__).resolve().parents[1])}


def context(key: str, **overrides):
    from geodata import territories
    from loaders import update

    territory = territories.resolve_key(key)
    facts = update.territory_facts(territory)
    facts.update(overrides)
    return fetching.Context(key=f"{territory.kind}-{territory.code}", kind=territory.kind, code=territory.code,
                         label=territory.label, mirror=None, **facts)


def listing(folder: Path) -> set[str]:
    """Every entry under ``folder`` (relative paths, folders and symlinks included, links not followed)."""
    folder = Path(folder)
    found = set()
    for parent, dirs, files in os.walk(folder):
        for name in dirs + files:
            found.add(str((Path(parent) / name).relative_to(folder)))
    return found


def json_answer(payload: object) -> tuple:
    """A ``FaultServer`` action answering ``payload`` as JSON."""
    import json

    return ("ok", json.dumps(payload).encode("utf-8"), {"Content-Type": "application/json"})


def redirect(location: str, status: int = 302) -> tuple:
    """A ``FaultServer`` action redirecting to ``location`` (any text: the client must judge it)."""
    return ("status", status, b"", {"Location": location})


def contours_zip(codes: tuple[tuple[str, float], ...] = (("QN03405M", 3.8195), ("QN03406I", 3.85))) -> bytes:
    """A QPV 2024 contours archive in the official layout (``GEOJSON/…WGS84.geojson``), small boxes."""
    import io
    import json
    import zipfile

    import shapely

    features = [{"type": "Feature", "properties": {"code_qp": code, "lib_qp": code, "insee_com": "34172"},
                 "geometry": shapely.geometry.mapping(shapely.box(lon - .004, 43.60, lon + .004, 43.607))}
                for code, lon in codes]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("GEOJSON/QP2024_France_Hexagonale_Outre_Mer_WGS84.geojson",
                         json.dumps({"type": "FeatureCollection", "features": features}))
    return buffer.getvalue()


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (relative path → bytes), to check that nothing changed."""
    folder = Path(folder)
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


class _QuietServer(ThreadingHTTPServer):
    """A client giving up (timeout, killed process) must not print a server-side traceback."""

    def handle_error(self, request, client_address) -> None:  # noqa: ANN001
        pass


class FaultServer:
    """Scripted answers per path: each path has a list of actions, consumed in order (the last repeats);
    a path without a route gets ``default`` (a 404 page unless told otherwise). ``hits`` counts requests.

    Actions: ``("ok", body, headers)``, ``("status", code, body, headers)``, ``("sleep", seconds, body)``,
    ``("reset",)``, ``("truncate", body, n_bytes_sent)``, ``("slow", body, chunk, delay)``.
    """

    def __init__(self, default: tuple | None = None) -> None:
        #: The answer of a path without a route (a 404 page unless told otherwise, e.g. 500 everywhere).
        self.default = default or ("status", 404, b"<!DOCTYPE html><html>404</html>", {})
        self.routes: dict[str, list[tuple]] = {}
        self.hits: dict[str, int] = {}
        self.sent: dict[str, int] = {}
        self.started = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802
                path = self.path.split("?", 1)[0]
                outer.hits[path] = outer.hits.get(path, 0) + 1
                actions = outer.routes.get(path) or [outer.default]
                action = actions[min(outer.hits[path] - 1, len(actions) - 1)]
                outer._play(self, path, action)

            def log_message(self, *args) -> None:
                pass

        self.server = _QuietServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}"

    def route(self, path: str, *actions: tuple) -> None:
        self.routes[path] = list(actions)
        self.hits.pop(path, None)

    def _play(self, handler: BaseHTTPRequestHandler, path: str, action: tuple) -> None:
        kind = action[0]
        if kind == "reset":
            # Abort the TCP connection without an answer (RST): "connection reset by peer".
            handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            handler.connection.close()
            handler.close_connection = True
            return
        if kind == "sleep":
            time.sleep(action[1])
            kind, action = "ok", ("ok", action[2], {})
        if kind in ("ok", "status"):
            code, body, headers = (200, action[1], action[2] if len(action) > 2 else {}) if kind == "ok" else \
                (action[1], action[2], action[3] if len(action) > 3 else {})
            handler.send_response(code)
            for key, value in headers.items():
                handler.send_header(key, value)
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            handler.wfile.write(body)
            return
        if kind == "truncate":
            body, cut = action[1], action[2]
            handler.send_response(200)
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            handler.wfile.write(body[:cut])
            handler.wfile.flush()
            handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            handler.connection.close()
            handler.close_connection = True
            return
        if kind == "slow":
            body, chunk, delay = action[1], action[2], action[3]
            handler.send_response(200)
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            try:
                for i in range(0, len(body), chunk):
                    handler.wfile.write(body[i:i + chunk])
                    handler.wfile.flush()
                    self.sent[path] = self.sent.get(path, 0) + len(body[i:i + chunk])
                    self.started.set()
                    time.sleep(delay)
            except (BrokenPipeError, ConnectionResetError):
                pass
            return
        raise ValueError(kind)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def paths(*items: Iterable[str]) -> list[str]:
    return [p for group in items for p in group]
