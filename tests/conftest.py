"""Shared test fixtures and markers.

Tests that need the real open-data copies (``../shared/opendata``) are skipped with a clear reason
when the folder is absent; everything else runs on the committed bundle and on fixtures built here.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
OPENDATA = Path(os.environ.get("ECOQPV_OPENDATA", ROOT.parent / "shared" / "opendata")).resolve()

needs_opendata = pytest.mark.skipif(
    not OPENDATA.is_dir(), reason=f"dossier des données ouvertes absent ({OPENDATA})"
)
