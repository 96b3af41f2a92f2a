"""Reading the ``ECOQPV_*`` environment variables through a pydantic model, with French messages.

``settings.py`` declares the model (one field per variable, its alias is the variable's name and its
``description`` says in French what is expected). :func:`read_environment` validates what the
environment gives: a value that cannot be used is replaced by the field's default and described in one
French sentence, so that importing ``settings`` never fails; every entry point then calls
``settings.exit_if_invalid()`` (command lines) or shows the sentences in an error box (the app).

Pydantic's own (English) messages are never shown: the sentence names the variable, the value received
and what is expected.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ValidationError

#: Texts accepted for yes/no settings (case-insensitive).
TRUE_WORDS = frozenset({"1", "true", "oui", "yes", "on", "vrai"})
FALSE_WORDS = frozenset({"0", "false", "non", "no", "off", "faux"})
#: A received value is quoted in messages up to this many characters.
SHOWN_CHARACTERS = 60


def _flag(value: Any) -> Any:
    if isinstance(value, str):
        word = value.strip().lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        raise ValueError("not a yes/no word")
    return value


def _decimal(value: Any) -> Any:
    """``"1,5"`` (French decimal comma) → ``"1.5"``; surrounding spaces ignored."""
    if isinstance(value, str):
        return value.strip().replace(",", ".")
    return value


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("not a finite number")
    return value


#: A yes/no setting (``1``/``0``, ``oui``/``non``, ``true``/``false``…).
Flag = Annotated[bool, BeforeValidator(_flag)]
#: A finite number written with a point or a French decimal comma.
Decimal = Annotated[float, BeforeValidator(_decimal), AfterValidator(_finite)]
#: An integer (spaces around it ignored).
Whole = Annotated[int, BeforeValidator(lambda v: v.strip() if isinstance(v, str) else v)]


def shown(value: str) -> str:
    """The received value as it can be quoted in a sentence: one line, cut when long."""
    text = "".join(c if c.isprintable() else " " for c in value)
    return text if len(text) <= SHOWN_CHARACTERS else text[: SHOWN_CHARACTERS - 1] + "…"


def problem_sentence(variable: str, value: str, expected: str) -> str:
    """``ECOQPV_HTTP_TIMEOUT vaut « abc » : … est attendu.`` (one complete French sentence)."""
    return f"La variable d'environnement {variable} vaut « {shown(value)} » : {expected}."


def read_environment(model: type[BaseModel], environ: Mapping[str, str]) -> tuple[BaseModel, list[str]]:
    """``model`` filled from ``environ`` (by alias), and one French sentence per unusable value.

    An empty variable counts as unset (``export ECOQPV_X=`` in a shell). Unusable values are replaced
    by their defaults, so that the returned model is always complete.
    """
    by_alias = {field.alias or name: name for name, field in model.model_fields.items()}
    given = {alias: environ[alias] for alias in by_alias if environ.get(alias, "").strip()}
    try:
        return model.model_validate(given), []
    except ValidationError as exc:
        bad = list(dict.fromkeys(str(error["loc"][0]) for error in exc.errors() if error["loc"]))
    problems = [
        problem_sentence(alias, given[alias], model.model_fields[by_alias[alias]].description or "valeur invalide")
        for alias in bad if alias in given
    ]
    kept = {alias: value for alias, value in given.items() if alias not in bad}
    return model.model_validate(kept), problems
