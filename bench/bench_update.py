"""Benchmark (not a test): time and bytes to update one EPCI through a local mirror of the official hosts.

The mirror (``tests/mirror.py``) serves ``../shared/opendata`` under the official paths on 127.0.0.1
and waits ``--latence`` seconds (default 0.1) before every answer, to stand for a municipal network.
Each EPCI is updated twice in a fresh data directory, through the same mirror address: cold (empty
cache) then warm (raw copies and API answers cached: conditional requests, cache hits). The command
is the real one, ``python -m loaders update``, in a subprocess (import time included).

Run: ``python bench/bench_update.py [--latence 0.1] [--epci 243400017 200054807]`` (prints a Markdown
table to paste into bench/RESULTS.md).
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latence", type=float, default=0.1)
    parser.add_argument("--epci", nargs="+", default=["243400017", "200054807"])
    parser.add_argument("--repetitions", type=int, default=3, help="exécutions (médiane des durées)")
    args = parser.parse_args()
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
