"""Benchmark (not a test): time and bytes to update one EPCI through a local mirror of the official hosts.

The mirror (``tests/mirror.py``) serves ``../shared/opendata`` under the official paths on 127.0.0.1
and waits ``--latence`` seconds (default 0.1) before every answer, to stand for a municipal network.
Each EPCI is updated twice in a fresh data directory, through the same mirror address: cold (empty
cache) then warm (raw copies and API answers cached: conditional requests, cache hits). The command
is the real one, ``python -m loaders update``, in a subprocess (import time included).

Run: ``python bench/bench_update.py [--latence 0.1] [--epci 243400017 200054807]`` (prints a Markdown
table to paste into bench/RESULTS.md).

``--pannes EPCI`` instead times the same command against faulty servers, all sources asked, default
settings (4 retries, timeouts 10 s / 60 s, budget ``ECOQPV_UPDATE_BUDGET_S``): 500 everywhere, 429 with a
one-hour ``Retry-After``, every connection reset, refused, unknown name (DNS), a server that never
answers, bodies cut short, and no network at all (every official site refused through a proxy); each
must end in under a minute with exit code 1 and no traceback.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.conftest import OPENDATA  # noqa: E402
from tests.mirror import SERVED_SOURCES, OfficialMirror, serve  # noqa: E402


def run(epci: str, folder: Path, url: str, official: OfficialMirror) -> dict:
    env = {**os.environ, "ECOQPV_DATA_DIR": str(folder), "ECOQPV_RATE_LIMIT": "0", "PYTHONPATH": str(ROOT)}
    requests0, bytes0 = official.requests, official.bytes
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "loaders", "update", "--territoire", f"EPCI:{epci}", "--mirror", url,
                           "--sources", ",".join(SERVED_SOURCES), "--sans-barre"],
                          cwd=ROOT, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if proc.returncode not in (0, 1) or "Traceback" in proc.stderr:
        raise SystemExit(f"échec de la mise à jour EPCI:{epci} :\n{proc.stderr[-2000:]}")
    failures = sum(1 for line in proc.stderr.splitlines() if line.startswith("Erreur : "))
    qpv = proc.stdout.split(" : ", 1)[1].split(" ", 1)[0] if " : " in proc.stdout else "?"
    return {"secondes": seconds, "requetes": official.requests - requests0, "octets": official.bytes - bytes0,
            "qpv": qpv, "echecs": failures}


def _median(results: list[dict]) -> dict:
    out = dict(results[0])
    out["secondes"] = statistics.median(r["secondes"] for r in results)
    return out


def faults(epci: str) -> None:
    """Time ``python -m loaders update --territoire EPCI:<epci>`` (all sources) against each fault kind."""
    import socket

    from tests.online_support import FaultServer

    def closed_port() -> str:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            return f"http://127.0.0.1:{sock.getsockname()[1]}"

    cases = [
        ("erreur 500 partout", ("status", 500, b"Internal Server Error", {}), None),
        ("429, Retry-After 3600 s", ("status", 429, b"", {"Retry-After": "3600"}), None),
        ("connexion coupée (reset)", ("reset",), None),
        ("serveur qui ne répond jamais", ("sleep", 600.0, b""), None),
        ("corps tronqué", ("truncate", b"x" * 100_000, 1000), None),
        ("connexion refusée", None, closed_port()),
        ("nom inconnu (DNS)", None, "http://ecoqpv-miroir.invalid"),
        ("hors ligne (proxy refusé, sans miroir)", None, "proxy"),
    ]
    print(f"Machine : {platform.machine()}, {os.cpu_count()} cœurs, Python {platform.python_version()} ; "
          f"EPCI {epci}, toutes les sources, réglages par défaut.\n")
    print("| panne | durée (s) | code de sortie | traceback | requêtes reçues par le serveur |")
    print("|---|---|---|---|---|")
    for label, action, mirror in cases:
        server = FaultServer(default=action) if action else None
        env = {k: v for k, v in os.environ.items() if not k.upper().endswith("_PROXY")}
        env.update({"ECOQPV_RATE_LIMIT": "0", "PYTHONPATH": str(ROOT)})
        args = [sys.executable, "-m", "loaders", "update", "--territoire", f"EPCI:{epci}", "--sans-barre"]
        if mirror == "proxy":
            env.update({"HTTPS_PROXY": closed_port(), "HTTP_PROXY": closed_port()})
        else:
            args += ["--mirror", server.url if server else mirror]
        with tempfile.TemporaryDirectory() as tmp:
            env["ECOQPV_DATA_DIR"] = str(Path(tmp) / "donnees")
            start = time.perf_counter()
            proc = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True)
            seconds = time.perf_counter() - start
        hits = sum(server.hits.values()) if server else "—"
        if server:
            server.close()
        print(f"| {label} | {seconds:.1f} | {proc.returncode} | {'oui' if 'Traceback' in proc.stderr else 'non'} | "
              f"{hits} |".replace(".", ","))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latence", type=float, default=0.1)
    parser.add_argument("--epci", nargs="+", default=["243400017", "200054807"])
    parser.add_argument("--repetitions", type=int, default=3, help="exécutions (médiane des durées)")
    parser.add_argument("--pannes", metavar="EPCI", default=None,
                        help="mesurer la fin d'une mise à jour face à chaque type de panne (EPCI donné)")
    args = parser.parse_args()
    if args.pannes:
        faults(args.pannes)
        return
    official = OfficialMirror(OPENDATA, latency=args.latence)
    server = serve(official)
    rows = []
    try:
        for epci in args.epci:
            colds, warms = [], []
            for _ in range(args.repetitions):
                with tempfile.TemporaryDirectory() as tmp:
                    folder = Path(tmp) / "donnees"
                    colds.append(run(epci, folder, server.url, official))
                    warms.append(run(epci, folder, server.url, official))
            rows.append((epci, _median(colds), _median(warms)))
    finally:
        server.shutdown()
    print(f"Machine : {platform.machine()}, {os.cpu_count()} cœurs, Python {platform.python_version()} ; "
          f"latence ajoutée {args.latence * 1000:.0f} ms par requête ; médiane de {args.repetitions} exécutions.\n")
    print("| EPCI | QPV | cache | durée (s) | requêtes | octets reçus | sources en échec |")
    print("|---|---|---|---|---|---|---|")
    for epci, cold, warm in rows:
        for label, res in (("froid", cold), ("chaud", warm)):
            print(f"| {epci} | {res['qpv']} | {label} | {res['secondes']:.1f} | {res['requetes']} | "
                  f"{res['octets'] / 1e6:.2f} Mo | {res['echecs']} |".replace(".", ","))


if __name__ == "__main__":
    main()
