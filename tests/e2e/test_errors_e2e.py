"""An unexpected error in Chromium: French, without the server's paths, its message or its traceback, and
without links sending it to outside services (``client.showErrorDetails = "none"``, ``assets/ui/fr_ui.js``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.conftest import run_streamlit, save_screenshot
from tests.e2e.ui_checks import english_in

pytestmark = pytest.mark.e2e

_SCRIPT = "tests/e2e/crashing_page.py"


@pytest.fixture(scope="module")
def crashing_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with run_streamlit(tmp_path_factory.mktemp("ecoqpv_erreur"), log_name="streamlit_crash", script=_SCRIPT) as url:
        yield url


def test_an_unexpected_error_is_said_in_french_without_server_details(crashing_server, browser_page):
    page = browser_page
    page.goto(crashing_server + "/")
    box = page.locator('[data-testid="stException"]')
    box.wait_for(timeout=60_000)
    page.wait_for_function("() => document.querySelector('[data-testid=\"stException\"]').innerText"
                           ".includes('erreur inattendue')", timeout=10_000)
    text = box.inner_text()
    assert "Une erreur inattendue a empêché d'afficher cette page." in text
    assert "signalez-la à l'exploitant" in text
    # Nothing of the error itself: not its type, its message (a server path) nor a line of the traceback.
    body = page.locator("body").inner_text()
    for secret in ("KeyError", "/srv/ecoqpv", "base-ic-evol", "crashing_page.py", "Traceback"):
        assert secret not in body
    # No « Ask Google » / « Ask ChatGPT » link: hidden, so neither read nor followed.
    assert box.locator("a:visible").count() == 0
    assert english_in(page) == []
    save_screenshot(page, "erreur_inattendue")
