"""What opening a page costs, counted (never timed: timings go to bench/).

The Carte page asks for its territory table several times (the map, its generations, the table beside
it): the table is built once per territory, method and frame, then served from the cache, also when
another indicator is chosen. The Atelier page shows no score: it never scores.
"""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from assembly import territory_table as tt
from indicators import scores
from tests.conftest import ROOT

APP = str(ROOT / "app.py")
TERRITORY = "EPCI:243400017"  # Montpellier Méditerranée Métropole


def _opened(page: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["territoire"] = TERRITORY
    at.run()
    tt._cached_table.cache_clear()  # noqa: SLF001 - start the counted page from a cold cache
    return at.switch_page(page)


def _spy(monkeypatch, module, name: str) -> list:
    calls: list = []
    real = getattr(module, name)

    def spy(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, spy)
    return calls


def test_carte_builds_the_territory_table_once(monkeypatch):
    at = _opened("app_pages/carte.py")
    builds = _spy(monkeypatch, tt, "build_table")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert len(builds) == 1, builds
    # Another indicator: same territory, method and frame, the table comes from the cache.
    choices = at.selectbox(key="carte_indicateur").options
    at.selectbox(key="carte_indicateur").set_value(choices[-1]).run()
    assert not at.exception, [e.value for e in at.exception]
    assert len(builds) == 1, builds


def test_atelier_never_scores(monkeypatch):
    at = _opened("app_pages/atelier.py")
    scored = _spy(monkeypatch, tt, "compute_scores")
    builds = _spy(monkeypatch, tt, "build_table")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert builds and all(args[3] is False for args in builds), builds  # with_scores=False
    assert scored == []


def test_the_spies_see_scoring_when_it_happens(monkeypatch):
    """The Fiche page shows scores: the same spies count them (the Atelier test can fail)."""
    assert tt.compute_scores is scores.compute_scores
    at = _opened("app_pages/fiche.py")
    tt._frame_scores.cache_clear()  # noqa: SLF001
    scored = _spy(monkeypatch, tt, "compute_scores")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert scored
