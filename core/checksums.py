"""File digests: the sha256 written in manifests and update indexes, and publishers' checksums.

Read by blocks of 1 MiB so that a national archive of several hundred megabytes never sits in memory.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

_BLOCK = 1 << 20


def file_digest(path: str | Path, algorithm: str = "sha256") -> str:
    """Hexadecimal digest of a file (``sha256``, ``sha1``, ``md5``, ``sha512``…)."""
    digest = hashlib.new(algorithm)
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(_BLOCK), b""):
            digest.update(block)
    return digest.hexdigest()


def sha256_file(path: str | Path) -> str:
    """sha256 of a file, as listed in ``manifest.json`` and in the index of previous good copies."""
    return file_digest(path, "sha256")
