"""A local mirror of the official hosts, serving ``../shared/opendata`` under the official paths.

Used by the mirror tests and by ``bench/bench_update.py`` (never by the application). The convention is
the one of ``--mirror``: ``http://127.0.0.1:PORT/<official host>/<official path>?<query>``.

Static files are routed official host + path → local file. The shared copies are not always in the
official *envelope*, so a few routes build the answer the official API would give from the local file:
the data.gouv.fr dataset JSON (resources pointing to date-stamped static URLs), an INSEE publication
page listing its files, the Géoplateforme WFS (filtered by ``CQL_FILTER … IN (…)`` or ``BBOX``), the
geo.api.gouv.fr communes, and the GASPAR archive (the DDRM copy under a dated member name). Anything
else answers 404 — so sources that exist only online fail as they would offline.

``latency`` adds a delay before every answer (benchmark); ``served`` counts requests and bytes.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import re
import threading
import time
import zipfile
from functools import cached_property
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import pandas as pd

QPV_DATASET = "quartiers-prioritaires-de-la-politique-de-la-ville-qpv"
LIST_STATIC = f"/resources/{QPV_DATASET}/20260116-110350/listeqp2024-cog2024.csv"
CONTOURS_STATIC = f"/resources/{QPV_DATASET}/20250115-093000/qp2024_france_hexagonale_outre_mer_wgs84.geojson"

STATIC = {
    ("static.data.gouv.fr", LIST_STATIC): "geo/qpv2024_communes_epci_dep_reg.csv",
    ("static.data.gouv.fr", CONTOURS_STATIC): "geo/qpv2024_france_contours_simplified.geojson",
    ("www.insee.fr", "/fr/statistiques/fichier/3146677/DEMO_2022.csv"): "stats/qpv2015_insee_thematiques/DEMO_2022.csv",
    ("www.insee.fr", "/fr/statistiques/fichier/5359605/REVN_2022.csv"): "stats/qpv2015_insee_thematiques/REVN_2022.csv",
    ("www.insee.fr", "/fr/statistiques/fichier/3646773/IPRO_2022.csv"): "stats/qpv2015_insee_thematiques/IPRO_2022.csv",
    ("www.insee.fr", "/fr/statistiques/fichier/6049692/data_filo19_qp_revdis.csv"):
        "stats/qpv2015_insee_filosofi/data_filo19_qp_revdis.csv",
}
#: INSEE publication pages and the files they link (one page per theme, §10 of data-sources.md).
PAGES = {
    ("www.insee.fr", "/fr/statistiques/3146677"): ["/fr/statistiques/fichier/3146677/DEMO_2022.csv"],
    ("www.insee.fr", "/fr/statistiques/5359605"): ["/fr/statistiques/fichier/5359605/REVN_2022.csv"],
    ("www.insee.fr", "/fr/statistiques/3646773"): ["/fr/statistiques/fichier/3646773/IPRO_2022.csv"],
    ("www.insee.fr", "/fr/statistiques/6049692"): ["/fr/statistiques/fichier/6049692/data_filo19_qp_revdis.csv"],
}
#: Sources the shared folder can serve (the others exist only online).
SERVED_SOURCES = ("qpv2024_liste", "qpv2024_contours", "qpv2015_contours", "communes", "iris_contours",
                  "insee_demo_2022", "insee_revn_2022", "insee_ipro_2022", "insee_filosofi_qpv_2019",
                  "georisques_risques")


class OfficialMirror:
    """Answers for ``/<host>/<path>?<query>`` built from the open-data folder."""

    def __init__(self, opendata: Path, latency: float = 0.0) -> None:
        self.opendata = Path(opendata)
        self.latency = latency
        self.requests = 0
        self.bytes = 0
        self.log: list[str] = []
        self._lock = threading.Lock()

    # --- lazily loaded local data ----------------------------------------------------------------

    @cached_property
    def communes(self) -> pd.DataFrame:
        frame = pd.read_csv(self.opendata / "geo/communes_epci_dep_reg_2025_datafrance.csv", dtype=str)
        return frame[frame["type_com"] == "COM"].set_index("insee_com", drop=False)

    @cached_property
    def commune_shapes(self) -> dict[str, dict]:
        with gzip.open(self.opendata / "geo/communes_2025_datafrance.geojson.gz", "rt", encoding="utf-8") as handle:
            data = json.load(handle)
        return {f["properties"]["insee_com"]: f["geometry"] for f in data["features"]}

    @cached_property
    def qpv2015(self) -> list[dict]:
        """QPV 2015 features of the official archive as the WFS serves them (EPSG:3857): metropolitan
        shapes from the Lambert-93 file, as the bundle reads them, overseas ones from the WGS84 file."""
        from sources.publishers import anct

        folder = self.opendata / "geo/qpv2015_france_anct_shp"
        metro = anct.read_qpv2015_shapefile(folder / "QP_METROPOLE_LB93.shp", crs="EPSG:2154").to_crs(3857)
        world = anct.read_qpv2015_shapefile(folder / "QP_METROPOLEOUTREMER_WGS84_EPSG4326.shp").to_crs(3857)
        frame = pd.concat([metro, world[~world["code_qp"].isin(set(metro["code_qp"]))]], ignore_index=True)
        data = json.loads(frame[["code_qp", "lib_qp", "geometry"]].to_json(drop_id=True))
        return data["features"]

    @cached_property
    def iris(self) -> list[dict]:
        with gzip.open(self.opendata / "geo/iris/iris2020_metropole_from_tiles_z9.geojson.gz", "rt",
                       encoding="utf-8") as handle:
            data = json.load(handle)
        import shapely.geometry

        features = []
        for f in data["features"]:
            props = f["properties"]
            features.append({"type": "Feature",
                             "properties": {"code_iris": props["code_iris"], "code_insee": props["insee_com"],
                                            "nom_iris": props["nom_iris"], "type_iris": props["typ_iris"]},
                             "geometry": f["geometry"],
                             "_bounds": shapely.geometry.shape(f["geometry"]).bounds})
        return features

    # --- routing ---------------------------------------------------------------------------------

    def answer(self, host: str, path: str, query: str) -> tuple[int, dict, bytes]:
        params = {k: v[0] for k, v in parse_qs(query, keep_blank_values=True).items()}
        if (host, path) in STATIC:
            return 200, {"Content-Type": "text/csv"}, (self.opendata / STATIC[(host, path)]).read_bytes()
        if (host, path) in PAGES:
            links = "".join(f'<li><a href="{href}">{Path(href).name}</a></li>' for href in PAGES[(host, path)])
            return 200, {"Content-Type": "text/html; charset=utf-8"}, (
                f"<!DOCTYPE html><html><body><ul>{links}</ul></body></html>").encode()
        if host == "www.data.gouv.fr" and path == f"/api/1/datasets/{QPV_DATASET}/":
            return self._json(self._qpv_dataset())
        if host == "www.data.gouv.fr" and path == "/fr/datasets/r/942d4ee8-8142-4556-8ea1-335537ce1119":
            return 302, {"Location": "https://static.data.gouv.fr" + CONTOURS_STATIC}, b""
        if host == "data.geopf.fr" and path == "/wfs/ows":
            return self._wfs({k.upper(): v for k, v in params.items()})
        if host == "geo.api.gouv.fr" and path == "/communes":
            return self._geoapi(params)
        if host == "files.georisques.fr" and path == "/GASPAR/gaspar.zip":
            return 200, {"Content-Type": "application/zip"}, self._gaspar()
        return 404, {"Content-Type": "text/html"}, b"<!DOCTYPE html><html><body>404 Not Found</body></html>"

    @staticmethod
    def _json(payload: object) -> tuple[int, dict, bytes]:
        return 200, {"Content-Type": "application/json"}, json.dumps(payload).encode("utf-8")

    def _qpv_dataset(self) -> dict:
        data = (self.opendata / STATIC[("static.data.gouv.fr", LIST_STATIC)]).read_bytes()
        return {"id": "5a5f3d1c88ee381d6ad0b5a0", "slug": QPV_DATASET, "license": "lov2",
                "resources": [{"id": "4c6bb7f3-97b6-4834-8a3a-f5f8b3e6735b", "title": "listeqp2024-cog2024.csv",
                               "format": "csv", "type": "main", "filesize": len(data),
                               "url": "https://static.data.gouv.fr" + LIST_STATIC,
                               "latest": "https://www.data.gouv.fr/api/1/datasets/r/4c6bb7f3-97b6-4834-8a3a-f5f8b3e6735b",
                               "checksum": {"type": "sha1", "value": hashlib.sha1(data).hexdigest()},
                               "last_modified": "2026-01-16T11:03:50+00:00"}]}

    def _wfs(self, params: dict) -> tuple[int, dict, bytes]:
        layer = params.get("TYPENAMES") or params.get("TYPENAME") or ""
        start = int(params.get("STARTINDEX", "0") or 0)
        if "qp_decretmodif_2015" in layer:
            wanted = _cql_in(params.get("CQL_FILTER", ""))
            feats = [f for f in self.qpv2015 if not wanted or f["properties"]["code_qp"] in wanted]
            crs = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::3857"}}
            return self._json({"type": "FeatureCollection", "crs": crs, "features": feats[start:]})
        if "contours_iris" in layer:
            wanted = _cql_in(params.get("CQL_FILTER", ""))
            if wanted:
                feats = [f for f in self.iris if f["properties"]["code_insee"] in wanted]
            elif params.get("BBOX"):
                feats = self._bbox(params["BBOX"])
            else:
                feats = self.iris
            clean = [{k: v for k, v in f.items() if k != "_bounds"} for f in feats]
            return self._json({"type": "FeatureCollection", "features": clean[start:]})
        return 400, {"Content-Type": "application/xml"}, b"<ows:ExceptionReport/>"

    def _bbox(self, text: str) -> list[dict]:
        from pyproj import Transformer

        parts = text.split(",")
        x1, y1, x2, y2 = (float(v) for v in parts[:4])
        to_wgs = Transformer.from_crs("EPSG:3857", "EPSG:4326", always_xy=True)
        lon1, lat1 = to_wgs.transform(x1, y1)
        lon2, lat2 = to_wgs.transform(x2, y2)
        return [f for f in self.iris
                if f["_bounds"][0] <= lon2 and f["_bounds"][2] >= lon1 and f["_bounds"][1] <= lat2
                and f["_bounds"][3] >= lat1]

    def _geoapi(self, params: dict) -> tuple[int, dict, bytes]:
        frame = self.communes
        if "codeEpci" in params:
            frame = frame[frame["siren_epci"] == params["codeEpci"]]
        elif "codeDepartement" in params:
            frame = frame[frame["insee_dep"] == params["codeDepartement"]]
        elif "codeRegion" in params:
            frame = frame[frame["insee_reg"] == params["codeRegion"]]
        elif "code" in params:
            frame = frame[frame["insee_com"] == params["code"]]
        fields = params.get("fields", "").split(",")
        records = []
        for row in frame.itertuples():
            pop = float(row.population_municipale) if isinstance(row.population_municipale, str) else None
            rec = {"nom": row.lib_com, "code": row.insee_com, "codeDepartement": row.insee_dep,
                   "departement": {"code": row.insee_dep, "nom": row.lib_dep},
                   "codeRegion": row.insee_reg, "region": {"code": row.insee_reg, "nom": row.lib_reg},
                   "population": int(pop) if pop is not None else None}
            if isinstance(row.siren_epci, str):
                rec["codeEpci"] = row.siren_epci
                rec["epci"] = {"code": row.siren_epci, "nom": row.lib_epci}
            records.append(rec)
        if params.get("format") == "geojson":
            feats = []
            for rec in records:
                geometry = self.commune_shapes.get(rec["code"]) if "contour" in fields else None
                feats.append({"type": "Feature", "properties": rec, "geometry": geometry})
            return self._json({"type": "FeatureCollection", "features": feats})
        return self._json(records)

    def _gaspar(self) -> bytes:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for member, local in (("ddrm_risq_gaspar_2026-10-05.csv", "env/gaspar_ddrm_risques_communes_occitanie_paca.csv"),
                                  ("libelles_risques_gaspar_2026-10-05.csv", "env/gaspar_ddrm_libelles_risques.csv")):
                info = zipfile.ZipInfo(member, date_time=(2026, 10, 5, 6, 0, 0))  # same bytes every time
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, (self.opendata / local).read_bytes())
        return buffer.getvalue()


def _cql_in(text: str) -> set[str]:
    match = re.search(r"IN\s*\((.*)\)", unquote(text or ""), flags=re.I)
    return {v.strip().strip("'") for v in match.group(1).split(",")} if match else set()


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address) -> None:  # noqa: ANN001 - clients may hang up
        pass


def serve(mirror: OfficialMirror) -> ThreadingHTTPServer:
    """Start a threaded HTTP server on 127.0.0.1 (free port) for ``mirror``; ``server.url`` is its base."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802 - http.server naming
            parts = urlsplit(self.path)
            segments = parts.path.lstrip("/").split("/", 1)
            host, path = segments[0], "/" + (segments[1] if len(segments) > 1 else "")
            if mirror.latency:
                time.sleep(mirror.latency)
            try:
                status, headers, body = mirror.answer(host, path, parts.query)
            except Exception as exc:  # noqa: BLE001 - a bug in the mirror is a 500, like a real server
                status, headers, body = 500, {"Content-Type": "text/plain"}, repr(exc).encode()
            if status == 200 and host not in ("geo.api.gouv.fr", "data.geopf.fr"):
                # Static files carry an ETag, as on the official hosts: a warm cache asks conditionally.
                etag = '"' + hashlib.sha1(body).hexdigest() + '"'
                headers = {**headers, "ETag": etag}
                if self.headers.get("If-None-Match") == etag:
                    status, body = 304, b""
            with mirror._lock:
                mirror.requests += 1
                mirror.bytes += len(body)
                mirror.log.append(f"{status} {host}{path}")
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:  # silence
            pass

    server = _QuietServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    server.url = f"http://127.0.0.1:{server.server_port}"  # type: ignore[attr-defined]
    return server
