"""Named errors of ecoqpv, each carrying a French message for the person using the tool.

Callers show ``str(error)`` as is: it names the source (file, URL or folder) and the problem. Exceptions
are raised ``from`` their cause so that developers keep the traceback while users never see it.
"""

from __future__ import annotations

__all__ = [
    "BadArgumentError", "ChecksumError", "EcoqpvError", "RateLimitedError", "SourceError", "SourceFormatError",
    "SourceMissingError", "SourceUnavailableError", "StorageError", "UnknownTerritoryError", "UnsafePathError", "shown",
]


class EcoqpvError(Exception):
    """Base class: ``str(exc)`` is a complete French sentence for the user."""


class SourceError(EcoqpvError):
    """A source (file or URL) could not be read or used."""

    def __init__(self, source: str, problem: str) -> None:
        self.source = source
        self.problem = problem
        super().__init__(f"Source « {source} » : {problem}")


class SourceMissingError(SourceError):
    """The file or resource does not exist."""


class SourceFormatError(SourceError):
    """The content is not in the expected format (HTML page, renamed column, wrong encoding…)."""


class ChecksumError(SourceError):
    """The content differs from the checksum published for it."""


class SourceUnavailableError(SourceError):
    """The host did not deliver: timeout, interrupted connection, server error, too many requests."""


class RateLimitedError(SourceUnavailableError):
    """The host kept answering 429 (too many requests) after the allowed retries."""


class UnknownTerritoryError(EcoqpvError):
    """A territory code that the registry does not know; lists close matches."""

    def __init__(self, kind: str, code: str, suggestions: list[str]) -> None:
        self.kind = kind
        self.code = code
        self.suggestions = suggestions
        hint = (" Territoires proches : " + ", ".join(suggestions) + ".") if suggestions else ""
        super().__init__(f"Territoire inconnu : {kind}:{code}.{hint}")


class BadArgumentError(EcoqpvError):
    """A command-line or API argument that cannot be used (unknown indicator, bad format…)."""


class UnsafePathError(EcoqpvError):
    """A file name or URL that would write outside the data folder, or under a name that is not data
    (``..``, absolute path, drive letter, backslash, odd host, control character…)."""

    def __init__(self, value: str, problem: str) -> None:
        self.value = value
        self.problem = problem
        super().__init__(f"Chemin refusé par sécurité ({problem}) : « {shown(value)} ».")


def shown(value: object, limit: int = 200) -> str:
    """``value`` as text safe to print in a message: invisible characters escaped, cut at ``limit``."""
    text = "".join(c if c.isprintable() else f"\\x{ord(c):02x}" if ord(c) < 256 else f"\\u{ord(c):04x}"
                   for c in str(value))
    return text if len(text) <= limit else text[:limit] + "…"


class StorageError(EcoqpvError):
    """Writing to disk failed (disk full, no permission, read-only medium, name too long…)."""

    def __init__(self, folder: str, problem: str) -> None:
        self.folder = folder
        self.problem = problem
        super().__init__(problem[:1].upper() + problem[1:])
