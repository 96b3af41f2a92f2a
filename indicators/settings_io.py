"""Method settings as a small JSON file, so that an annex can cite exactly how scores were computed.

The file holds the reference frame and the method choices (domain weights, normalisation,
aggregation, number of draws, seed). Reading it validates everything and raises a French
``BadArgumentError`` naming the problem: a malformed file must never silently fall back to defaults.
"""

from __future__ import annotations

import json
from dataclasses import asdict, fields
from pathlib import Path

from indicators import catalogue
from indicators.scores import AGGREGATIONS, NORMALISATIONS, Method
from loaders.errors import BadArgumentError

FORMAT = "ecoqpv-methode"
VERSION = 1
FRAMES = ("generation", "region")
_EDITABLE = {"domain_weights", "normalisation", "aggregation", "draws", "seed", "alert_threshold"}


def to_dict(method: Method, frame: str = "generation") -> dict:
    data = {k: v for k, v in asdict(method).items() if k in _EDITABLE}
    weights = {d: float(method.domain_weights.get(d, 1.0)) for d in _scored_domains()}
    data["domain_weights"] = weights
    return {"format": FORMAT, "version": VERSION, "cadre": frame, **data}


def to_json(method: Method, frame: str = "generation") -> str:
    return json.dumps(to_dict(method, frame), ensure_ascii=False, indent=2) + "\n"


def _scored_domains() -> list[str]:
    return list(dict.fromkeys(catalogue.get(i).domain for i in catalogue.scored_ids()))


def from_dict(data: object) -> tuple[Method, str]:
    """Validated ``(Method, frame)`` from a parsed JSON object."""
    if not isinstance(data, dict):
        raise BadArgumentError("Fichier de méthode invalide : un objet JSON ({…}) est attendu.")
    if data.get("format", FORMAT) != FORMAT:
        raise BadArgumentError(f"Fichier de méthode invalide : format « {data.get('format')} » inconnu.")
    frame = data.get("cadre", "generation")
    if frame not in FRAMES:
        raise BadArgumentError(f"Cadre de référence « {frame} » inconnu : choisir parmi {', '.join(FRAMES)}.")
    unknown = sorted(set(data) - _EDITABLE - {"format", "version", "cadre"})
    if unknown:
        raise BadArgumentError(f"Fichier de méthode invalide : clé(s) inconnue(s) {', '.join(unknown)}.")
    weights = data.get("domain_weights", {})
    if not isinstance(weights, dict):
        raise BadArgumentError("Fichier de méthode invalide : « domain_weights » doit associer un poids à chaque domaine.")
    clean: dict[str, float] = {}
    for domain, value in weights.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise BadArgumentError(f"Poids du domaine « {domain} » invalide : un nombre est attendu.")
        clean[str(domain)] = float(value)
    kwargs = {"domain_weights": clean}
    for key, kind in (("normalisation", str), ("aggregation", str), ("draws", int), ("seed", int),
                      ("alert_threshold", (int, float))):
        if key in data:
            if isinstance(data[key], bool) or not isinstance(data[key], kind):
                raise BadArgumentError(f"Fichier de méthode invalide : valeur de « {key} » incorrecte.")
            kwargs[key] = data[key]
    if kwargs.get("normalisation", "percentile") not in NORMALISATIONS:
        raise BadArgumentError(f"Normalisation « {kwargs['normalisation']} » inconnue : choisir parmi "
                               f"{', '.join(NORMALISATIONS)}.")
    if kwargs.get("aggregation", "arithmetique") not in AGGREGATIONS:
        raise BadArgumentError(f"Agrégation « {kwargs['aggregation']} » inconnue : choisir parmi "
                               f"{', '.join(AGGREGATIONS)}.")
    if not 0 <= int(kwargs.get("draws", 1000)) <= 20000:
        raise BadArgumentError("Nombre de tirages hors limites (0 à 20 000).")
    method = Method(**{k: v for k, v in kwargs.items() if k in {f.name for f in fields(Method)}})
    method.validate(_scored_domains(), catalogue.domain_pillars())
    return method, frame


def from_json(text: str | bytes) -> tuple[Method, str]:
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BadArgumentError(f"Fichier de méthode illisible : ce n'est pas du JSON valide ({exc.msg if hasattr(exc, 'msg') else exc}).") from exc
    return from_dict(data)


def read(path: Path) -> tuple[Method, str]:
    path = Path(path)
    if not path.is_file():
        raise BadArgumentError(f"Fichier de méthode introuvable : {path}.")
    return from_json(path.read_bytes())
