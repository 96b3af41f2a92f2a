"""Project-level promises: documented settings, the README's commands, the layout."""

from __future__ import annotations

import re

from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_every_setting_is_documented_in_readme():
    names = set(re.findall(r"ECOQPV_[A-Z_]+", (ROOT / "settings.py").read_text(encoding="utf-8")))
    names |= set(re.findall(r"ECOQPV_[A-Z_]+", (ROOT / "tests" / "conftest.py").read_text(encoding="utf-8")))
    assert names, "no settings found"
    undocumented = sorted(n for n in names if f"`{n}`" not in README)
    assert not undocumented, undocumented


def test_ci_runs_the_readme_test_command_verbatim():
    blocks = re.findall(r"```bash\n(.+?)\n```", README)
    install_run = [b for b in blocks if "streamlit run app.py" in b]
    tests = [b for b in blocks if "pytest" in b]
    assert install_run == ["pip install -r requirements.txt && streamlit run app.py"]
    assert len(tests) == 1
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert tests[0] in ci.splitlines()


def test_layout_shows_the_architecture():
    for name in ("app.py", "settings.py", "loaders", "geodata", "indicators", "app_pages", "tests",
                 "data/bundle/manifest.json", "requirements.txt", "requirements-dev.txt", "bench"):
        assert (ROOT / name).exists(), name


def test_requirements_are_pinned():
    for line in (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            assert "==" in line, line


def test_no_folder_named_pages_beside_the_app():
    """Streamlit (1.67) takes a ``pages/`` folder beside ``app.py`` for a legacy multipage app: the first visitor
    of a deep link (``/donnees``) on a fresh server got that page alone, with an English file menu. The pages
    live in ``app_pages/``, driven by ``st.navigation`` in ``app.py``."""
    assert not (ROOT / "pages").exists()
    assert "st.navigation(" in (ROOT / "app.py").read_text(encoding="utf-8")


def test_streamlit_only_in_pages_and_app():
    offenders = []
    for folder in ("loaders", "geodata", "indicators"):
        for path in (ROOT / folder).rglob("*.py"):
            if re.search(r"^\s*(import streamlit|from streamlit)", path.read_text(encoding="utf-8"), re.M):
                offenders.append(str(path.relative_to(ROOT)))
    assert not offenders, offenders
