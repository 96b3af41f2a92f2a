"""Method settings as a small French JSON file, so that an annex can cite how scores were computed.

One format for the whole tool (Méthode page export/import, ``python -m reports annexe --methode``)::

    {"poids_domaines": {"chaleur": 2, "pauvrete_revenus": 1},
     "normalisation": "percentile", "agregation": "arithmetique", "cadre": "generation"}

English keys (``domain_weights``, ``aggregation``, ``frame``, ``draws``, ``seed``) are accepted as
aliases; ``tirages`` and ``graine`` are optional. Reading validates everything with a pydantic model
(``_SettingsFile``) and raises a French ``BadArgumentError`` naming every problem: a malformed file never
falls back silently to defaults. Before parsing, the file's size (``MAX_BYTES``) and nesting depth
(``MAX_DEPTH``) are checked, so that a hostile upload costs nothing.

Weights are finite numbers between 0 and ``WEIGHT_MAX`` (the range of the Méthode page's sliders). A
weight above that range but still plausible is clamped to ``WEIGHT_MAX`` and a French notice says so
(``MethodSettings.notices``, shown on the page, on the command line and in the annex); a weight beyond
``WEIGHT_REFUSED_ABOVE``, negative, NaN or not a number is refused. The command line uses the weights as
written; the Méthode page, whose sliders hold steps only, rounds an imported weight to the nearest step and says
so (``on_weight_steps``).
"""

from __future__ import annotations

import functools
import json
import math
from dataclasses import dataclass, replace
from typing import Annotated, Any, Literal

from pydantic import AliasChoices, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, create_model
from pydantic_core import PydanticCustomError

from indicators.scores import AGGREGATIONS, NORMALISATIONS, Method
from core.errors import BadArgumentError
from core.formats import plural

FRAMES = ("generation", "region")
MAX_DRAWS = 10_000
MAX_SEED = 2**32 - 1
EXAMPLE = '{"poids_domaines": {"chaleur": 2}, "cadre": "generation"}'
#: A settings file is a few hundred bytes; anything much larger is not one.
MAX_BYTES = 64 * 1024
#: The format nests two levels (the file, its ``poids_domaines``); deeper is refused before parsing.
MAX_DEPTH = 8
#: Relative weights offered by the Méthode page's sliders (× 1 = the default weight; 0 removes the
#: domain from its pillar).
WEIGHT_STEPS = (0.0, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0, 2.5, 3.0)
WEIGHT_MAX = WEIGHT_STEPS[-1]
#: Above this, a weight is refused rather than clamped: it is not a slip of the keyboard.
WEIGHT_REFUSED_ABOVE = 100.0
KEYS_FR = ("poids_domaines", "normalisation", "agregation", "cadre", "tirages", "graine")
#: Accepted names of each setting, French first (the French name is the one written).
_ALIASES = {
    "weights": ("poids_domaines", "domain_weights"),
    "normalisation": ("normalisation",),
    "aggregation": ("agregation", "aggregation"),
    "frame": ("cadre", "frame"),
    "draws": ("tirages", "draws"),
    "seed": ("graine", "seed"),
}


@dataclass(frozen=True)
class MethodSettings:
    """What a settings file says: the method, the reference frame, and French notices about clamped values."""

    method: Method
    frame: str = "generation"
    notices: tuple[str, ...] = ()


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


def _shown(value: object) -> str:
    """A received value as it can be quoted in a French sentence (one line, cut when long)."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    text = "".join(c if c.isprintable() else " " for c in text)
    return text if len(text) <= 40 else text[:39] + "…"


def _json_shown(value: object) -> str:
    """Like :func:`_shown`, texts in quotes: ``"2"`` reads as the text it is, not as a number."""
    return _shown(json.dumps(value, ensure_ascii=False) if isinstance(value, str) else value)


def _weight_text(weight: float) -> str:
    from core.formats import format_number

    for decimals in range(4):
        if abs(round(weight, decimals) - weight) < 1e-9:
            return format_number(weight, decimals)
    return format_number(weight, 3)


def _number_only(value: Any) -> Any:
    """Refuse texts, booleans and non-finite numbers before pydantic's range checks (``"2"`` is no weight)."""
    if isinstance(value, bool | str) or not isinstance(value, int | float):
        raise PydanticCustomError("pas_un_nombre", "not a number")
    if isinstance(value, float) and not math.isfinite(value):
        raise PydanticCustomError("non_fini", "not a finite number")
    return value


