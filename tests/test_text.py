"""Text made inert before it reaches a page (core.text): the multi-line variant of markdown escaping.

The single-line helpers are checked against hostile names in tests/test_xss.py; here, a report of several
lines (the update report of the Données page quotes what servers answered) keeps its lines and its list,
and nothing else in it becomes markup.
"""

from __future__ import annotations

import pytest
from markdown_it import MarkdownIt

from core.text import markdown_lines, markdown_text
from tests.hostile import HTML_PAYLOADS, MARKDOWN_PAYLOADS


def _render(text: str) -> str:
    return MarkdownIt("commonmark").enable(["table", "strikethrough"]).render(text)


def test_lines_and_list_markers_are_kept():
    report = ("Mise à jour de Montpellier (COM:34172) : 22 quartier(s).\n"
              "Échecs :\n"
              "  - Source « Liste » : adresse refusée.\n"
              "  - Source « IRIS » : délai dépassé.")
    shown = markdown_lines(report)
    assert shown.count("\n") == report.count("\n")
    rendered = _render(shown)
    assert rendered.count("<li>") == 2
    assert "<li>Source « IRIS » : délai dépassé.</li>" in rendered
    assert "Mise à jour de Montpellier (COM:34172) : 22 quartier(s)." in rendered


@pytest.mark.parametrize("payload", [*HTML_PAYLOADS, *MARKDOWN_PAYLOADS, "# Titre", "1. premier", "> citation",
                                     "| a | b |", "~~barré~~", "`code`", "[lien](https://exemple.invalid)"])
def test_what_a_line_quotes_stays_text(payload):
    rendered = _render(markdown_lines(f"Échec :\n  - Source : « {payload} »"))
    tags = {tag for tag in ("<a ", "<img", "<code>", "<em>", "<strong>", "<h1>", "<ol>", "<blockquote>", "<table>",
                            "<s>", "<del>", "<script") if tag in rendered}
    assert not tags, rendered
    assert "<li>" in rendered


def test_each_line_is_escaped_like_a_single_line_text():
    assert markdown_lines("a *b*\n[c](d)") == markdown_text("a *b*") + "\n" + markdown_text("[c](d)")
    assert markdown_lines(None) == "" and markdown_lines(float("nan")) == ""
    assert markdown_lines("- *x*") == "- " + markdown_text("*x*")
