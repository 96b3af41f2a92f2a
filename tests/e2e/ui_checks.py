"""What every page must pass in the browser (issue #15): no English word, ISO date or "13,5k" number in
what a person reads or hears, and no serious or critical axe-core violation.

* ``english_in(page)``: visible text (``innerText`` without ``aria-hidden`` parts), accessible names (ARIA
  snapshot) and ``aria-label``/``title``/``placeholder``/``alt`` attributes of the page **and every frame**
  (the map's iframe included), scanned for ``ENGLISH``, ``ISO_DATE`` and ``K_NUMBER``.
* ``run_axe(page)``: the vendored axe-core (``vendor/axe-core``, MPL-2.0, never served by the app) evaluated in
  every frame, then run from the top document, whose frame messenger collects the iframes' results.
"""

from __future__ import annotations

import contextlib
import re
from pathlib import Path
from typing import Any

AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]},
    "resultTypes": ["violations"],
}
BLOCKING_IMPACTS = frozenset({"serious", "critical"})

#: English words of Streamlit's, plotly's and Leaflet's chrome, and common English words. Case-sensitive where
#: French shares the spelling ("options", "Menu", "Format", "Zoom", "Suggestions", "Date", "Code" are French too).
ENGLISH = re.compile(
    r"\b(?:Upload|upload|Browse|browse|Drag and drop|per file|Choose|Clear|No results|No data|Download|"
    r"Search|Fullscreen|Help|Select|Remove|Running|Stopping|Page not found|Close|Sort|Show/hide|"
    r"Hide column|Pin column|Autosize|Skip to|Main menu|[Ss]idebar|Settings|Print|Rerun|Please wait|"
    r"Stop|Add files|Delete|Cancel|Loading|Expand|Collapse|View (?:more|less)|Deploy|Record|"
    r"Reset|Autoscale|Box Select|Lasso|Pan|Produced with|Dismiss|Show suggestions|available|selected|"
    r"Choose options|Selected values|Open|files?|results?|Zoom in|Zoom out|icon|"
    r"the|and|with|your|you|this|that|for|of|library|maps?)\b"
)
#: "2026-11-26": dates are written in French ("26 novembre 2026").
ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
#: "13,5k": plotly's SI suffixes; axes show "13 500".
K_NUMBER = re.compile(r"\b\d+(?:[.,]\d+)?[kM]\b")

_ATTRIBUTE_TEXTS_JS = """() => {
    const out = [], names = ['aria-label', 'title', 'placeholder', 'alt', 'aria-placeholder', 'data-title'];
    for (const el of document.querySelectorAll('[aria-label],[title],[placeholder],[alt],[aria-placeholder],[data-title]')) {
        for (const a of names) { const v = el.getAttribute(a); if (v) out.push(a + '=' + v); }
    }
    out.push('document.title=' + document.title);
    return out;
}"""

_VISIBLE_TEXT_JS = """() => {
    const clone = document.body.cloneNode(true);
    clone.querySelectorAll('[aria-hidden="true"], script, style, noscript').forEach(e => e.remove());
    document.body.appendChild(clone); clone.style.position = 'absolute'; clone.style.left = '-99999px';
    const text = clone.innerText; clone.remove(); return text;
}"""


def _names_only(snapshot: str) -> str:
    """ARIA snapshot without role keywords ("- option", "- button") and [level=1]-style flags."""
    lines = [re.sub(r"^(\s*-\s*)[a-z]+\b", r"\1", line) for line in snapshot.splitlines()]
    return re.sub(r"\[[a-z]+(?:=[^\]]*)?\]", "", "\n".join(lines))


def texts_of(page: Any) -> dict[str, list[str]]:
    """Visible text, accessible names and attribute texts of the page and of each of its frames."""
    out: dict[str, list[str]] = {}
    for index, frame in enumerate(page.frames):
        name = "page" if frame is page.main_frame else f"cadre {index} ({frame.url.split('?')[0][-50:]})"
        with contextlib.suppress(Exception):  # a frame navigating away: read on the next visit
            texts = [frame.evaluate(_VISIBLE_TEXT_JS)]
            texts += frame.evaluate(_ATTRIBUTE_TEXTS_JS)
            texts.append(_names_only(frame.locator("body").aria_snapshot()))
            out[name] = texts
    return out


def english_in(page: Any) -> list[str]:
    """Every English word, ISO date or "13,5k" number found, each with its context."""
    findings: set[str] = set()
    for where, texts in texts_of(page).items():
        for text in texts:
            for pattern in (ENGLISH, ISO_DATE, K_NUMBER):
                for match in pattern.finditer(text):
                    start = max(0, match.start() - 40)
                    findings.add(f"{where} : {match.group(0)!r} dans …{text[start:match.end() + 40]!r}")
    return sorted(findings)


def run_axe(page: Any) -> list[dict]:
    """axe-core's violations for the page and its iframes (axe injected in each frame, run from the top)."""
    source = AXE.read_text(encoding="utf-8")
    for frame in page.frames:
        with contextlib.suppress(Exception):
            if not frame.evaluate("() => !!window.axe"):
                frame.evaluate(source + "\n;void 0")
    result = page.evaluate("(options) => axe.run(document, options)", AXE_OPTIONS)
    return list(result["violations"])


def blocking(violations: list[dict]) -> list[str]:
    """One line per serious or critical violation: rule, number of elements, help, first targets."""
    lines = []
    for v in violations:
        if v.get("impact") in BLOCKING_IMPACTS:
            targets = [" >> ".join(map(str, n["target"])) for n in v["nodes"]][:4]
            lines.append(f"[{v['impact']}] {v['id']} ({len(v['nodes'])}) : {v['help']} — {targets}")
    return lines
