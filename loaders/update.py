"""Online update of one territory: fetch its sources, then rebuild its ``primary/`` folder.

``update_territory(territory, mirror=None, sources=None, progress=None)`` is the single entry point of
``python -m loaders update`` and of the app's Données page:

1. the territory is resolved (unknown → ``UnknownTerritoryError`` with close matches);
2. each online source of ``sources.registry`` is fetched through ``sources.http`` into the raw cache
   (``settings.raw_dir()``), checked by its parser *before* it replaces the last good copy; a source that
   fails keeps its previous good copy (if any) and is reported with a French message;
3. the raw files are staged under the relative paths of the open-data folder and the **bundle pipeline**
   (``loaders.bundle.registry_from`` / ``build_values`` …, fed by ``loaders.inputs.TerritoryInputs``) is
   run for the territory's QPV only; national references without a per-territory API (DRIAS grid, IRIS
   statistics, LCZ of nine cities) come from the tables embedded in the bundle;
4. indicators that no fetched source could compute keep the values already loaded (bundle or previous
   update); the folder ``DATA_DIR/primary/<KIND>-<CODE>/`` is written atomically, ``manifest.json``
   last, and ``sources.store`` overlays it on the bundle.

``progress(source_key, done_bytes, total_bytes | None, message)`` is called while sources download.

Before anything else the mirror is checked (``http.check_mirror``: a bad value is a
``BadArgumentError``, exit code 2) and what killed processes left in the data folder is removed
(``core.paths.clean_leftovers``). Every path written is built by ``core.paths.safe_path``; a disk full
while writing is a French message (« espace disque insuffisant dans … »), the last good copy kept.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import pandas as pd

import settings
from core import paths
from core.checksums import sha256_file
from core.territory_kinds import code_column
from core.errors import StorageError, UnsafePathError
from geodata import territories
from geodata.territories import Territory
from loaders import bundle, online_values
from loaders.values import build_values, keep_loaded, override
from sources import fetching, http, store
from sources.publishers import anct
from core.errors import BadArgumentError, EcoqpvError, SourceError
from loaders.folders import write_folder
from loaders.inputs import TerritoryInputs
from loaders.update_report import FAILED, STATUS_LABELS, SourceOutcome, UpdateReport, calibration_check
from sources.registry import SOURCES, Source, online_sources, select

Progress = Callable[[str, int, "int | None", str], None]

__all__ = ["FAILED", "STATUS_LABELS", "SourceOutcome", "UpdateReport", "build_territory", "update_territory"]


# ---------------------------------------------------------------------------------------------------
# Previous good copies (per territory and source)
# ---------------------------------------------------------------------------------------------------


def _index_path(key: str) -> Path:
    return paths.safe_path(settings.raw_dir(), "territoires", key, "index.json")


def _read_index(key: str) -> dict:
    path = _index_path(key)
    if not path.is_file():
        return {}
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _write_index(key: str, index: dict) -> None:
    path = _index_path(key)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise paths.storage_error(exc, path.parent, "l'index des copies précédentes n'a pas été modifié.") from exc
    http.write_atomic(path, (json.dumps(index, ensure_ascii=False, indent=1) + "\n").encode("utf-8"),
                      what="l'index des copies précédentes n'a pas été modifié.")


def _previous(index: dict, source_key: str) -> dict | None:
    """The last good files of a source for this territory, if they are still there and intact."""
    entry = index.get(source_key)
    if not entry:
        return None
    for stage, raw in entry.get("fichiers", {}).items():
        path = Path(raw)
        if not path.is_file() or sha256_file(path) != entry.get("sha256", {}).get(stage):
            return None
    return entry


# ---------------------------------------------------------------------------------------------------
# The update
# ---------------------------------------------------------------------------------------------------


def territory_facts(territory: Territory) -> dict:
    """What an update of ``territory`` needs from the store: its own communes, its QPV codes by generation, the
    communes those QPV touch, and the bundle's communes and contours (public: the recorded-HTTP tests build the
    same facts to call the source fetchers one by one)."""
    communes = store.table("communes")
    codes = territories.qpv_codes(territory)
    registry = store.table("qpv").set_index("code_qp")
    links = store.table("qpv_communes")
    if territory.kind == "QPV":
        own = sorted(set(links.loc[links["code_qp"] == territory.code, "insee_com"]))
    else:
        own = sorted(set(communes.loc[(communes[code_column(territory.kind)] == territory.code) & (communes["type_com"] == "COM"),
                                      "insee_com"]) | ({territory.code} if territory.kind == "COM" else set()))
    qpv_communes = sorted(set(links.loc[links["code_qp"].isin(codes), "insee_com"]))
    gen = registry["generation"].reindex(codes)
    return {
        "communes": own,
        "qpv15": [c for c in codes if gen.get(c) == 2015],
        "qpv24": [c for c in codes if gen.get(c) == 2024],
        "qpv_communes": qpv_communes,
        "base_communes": communes,
        "base_contours": store.table("qpv_contours"),
    }


def _check_writable() -> None:
    try:
        Path(settings.DATA_DIR).mkdir(parents=True, exist_ok=True)
        handle, probe = tempfile.mkstemp(dir=settings.DATA_DIR, prefix=paths.temp_prefix("ecriture"))
        os.close(handle)
        Path(probe).unlink()
    except OSError as exc:
        raise EcoqpvError(f"Le dossier de données {settings.DATA_DIR} n'est pas accessible en écriture "
                          f"({paths.describe_os_error(exc, settings.DATA_DIR)}). Libérez de la place ou choisissez "
                          "un autre dossier avec la variable ECOQPV_DATA_DIR.") from exc


def update_territory(territory: Territory | str, *, mirror: str | None = None, sources: list[str] | None = None,
                     progress: Progress | None = None, log: Callable[[str], None] | None = None,
                     budget: float | None = None) -> UpdateReport:
    """Fetch the sources of ``territory`` and rebuild its ``primary/`` folder; never raises for a source
    failure (see ``UpdateReport.failed``), only for bad arguments or an unusable data directory.

    ``budget``: seconds the fetching may take (default ``settings.UPDATE_BUDGET_S``; 0: no limit). Once
    spent, the running source stops and the next ones are not tried ("non tentée : délai maximal
    atteint"), keeping their previous good copies; hosts found down are not asked again (``http``).
    """
    started = time.monotonic()
    budget = settings.UPDATE_BUDGET_S if budget is None else budget
    if budget < 0:
        raise BadArgumentError(f"Délai maximal refusé : {budget} s (un nombre de secondes positif est attendu, "
                               "0 pour aucune limite).")
    mirror = http.check_mirror(mirror or settings.MIRROR)  # a bad mirror stops here, before any request
    if isinstance(territory, str):
        territory = territories.resolve_key(territory)
    if territory.kind == territories.COUNTRY:
        raise BadArgumentError("La mise à jour en ligne se fait pour un territoire à la fois (région, département, "
                               "EPCI, commune ou quartier) : « FR » (toute la France) n'est pas accepté.")
    chosen = {s.key for s in select(sources)}
    _check_writable()
    paths.clean_leftovers(settings.DATA_DIR)
    http.forget_unreachable()
    key = f"{territory.kind}-{territory.code}"
    try:
        paths.safe_path(settings.DATA_DIR, "primary", key)
    except UnsafePathError as exc:
        raise BadArgumentError(f"Territoire {territory.key} : nom de dossier refusé ({exc.problem}).") from exc
    facts = territory_facts(territory)
    report = UpdateReport(territory.key, territory.label, budget=budget or None, mirror=mirror)
    current = {"source": None}

    def emit(done: int, total: int | None, message: str) -> None:
        if progress is not None and current["source"] is not None:
            progress(current["source"], done, total, message)

    ctx = fetching.Context(key=key, kind=territory.kind, code=territory.code, label=territory.label, mirror=mirror,
                       report=emit, **facts)
    index = _read_index(key)
    staged: dict[str, Path] = {}
    http.begin_run(budget or None)
    try:
        _fetch_all(ctx, chosen, index, staged, report, progress, current)
    finally:
        report.offline = http.is_offline()
        report.sent = http.requests_sent()
        http.end_run()
    report.notes.extend(dict.fromkeys(ctx.notes))
    for src in SOURCES.values():
        if not src.online:
            report.outcomes.append(SourceOutcome(src.key, src.label, "embarque", message=src.refresh))

    report.qpv = len(set(ctx.qpv15) | set(ctx.qpv24))
    if staged:
        try:
            report.folder = build_territory(ctx, territory, staged, report, log=log or (lambda *_: None))
            report.built = True
        except (SourceError, EcoqpvError) as exc:
            report.build_error = str(exc)
        except Exception as exc:  # noqa: BLE001 - the previous folder is kept, say why in French
            detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
            report.build_error = f"erreur inattendue ({detail}) ; le tableau précédent est conservé."
    report.seconds = time.monotonic() - started
    _write_report(ctx.key, report)
    return report


def _fetch_all(ctx: fetching.Context, chosen: set[str], index: dict, staged: dict[str, Path], report: UpdateReport,
               progress: Progress | None, current: dict) -> None:
    """Fetch the chosen online sources in registry order, within the run's budget."""
    key = ctx.key
    for src in online_sources():
        if src.key not in chosen:
            previous = _previous(index, src.key)
            if previous:
                staged.update({k: Path(v) for k, v in previous["fichiers"].items()})
                report.outcomes.append(SourceOutcome(src.key, src.label, "non_demande", previous.get("millesime"),
                                                     files=previous.get("sha256", {})))
                _after_stage(ctx, src, staged)
            continue
        if http.exhausted():  # the budget is spent: the remaining sources are not tried
            outcome = _failed(src, f"Source « {src.label} » : non tentée : délai maximal atteint "
                                   f"({_seconds(report.budget)} s).", index, staged, status="non_tentee")
            report.outcomes.append(outcome)
            _after_stage(ctx, src, staged)
            if progress is not None:
                progress(src.key, 0, None, STATUS_LABELS[outcome.status])
            continue
        current["source"] = src.key
        if progress is not None:
            progress(src.key, 0, None, "début")
        before_bytes, before_requests, t0 = ctx.nbytes, ctx.nrequests, time.monotonic()
        ctx.begin()
        try:
            got = src.fetch(ctx, src)
        except (SourceError, EcoqpvError) as exc:
            outcome = _failed(src, str(exc), index, staged)
        except Exception as exc:  # noqa: BLE001 - a parser bug must not stop the other sources
            detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
            outcome = _failed(src, f"Source « {src.label} » : erreur inattendue pendant la lecture ({detail}).",
                              index, staged)
        else:
            status = "sans_objet" if not got.files else ("inchange" if got.reused else "mis_a_jour")
            outcome = SourceOutcome(src.key, src.label, status, got.vintage, "; ".join(got.notes))
            if got.files:
                staged.update(got.files)
                entry = {"fichiers": {k: str(v) for k, v in got.files.items()},
                         "sha256": {k: sha256_file(v) for k, v in got.files.items()},
                         "millesime": got.vintage,
                         "date": dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()}
                same = index.get(src.key, {})
                if same.get("fichiers") != entry["fichiers"] or same.get("sha256") != entry["sha256"]:
                    index[src.key] = entry
                    try:
                        _write_index(key, index)
                    except StorageError as exc:  # the files are there; the next run cannot reuse them
                        outcome.message = "; ".join(filter(None, [outcome.message, str(exc)]))
                outcome.files = entry["sha256"]
        outcome.nbytes = ctx.nbytes - before_bytes
        outcome.requests = ctx.nrequests - before_requests
        outcome.seconds = time.monotonic() - t0
        report.outcomes.append(outcome)
        _after_stage(ctx, src, staged)
        if progress is not None:
            progress(src.key, outcome.nbytes, outcome.nbytes or None, STATUS_LABELS[outcome.status])
        current["source"] = None


def _seconds(value: float | None) -> str:
    return f"{value or 0:g}".replace(".", ",")


def _failed(src: Source, message: str, index: dict, staged: dict[str, Path], status: str | None = None) -> SourceOutcome:
    """A source that failed (or was not tried): its previous good copy, if any, is staged again."""
    previous = _previous(index, src.key)
    if previous:
        staged.update({k: Path(v) for k, v in previous["fichiers"].items()})
        return SourceOutcome(src.key, src.label, status or "copie_precedente", previous.get("millesime"), message,
                             files=previous.get("sha256", {}))
    return SourceOutcome(src.key, src.label, status or "echec", None, message)


def _write_report(key: str, report: UpdateReport) -> None:
    """The report in French next to the territory's tables (``primary/<KIND>-<CODE>/rapport.md``) when this
    update rebuilt them: the file always describes the tables beside it (a run that rebuilt nothing leaves
    the previous folder, and its report, as they were)."""
    folder = paths.safe_path(settings.DATA_DIR, "primary", key)
    if not report.built or not (folder / "manifest.json").is_file():
        return
    try:
        http.write_atomic(folder / "rapport.md", report.markdown().encode("utf-8"),
                          what="le rapport de la mise à jour n'a pas été écrit.")
    except StorageError as exc:
        report.notes.append(str(exc))


def _after_stage(ctx: fetching.Context, src: Source, staged: dict[str, Path]) -> None:
    """What the following sources need to know from this one (``Source.after_stage``: new QPV, contours,
    IRIS); a copy that cannot be read teaches nothing, the source's own outcome already says why."""
    if src.after_stage is None:
        return
    try:
        src.after_stage(ctx, src, staged)
    except (SourceError, OSError, ValueError):
        pass


# ---------------------------------------------------------------------------------------------------
# Rebuilding the territory with the bundle pipeline
# ---------------------------------------------------------------------------------------------------


def _stage(staged: dict[str, Path], folder: Path) -> None:
    for relative, raw in staged.items():
        target = paths.safe_path(folder, relative)
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.symlink(Path(raw).resolve(), target)
        except OSError:
            shutil.copyfile(raw, target)


def _base_long(generation: int, codes: set[str]) -> pd.DataFrame:
    """``code_qp, lib_qp, insee_com`` of already loaded QPV (bundle or previous update)."""
    links = store.table("qpv_communes")
    links = links[(links["generation"] == generation) & links["code_qp"].isin(codes)]
    labels = store.table("qpv").set_index("code_qp")["lib_qp"]
    return pd.DataFrame({"code_qp": links["code_qp"].to_numpy(), "lib_qp": links["code_qp"].map(labels).to_numpy(),
                         "insee_com": links["insee_com"].to_numpy()})


def _territory_communes(territory: Territory, communes: pd.DataFrame, links: pd.DataFrame) -> set[str]:
    if territory.kind == "QPV":
        return set(links.loc[links["code_qp"] == territory.code, "insee_com"])
    if territory.kind == "COM":
        return {territory.code}
    return set(communes.loc[communes[code_column(territory.kind)] == territory.code, "insee_com"])


def build_territory(ctx: fetching.Context, territory: Territory, staged: dict[str, Path], report: UpdateReport,
                    log: Callable[[str], None]) -> Path:
    """Run the bundle pipeline on the staged files for the territory's QPV; write its folder atomically."""
    folder = paths.safe_path(settings.DATA_DIR, "primary", ctx.key)
    kept = "le tableau précédent du territoire est conservé."
    try:
        staging = Path(tempfile.mkdtemp(prefix=paths.temp_prefix("staging") + f"{ctx.key}-", dir=settings.DATA_DIR))
    except OSError as exc:
        raise paths.storage_error(exc, settings.DATA_DIR, kept) from exc
    try:
        try:
            _stage(staged, staging)
        except OSError as exc:
            raise paths.storage_error(exc, staging.parent, kept) from exc
        tables, counts = _tables(ctx, territory, staging, log)
        report.calibration = calibration_check(store.table("valeurs", folder=store.bundle_dir()), tables["valeurs"],
                                               online_values.OFFICIAL_2024_DETAILS)
        sources = [o.as_dict() for o in report.outcomes]

        def manifest(outputs: list[dict]) -> dict:
            return {
                "format": bundle.BUNDLE_FORMAT,
                "territoire": territory.key,
                "libelle": territory.label,
                "construit_le": dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat(),
                "commande": f"python -m loaders update --territoire {territory.key}",
                "miroir": ctx.mirror,
                "comptes": counts,
                "sources": sources,
                "verification_estimations": report.calibration,
                "jeu_embarque": store.manifest().get("construit_le"),
                "sorties": outputs,
            }

        write_folder(folder, tables, manifest)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return folder


def _tables(ctx: fetching.Context, territory: Territory, staging: Path, log) -> tuple[dict, dict]:

    inputs = TerritoryInputs(staging, store.bundle_dir())
    parent = ctx.parent_of()
    # Communes: the ones fetched replace those already known (same key).
    communes_all = store.table("communes")
    if inputs.has("communes"):
        fresh = bundle.build_communes(staging)
        known = communes_all.set_index("insee_com")
        for column in ("nature_epci",):
            if column in known.columns:
                fresh[column] = fresh["insee_com"].map(known[column])
        fresh = fresh.reindex(columns=communes_all.columns)
        communes_all = pd.concat([communes_all[~communes_all["insee_com"].isin(fresh["insee_com"])], fresh],
                                 ignore_index=True)
    # Registry: QPV 2024 from the fetched list (else as loaded), QPV 2015 as loaded (frozen geography).
    base_links = store.table("qpv_communes")
    inside = _territory_communes(territory, communes_all, base_links)
    codes24 = set(ctx.qpv24)
    if inputs.has("qpv2024_list"):
        fresh24 = anct.read_qpv2024_list(inputs.path("qpv2024_list"), name=SOURCES["qpv2024_liste"].label)
        fresh24 = fresh24[~fresh24["code_qp"].isin(anct.other_mayotte_generation(  # never joined (§2.1)
            fresh24["code_qp"], store.table("qpv_contours")["code_qp"]))]
        fresh24 = fresh24[["code_qp", "lib_qp", "insee_com"]].copy()
        fresh24["insee_com"] = fresh24["insee_com"].map(lambda c: parent.get(c, c))
        fresh24 = fresh24.drop_duplicates(["code_qp", "insee_com"])
        if territory.kind == "QPV":
            codes24 |= {territory.code} & set(fresh24["code_qp"])
        else:
            codes24 |= set(fresh24.loc[fresh24["insee_com"].isin(inside), "code_qp"])
        q24 = fresh24[fresh24["code_qp"].isin(codes24)]
        q24 = pd.concat([q24, _base_long(2024, codes24 - set(q24["code_qp"]))], ignore_index=True)
    else:
        q24 = _base_long(2024, codes24)
    q15 = _base_long(2015, set(ctx.qpv15))
    known = store.table("qpv").set_index("code_qp")  # what the COG table lacks (overseas collectivities)
    registry, links = bundle.registry_from(q24, q15, communes_all,
                                           known[["insee_dep", "lib_dep", "insee_reg", "lib_reg"]])
    codes = registry["code_qp"].tolist()
    log(f"Registre du territoire : {len(registry)} QPV.")

    # Contours: fetched ones first, else those already loaded.
    parts = []
    if inputs.has("qpv2024_france"):
        parts.append(anct.read_qpv2024_contours(inputs.path("qpv2024_france"),
                                                name=SOURCES["qpv2024_contours"].label, codes=codes24))
    staged15 = staging / SOURCES["qpv2015_contours"].stage[0]  # WFS answer (the offline copy is a shapefile)
    if staged15.is_file():
        c15 = anct.read_qpv2015_contours(staged15, name=SOURCES["qpv2015_contours"].label)
        parts.append(c15[c15["code_qp"].isin(set(ctx.qpv15))])
    have = set().union(*(set(p["code_qp"]) for p in parts)) if parts else set()
    base_contours = store.table("qpv_contours")
    parts.append(base_contours[base_contours["code_qp"].isin(set(codes) - have)])
    parts = [p for p in parts if not p.empty]
    if parts:
        qpv_contours = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), geometry="geometry", crs="EPSG:4326")
    else:
        qpv_contours = base_contours.iloc[0:0]
    qpv_contours = qpv_contours[qpv_contours["code_qp"].isin(set(codes))].reset_index(drop=True)
    registry["a_contour"] = registry["code_qp"].isin(qpv_contours["code_qp"])

    # Communes and their outlines (map background).
    wanted = inside | set(links["insee_com"])
    communes_out = communes_all[communes_all["insee_com"].isin(wanted)].reset_index(drop=True)
    outlines = None
    if inputs.has("communes_geo"):
        frame = gpd.read_file(f"/vsigzip/{inputs.path('communes_geo')}")
        frame = frame[(frame["type_com"] == "COM") & frame["insee_com"].isin(wanted)]
        if not frame.empty:
            outlines = bundle.simplify_outlines(frame.set_crs("EPSG:4326", allow_override=frame.crs is None))
    if outlines is None:
        base_outlines = store.table("communes_contours")
        outlines = base_outlines[base_outlines["insee_com"].isin(wanted)].reset_index(drop=True)

    # Values: the bundle's rules, then the online-only ones, then what was already loaded.
    values = build_values(inputs, registry, links, qpv_contours, log=log)
    online = online_values.online_rows(staging, registry, links, qpv_contours,
                                        inputs.iris_zones() if not qpv_contours.empty else None, parent)
    values = override(values, online)
    values = keep_loaded(values, store.table("valeurs"))

    tables: dict[str, pd.DataFrame] = {"qpv": registry, "qpv_communes": links}
    if not qpv_contours.empty:
        tables["qpv_contours"] = qpv_contours
    tables["communes"] = communes_out
    if not outlines.empty:
        tables["communes_contours"] = outlines
    tables["valeurs"] = values
    refs = online_values.references(staging, communes_all)
    if refs is not None:
        tables["references"] = refs
    tables.update(online_values.extra_tables(staging, codes))
    counts = {
        "qpv_2024": int((registry["generation"] == 2024).sum()),
        "qpv_2015": int((registry["generation"] == 2015).sum()),
        "contours": int(len(qpv_contours)),
        "valeurs": int(values["valeur"].notna().sum()),
        "manquantes": int(values["valeur"].isna().sum()),
    }
    return tables, counts