def _whole(value: Any) -> Any:
    """``300.0`` → ``300`` (JSON writers may add a decimal point); texts and booleans refused."""
    value = _number_only(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


Weight = Annotated[float, BeforeValidator(_number_only),
                   Field(strict=True, allow_inf_nan=False, ge=0, le=WEIGHT_REFUSED_ABOVE)]


def _alias(name: str) -> Any:
    return Field(None, validation_alias=AliasChoices(*_ALIASES[name]))


class _SettingsFile(BaseModel):
    """The settings file as pydantic validates it (unknown keys refused)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    weights: dict[str, Any] | None = _alias("weights")  # checked by _weights_model(): the domains vary
    normalisation: Literal[NORMALISATIONS] | None = _alias("normalisation")
    aggregation: Literal[AGGREGATIONS] | None = _alias("aggregation")
    frame: Literal[FRAMES] | None = _alias("frame")
    draws: Annotated[int, BeforeValidator(_whole), Field(strict=True, ge=0, le=MAX_DRAWS)] | None = _alias("draws")
    seed: Annotated[int, BeforeValidator(_whole), Field(strict=True, ge=0, le=MAX_SEED)] | None = _alias("seed")


@functools.cache
def _weights_model(domains: tuple[str, ...]) -> type[BaseModel]:
    """``{domain: weight}`` with exactly the weighted domains as optional keys."""
    fields: dict[str, Any] = {domain: (Weight, Field(None)) for domain in domains}
    return create_model("_DomainWeights", __config__=ConfigDict(extra="forbid"), **fields)


def _domain_label(domain: str) -> str:
    from indicators import catalogue

    return catalogue.DOMAINS[domain].label if domain in catalogue.DOMAINS else domain


def _weight_problem(domain: str, error: dict) -> str:
    what = f"Poids du domaine « {_domain_label(domain)} »"
    kind, received = error["type"], error.get("input")
    if kind == "greater_than_equal":
        return f"{what} : {_shown(received)} est négatif ; les poids doivent être positifs ou nuls."
    if kind == "less_than_equal":
        return (f"{what} : {_shown(received)} n'est pas un poids utilisable ; un nombre entre 0 et "
                f"{_weight_text(WEIGHT_MAX)} est attendu.")
    if kind == "non_fini":
        return f"{what} : un nombre fini est attendu (reçu : {_shown(received)})."
    return f"{what} : un nombre est attendu (reçu : {_json_shown(received)})."


def _choice_problem(what: str, received: object, allowed: tuple[str, ...]) -> str:
    return f"{what} : valeur « {_shown(received)} » inconnue ; choisir parmi {', '.join(allowed)}."


_LABELS = {"normalisation": ("Normalisation", NORMALISATIONS), "agregation": ("Agrégation", AGGREGATIONS),
           "aggregation": ("Agrégation", AGGREGATIONS), "cadre": ("Cadre", FRAMES), "frame": ("Cadre", FRAMES)}
_INTEGERS = {"tirages": ("Nombre de tirages", MAX_DRAWS), "draws": ("Nombre de tirages", MAX_DRAWS),
             "graine": ("Graine", MAX_SEED), "seed": ("Graine", MAX_SEED)}


def _problems(error: ValidationError) -> list[str]:
    """French sentences for pydantic's errors on the settings file (unknown keys named together)."""
    unknown = [str(e["loc"][0]) for e in error.errors() if e["type"] == "extra_forbidden" and len(e["loc"]) == 1]
    problems = []
    if unknown:
        problems.append(f"{plural(len(unknown), 'réglage inconnu', 'réglages inconnus').capitalize()} : "
                        f"{', '.join(_shown(k) for k in unknown)}. Réglages possibles : "
                        f"{', '.join(KEYS_FR)}.")
    for item in error.errors():
        key = str(item["loc"][0]) if item["loc"] else ""
        if item["type"] == "extra_forbidden":
            continue
        if key in _LABELS:
            problems.append(_choice_problem(_LABELS[key][0], item.get("input"), _LABELS[key][1]))
        elif key in _INTEGERS:
            what, high = _INTEGERS[key]
            problems.append(f"{what} : un entier entre 0 et {high} est attendu (reçu : {_json_shown(item.get('input'))}).")
        elif key in _ALIASES["weights"]:
            problems.append("poids_domaines : un objet {domaine: poids} est attendu, par exemple "
                            '{"chaleur": 2}.')
        else:
            problems.append(f"Réglage « {_shown(key)} » invalide.")
    return list(dict.fromkeys(problems))


def _check_weights(given: dict[str, Any], key: str) -> tuple[dict[str, float], tuple[str, ...]]:
    """Validated weights of the given domains, clamped to the sliders' range, and the notices."""
    domains = tuple(weighted_domains())
    try:
        parsed = _weights_model(domains).model_validate(given)
    except ValidationError as exc:
        unknown = [str(e["loc"][0]) for e in exc.errors() if e["type"] == "extra_forbidden"]
        problems = []
        if unknown:
            problems.append(f"{plural(len(unknown), 'domaine inconnu', 'domaines inconnus').capitalize()} dans {key} : "
                            f"{', '.join(_shown(d) for d in unknown)}. "
                            f"Domaines pondérables : {', '.join(domains)}.")
        problems += [_weight_problem(str(e["loc"][0]), e) for e in exc.errors() if e["type"] != "extra_forbidden"]
        raise BadArgumentError(" ".join(problems)) from exc
    weights: dict[str, float] = {}
    notices: list[str] = []
    for domain in domains:
        if domain not in parsed.model_fields_set:
            continue
        weight = float(getattr(parsed, domain))
        if weight > WEIGHT_MAX:
            notices.append(f"Poids de « {_domain_label(domain)} » ramené de {_weight_text(weight)} à "
                           f"{_weight_text(WEIGHT_MAX)}, le maximum de l'échelle des poids.")
            weight = WEIGHT_MAX
        weights[domain] = weight
    return weights, tuple(notices)


def nearest_step(weight: float) -> float:
    """The step of the Méthode page's sliders (``WEIGHT_STEPS``) nearest to ``weight``; a tie goes to the lower."""
    return min(WEIGHT_STEPS, key=lambda w: (abs(w - weight), w))


def non_default_weights(weights: dict[str, float]) -> dict[str, float]:
    """The weights without those of 1, the default: equal methods then compare equal (and share cached scores)."""
    return {d: w for d, w in weights.items() if w != 1.0}


def on_weight_steps(settings: MethodSettings) -> MethodSettings:
    """The settings with each weight on the nearest step of the Méthode page's sliders, and a French notice for
    each weight that moved.

    Why: a file may carry any weight between 0 and ``WEIGHT_MAX`` (the command line uses it as written), but the
    page can only show and keep the sliders' steps; without this, importing 1.1 silently became 1 on the page."""
    steps: dict[str, float] = {}
    notices = list(settings.notices)
    for domain, weight in settings.method.domain_weights.items():
        steps[domain] = nearest_step(weight)
        if abs(steps[domain] - weight) > 1e-9:
            notices.append(f"Poids de « {_domain_label(domain)} » arrondi de {_weight_text(weight)} à "
                           f"{_weight_text(steps[domain])}, le cran le plus proche de l'échelle des poids de la page.")
    method = replace(settings.method, domain_weights=non_default_weights(steps))
    return replace(settings, method=method, notices=tuple(notices))


def from_dict(data: object) -> MethodSettings:
    """Validated settings from already-parsed JSON; French ``BadArgumentError`` naming every problem."""
    if not isinstance(data, dict):
        raise BadArgumentError("Le fichier de réglages doit contenir un objet JSON (entre accolades), par "
                               f"exemple {EXAMPLE}.")
    for names in _ALIASES.values():
        present = [n for n in names if n in data]
        if len(present) > 1:
            raise BadArgumentError(f"Le réglage « {names[0]} » est donné deux fois ({', '.join(present)}) : "
                                   "n'en garder qu'un.")
    try:
        values = _SettingsFile.model_validate(data)
    except ValidationError as exc:
        raise BadArgumentError(" ".join(_problems(exc))) from exc
    kwargs: dict[str, Any] = {}
    notices: tuple[str, ...] = ()
    if values.weights is not None:
        key = next(n for n in _ALIASES["weights"] if n in data)
        weights, notices = _check_weights(values.weights, key)
        kwargs["domain_weights"] = non_default_weights(weights)
    for name in ("normalisation", "aggregation", "draws", "seed"):
        if getattr(values, name) is not None:
            kwargs[name] = getattr(values, name)
    method = Method(**kwargs)
    method.validate(weighted_domains(), _pillars())
    return MethodSettings(method=method, frame=values.frame or "generation", notices=notices)


def _nesting_exceeds(text: str, limit: int) -> bool:
    """True when JSON brackets nest deeper than ``limit`` (strings skipped); checked before parsing."""
    depth, in_string, escaped = 0, False, False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > limit:
                return True
        elif char in "]}":
            depth -= 1
    return False


def from_json(text: str | bytes, source: str | None = None) -> MethodSettings:
    """Validated settings from the text of a settings file (size and depth checked before parsing)."""
    name = f"« {source} » " if source else ""
    size = len(text) if isinstance(text, bytes) else len(text.encode("utf-8", errors="replace"))
    if size > MAX_BYTES:
        raise BadArgumentError(f"Le fichier de réglages {name}est trop volumineux ({size // 1024} Ko) : un "
                               f"fichier de réglages ecoqpv fait moins de {MAX_BYTES // 1024} Ko.")
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise BadArgumentError(f"Le fichier de réglages {name}est illisible : il doit être encodé en UTF-8."
                                   ) from exc
    text = text.removeprefix("\ufeff")
    if _nesting_exceeds(text, MAX_DEPTH):
        raise BadArgumentError(f"Le fichier de réglages {name}est imbriqué sur plus de {MAX_DEPTH} niveaux : ce "
                               f"n'est pas un fichier de réglages ecoqpv. Exemple attendu : {EXAMPLE}.")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadArgumentError(f"Le fichier de réglages {name}n'est pas un JSON valide (ligne {exc.lineno}, "
                               f"colonne {exc.colno}). Exemple attendu : {EXAMPLE}.") from exc
    except (ValueError, RecursionError) as exc:  # e.g. an integer of more than 4,300 digits
        raise BadArgumentError(f"Le fichier de réglages {name}contient une valeur illisible. Exemple attendu : "
                               f"{EXAMPLE}.") from exc
    return from_dict(data)
