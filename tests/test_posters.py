"""Workshop posters (``reports.posters``, ``python -m reports affiches``): a multi-page PDF in A3 (or A4) landscape,
one poster per slide (and per quartier on request), rendered with ``pdftoppm``; what the posters say, read back with
``pdftotext``; the command's errors in French with the exit codes of ``python -m reports annexe``.

The PNG of the heat poster is kept in ``tests/artifacts/`` for a person to look at."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import date

import numpy as np
import pytest
from PIL import Image

from assembly import atelier
from reports import __main__ as cli
from reports import posters
from tests.conftest import ROOT

MONTPELLIER = "COM:34172"
LOZERE = "DEP:48"  # one quartier (Mende): the series per quartier stays short
ARTIFACTS = ROOT / "tests" / "artifacts"

pytestmark = pytest.mark.skipif(shutil.which("pdftoppm") is None or shutil.which("pdftotext") is None,
                                reason="poppler-utils (pdftoppm, pdftotext) absent")


def _pages(path) -> list[str]:
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return text.split("\f")[:-1]


def _page_size_mm(path) -> tuple[float, float]:
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    width, height = map(float, re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", info).groups())
    return width / 72 * 25.4, height / 72 * 25.4


@pytest.fixture(scope="module")
def a3_pdf(tmp_path_factory):
    path = tmp_path_factory.mktemp("affiches") / "affiches.pdf"
    assert cli.main(["affiches", "--territoire", MONTPELLIER, "--format", "pdf", "--out", str(path)]) == 0
    return path


def test_one_a3_landscape_poster_per_slide_with_question_names_scale_north_and_sources(a3_pdf):
    width, height = _page_size_mm(a3_pdf)
    assert round(width) == 420 and round(height) == 297
    pages = _pages(a3_pdf)
    themes = atelier.sequence_themes("habitants")
    assert len(pages) == len(themes)
    for page, theme in zip(pages, themes, strict=True):
        flat = " ".join(page.split())
        assert " ".join(theme.question.split()[:4]) in flat, theme.id  # the question, in large type at the top
        assert "Mosson" in flat and "MONTPELLIER" in flat  # names of quartiers and of the commune
        assert re.search(r"\b\d+ (m|km)\b", flat.replace("\u00a0", " ")), theme.id  # the scale bar
        assert re.search(r"(^|\s)N(\s|$)", page, re.MULTILINE), theme.id  # the north arrow
        assert "Contours des quartiers : ANCT" in flat and "Pour en parler" in flat
    heat = " ".join(pages[1].split())
    assert "Cerema" in heat and "LCZ 2022" in heat and "Forte : bâti dense" in heat  # legend, source and vintage
    words = set(re.findall(r"[\wéèàç]+", " ".join(pages).lower()))
    assert not words & set(atelier.RESIDENTS_FORBIDDEN)


def test_the_heat_poster_renders_with_its_map_in_colour(a3_pdf):
    """Rasterised with pdftoppm; the map's warm classes are there (kept under tests/artifacts/ to be looked at)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    prefix = ARTIFACTS / "affiche_chaleur_a3"
    subprocess.run(["pdftoppm", "-r", "40", "-f", "2", "-l", "2", "-png", "-singlefile", str(a3_pdf), str(prefix)],
                   check=True, timeout=120)
    image = np.asarray(Image.open(f"{prefix}.png").convert("RGB")).astype(int)
    assert image.shape[1] > image.shape[0]  # landscape
    left = image[:, : image.shape[1] * 6 // 10]  # the map's half of the page
    warm = (left[..., 0] > 200) & (left[..., 2] < 170) & (left[..., 0] - left[..., 2] > 60)
    assert warm.mean() > 0.05, "the heat classes are not on the map"


def test_a4_and_one_series_per_quartier(tmp_path):
    from geodata import territories

    path = tmp_path / "affiches_a4.pdf"
    assert cli.main(["affiches", "--territoire", LOZERE, "--format", "pdf", "--out", str(path), "--papier", "a4",
                     "--par-quartier"]) == 0
    width, height = _page_size_mm(path)
    assert round(width) == 297 and round(height) == 210
    pages = _pages(path)
    count = len(atelier.sequence_themes("habitants"))
    assert len(pages) == 2 * count  # the territory's series, then the series of its one quartier
    quartier = str(atelier.quartiers(territories.resolve_key(LOZERE))["lib_qp"].iloc[0])
    assert all(quartier in p.split("\n")[0] for p in pages[count:])  # named in each heading of its series
    assert not any(quartier in p.split("\n")[0] for p in pages[:count])


def test_file_name_says_what_and_when():
    from geodata import territories

    name = posters.file_name(territories.resolve_key(MONTPELLIER), "habitants", "a3", date(2026, 5, 4))
    assert name == "affiches_atelier_habitants_com_34172_a3_2026-05-04.pdf"


@pytest.mark.parametrize(("args", "words"), [
    (["--territoire", "COM:99999", "--format", "pdf"], "Territoire inconnu"),
    (["--territoire", "FR", "--format", "pdf"], "pas pour la France entière"),
    (["--territoire", "REG:76", "--format", "pdf", "--par-quartier"], "trop pour une série d'affiches"),
    (["--territoire", MONTPELLIER, "--format", "docx"], "non reconnue"),
    (["--territoire", MONTPELLIER, "--format", "pdf", "--papier", "a5"], "non reconnue"),
])
def test_bad_input_exit_2_in_french_and_no_file(tmp_path, capsys, args, words):
    out = tmp_path / "affiches.pdf"
    assert cli.main(["affiches", *args, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert words in err and "Traceback" not in err
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_out_is_checked_before_drawing(tmp_path, capsys):
    assert cli.main(["affiches", "--territoire", MONTPELLIER, "--format", "pdf", "--out", str(tmp_path)]) == 2
    assert "est un dossier" in capsys.readouterr().err
    missing = tmp_path / "absent" / "affiches.pdf"
    assert cli.main(["affiches", "--territoire", MONTPELLIER, "--format", "pdf", "--out", str(missing)]) == 2
    assert "n'existe pas" in capsys.readouterr().err and not missing.parent.exists()
