"""Method choices of an annex: the score method, the reference frame and the settings file they came from.

The settings file format and its validation live in ``indicators.method_settings`` (one format for the
Méthode page and the annex, pure: text in, settings out); reading the file from disk is done here
(``read_method_file``, size checked before reading), and this module adds what the annex cites: the file name, and the notices
about values that were clamped when the file was read (cited in the method section).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from core.errors import BadArgumentError
from indicators import method_settings
from indicators.scores import Method

MAX_DRAWS = method_settings.MAX_DRAWS


@dataclass(frozen=True)
class AnnexOptions:
    """Everything the annex needs besides the territory: the score method and the reference frame."""

    method: Method = field(default_factory=Method)
    frame: str = "generation"
    #: Name of the settings file the choices came from (cited in the method section), or None.
    source: str | None = None
    #: French sentences about values of the settings file that were changed on reading (clamped weights).
    notices: tuple[str, ...] = ()

    def weight(self, domain: str) -> float:
        return float(self.method.domain_weights.get(domain, 1.0))

    def is_default(self) -> bool:
        return self.method == Method() and self.frame == "generation"

    def to_json(self) -> str:
        """The choices as a settings file (what the page offers to download, what the CLI reads)."""
        return method_settings.to_json(self.method, self.frame)


def _options(read: method_settings.MethodSettings, source: str | None) -> AnnexOptions:
    return AnnexOptions(method=read.method, frame=read.frame, source=source, notices=read.notices)


def load_options(path: str | Path | None) -> AnnexOptions:
    """Options from a settings file (``None`` → defaults)."""
    if path is None:
        return AnnexOptions()
    return _options(read_method_file(path), Path(path).name)


def options_from_text(text: str, source: str | None = None, notices: tuple[str, ...] = ()) -> AnnexOptions:
    """Options from the text of a settings file; ``notices`` are added to those found on reading."""
    options = _options(method_settings.from_json(text, source=source), source)
    if notices:
        options = AnnexOptions(method=options.method, frame=options.frame, source=source,
                               notices=tuple(dict.fromkeys(options.notices + tuple(notices))))
    return options


def read_method_file(path: str | Path) -> method_settings.MethodSettings:
    """Validated settings from a file (its size is checked before it is read)."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if path.is_dir():
            raise BadArgumentError(f"« {path} » est un dossier : indiquer un fichier de réglages JSON.")
        if size > method_settings.MAX_BYTES:
            raise BadArgumentError(f"Le fichier de réglages « {path.name} » est trop volumineux ({size // 1024} Ko) : "
                                   f"un fichier de réglages ecoqpv fait moins de {method_settings.MAX_BYTES // 1024} Ko.")
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise BadArgumentError(f"Fichier de réglages introuvable : « {path} ».") from exc
    except PermissionError as exc:
        raise BadArgumentError(f"Fichier de réglages « {path} » illisible : droits insuffisants.") from exc
    except OSError as exc:
        raise BadArgumentError(f"Fichier de réglages « {path} » illisible (erreur du système).") from exc
    return method_settings.from_json(data, source=path.name)
