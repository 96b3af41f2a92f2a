"""Method choices of an annex: the score method, the reference frame and the settings file they came from.

The settings file format and its validation live in ``indicators.settings_io`` (one format for the
Méthode page and the annex); this module only adds what the annex cites: the file name, and the notices
about values that were clamped when the file was read (cited in the method section).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from indicators import settings_io
from indicators.scores import Method

MAX_DRAWS = settings_io.MAX_DRAWS


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
        return settings_io.to_json(self.method, self.frame)


def _options(read: settings_io.MethodSettings, source: str | None) -> AnnexOptions:
    return AnnexOptions(method=read.method, frame=read.frame, source=source, notices=read.notices)


def options_from_dict(data: object, source: str | None = None) -> AnnexOptions:
    """Validated options from already-parsed JSON; French ``BadArgumentError`` on any bad value."""
    return _options(settings_io.from_dict(data), source)


def load_options(path: str | Path | None) -> AnnexOptions:
    """Options from a settings file (``None`` → defaults)."""
    if path is None:
        return AnnexOptions()
    return _options(settings_io.read(path), Path(path).name)


def options_from_text(text: str, source: str | None = None, notices: tuple[str, ...] = ()) -> AnnexOptions:
    """Options from the text of a settings file; ``notices`` are added to those found on reading."""
    options = _options(settings_io.from_json(text, source=source), source)
    if notices:
        options = AnnexOptions(method=options.method, frame=options.frame, source=source,
                               notices=tuple(dict.fromkeys(options.notices + tuple(notices))))
    return options
