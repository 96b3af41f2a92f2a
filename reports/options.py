"""Method choices of an annex: the score method, the reference frame and the settings file they came from.

The settings file format and its validation live in ``indicators.settings_io`` (one format for the
Méthode page and the annex); this module only adds what the annex cites: the file name.
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

    def weight(self, domain: str) -> float:
        return float(self.method.domain_weights.get(domain, 1.0))

    def is_default(self) -> bool:
        return self.method == Method() and self.frame == "generation"

    def to_json(self) -> str:
        """The choices as a settings file (what the page offers to download, what the CLI reads)."""
        return settings_io.to_json(self.method, self.frame)


def options_from_dict(data: object, source: str | None = None) -> AnnexOptions:
    """Validated options from already-parsed JSON; French ``BadArgumentError`` on any bad value."""
    method, frame = settings_io.from_dict(data)
    return AnnexOptions(method=method, frame=frame, source=source)


def load_options(path: str | Path | None) -> AnnexOptions:
    """Options from a settings file (``None`` → defaults)."""
    if path is None:
        return AnnexOptions()
    method, frame = settings_io.read(path)
    return AnnexOptions(method=method, frame=frame, source=Path(path).name)


def options_from_text(text: str, source: str | None = None) -> AnnexOptions:
    method, frame = settings_io.from_json(text, source=source)
    return AnnexOptions(method=method, frame=frame, source=source)
