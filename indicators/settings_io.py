"""Method settings as a small French JSON file, so that an annex can cite how scores were computed.

One format for the whole tool (Méthode page export/import, ``python -m reports annexe --methode``)::

    {"poids_domaines": {"chaleur": 2, "pauvrete_revenus": 1},
     "normalisation": "percentile", "agregation": "arithmetique", "cadre": "generation"}

English keys (``domain_weights``, ``aggregation``, ``frame``, ``draws``, ``seed``) are accepted as
aliases; ``tirages`` and ``graine`` are optional. Reading validates everything and raises a French
``BadArgumentError`` naming the problem: a malformed file never falls back silently to defaults.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from indicators.scores import AGGREGATIONS, NORMALISATIONS, Method
from loaders.errors import BadArgumentError

FRAMES = ("generation", "region")
MAX_DRAWS = 10_000
EXAMPLE = '{"poids_domaines": {"chaleur": 2}, "cadre": "generation"}'

#: Accepted keys (French first) → canonical name.
_KEYS = {
    "poids_domaines": "weights", "domain_weights": "weights",
    "normalisation": "normalisation",
    "agregation": "aggregation", "aggregation": "aggregation",
    "cadre": "frame", "frame": "frame",
    "tirages": "draws", "draws": "draws",
    "graine": "seed", "seed": "seed",
}


def weighted_domains() -> list[str]:
    """Domains that carry a weight: those with at least one scored indicator."""
    from indicators import catalogue

    return list(dict.fromkeys(catalogue.get(i).domain for i in catalogue.scored_ids()))


def _pillars() -> dict[str, str]:
    from indicators import catalogue

    return catalogue.domain_pillars()


def _plain(weight: float) -> float | int:
    """``2.0`` → ``2`` so that the written file reads as a person would type it."""
    return int(weight) if float(weight).is_integer() else weight


def to_dict(method: Method, frame: str = "generation") -> dict:
    data: dict = {
        "poids_domaines": {d: _plain(float(method.domain_weights.get(d, 1.0))) for d in weighted_domains()},
        "normalisation": method.normalisation,
        "agregation": method.aggregation,
        "cadre": frame,
    }
    if method.draws != Method().draws:
        data["tirages"] = method.draws
    if method.seed != Method().seed:
        data["graine"] = method.seed
    return data


def to_json(method: Method, frame: str = "generation") -> str:
    return json.dumps(to_dict(method, frame), ensure_ascii=False, indent=2) + "\n"


def _number(value: object, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(float(value)):
        raise BadArgumentError(f"{what} : un nombre est attendu (reçu : {json.dumps(value, ensure_ascii=False)}).")
    return float(value)


def _integer(value: object, what: str, low: int, high: int) -> int:
    number = _number(value, what)
    if number != int(number) or not low <= number <= high:
        raise BadArgumentError(f"{what} : un entier entre {low} et {high} est attendu (reçu : {value}).")
    return int(number)


def _choice(value: object, what: str, allowed: tuple[str, ...] | list[str]) -> str:
    if not isinstance(value, str) or value not in allowed:
        shown = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        raise BadArgumentError(f"{what} : valeur « {shown} » inconnue ; choisir parmi {', '.join(allowed)}.")
    return value


def from_dict(data: object) -> tuple[Method, str]:
    """Validated ``(Method, frame)`` from already-parsed JSON."""
    if not isinstance(data, dict):
        raise BadArgumentError("Le fichier de réglages doit contenir un objet JSON (entre accolades), par "
                               f"exemple {EXAMPLE}.")
    unknown = sorted(k for k in data if k not in _KEYS)
    if unknown:
        raise BadArgumentError(f"Réglage(s) inconnu(s) : {', '.join(unknown)}. Réglages possibles : "
                               "poids_domaines, normalisation, agregation, cadre, tirages, graine.")
    values = {_KEYS[k]: v for k, v in data.items()}
    kwargs: dict = {}
    domains = weighted_domains()
    if "weights" in values:
        weights = values["weights"]
        if not isinstance(weights, dict):
            raise BadArgumentError("poids_domaines : un objet {domaine: poids} est attendu.")
        unknown_domains = sorted(str(d) for d in weights if d not in domains)
        if unknown_domains:
            raise BadArgumentError(f"Domaine(s) inconnu(s) dans poids_domaines : {', '.join(unknown_domains)}. "
                                   f"Domaines pondérables : {', '.join(domains)}.")
        parsed = {d: _number(w, f"Poids du domaine « {d} »") for d, w in weights.items()}
        # A weight of 1 is the default: dropping it keeps equal methods equal (and their cached scores).
        kwargs["domain_weights"] = {d: w for d, w in parsed.items() if w != 1.0}
    if "normalisation" in values:
        kwargs["normalisation"] = _choice(values["normalisation"], "Normalisation", NORMALISATIONS)
    if "aggregation" in values:
        kwargs["aggregation"] = _choice(values["aggregation"], "Agrégation", AGGREGATIONS)
    if "draws" in values:
        kwargs["draws"] = _integer(values["draws"], "Nombre de tirages", 0, MAX_DRAWS)
    if "seed" in values:
        kwargs["seed"] = _integer(values["seed"], "Graine", 0, 2**32 - 1)
    frame = _choice(values["frame"], "Cadre", list(FRAMES)) if "frame" in values else "generation"
    method = Method(**kwargs)
    method.validate(domains, _pillars())
    return method, frame


def from_json(text: str | bytes, source: str | None = None) -> tuple[Method, str]:
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        name = f"« {source} » " if source else ""
        where = f" (ligne {exc.lineno}, colonne {exc.colno})" if isinstance(exc, json.JSONDecodeError) else ""
        raise BadArgumentError(f"Le fichier de réglages {name}n'est pas un JSON valide{where}. Exemple attendu : "
                               f"{EXAMPLE}.") from exc
    return from_dict(data)


def read(path: str | Path) -> tuple[Method, str]:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise BadArgumentError(f"Fichier de réglages introuvable : « {path} ».") from exc
    except UnicodeDecodeError as exc:
        raise BadArgumentError(f"Fichier de réglages « {path} » illisible : il doit être encodé en UTF-8.") from exc
    except OSError as exc:
        raise BadArgumentError(f"Fichier de réglages « {path} » illisible ({exc.strerror or exc}).") from exc
    return from_json(text, source=path.name)
