"""No script from data: hostile names of quartiers and communes never become markup.

Names come from downloaded files (issue #14: ``<img src=x onerror=alert(1)>`` as a QPV name ran in the
map's tooltip). The map HTML is rendered as the browser receives it, parsed, and the tooltip is rebuilt
exactly as folium's script builds it (``innerHTML``) to check what a browser would insert. Pages are run
with ``AppTest`` on a data folder whose updated territory carries the hostile names.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from html.parser import HTMLParser

import pytest
from markdown_it import MarkdownIt
from streamlit.testing.v1 import AppTest

import settings
from core.text import html_text, markdown_text
from assembly import layers
from geodata import territories, webmap
from tests.conftest import ROOT
from tests.hostile import (
    HOSTILE_COMMUNE,
    HOSTILE_EPCI,
    HTML_PAYLOADS,
    MARKDOWN_PAYLOADS,
    TERRITORY,
    build_hostile_overlay,
    hostile_table,
)

APP = str(ROOT / "app.py")
#: Tags that only an injection could bring into the map document or a tooltip.
FOREIGN_TAGS = {"img", "svg", "iframe", "object", "embed", "b", "a"}
EVENT_ATTRIBUTE = re.compile(r"^on", re.I)


class _Parsed(HTMLParser):
    """Start tags (with attributes) and text of an HTML fragment; character references decoded."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)

    @property
    def plain(self) -> str:
        return "".join(self.text)

    def shape(self) -> Counter:
        """Tag names with their attribute names: the structure of the document, values aside."""
        return Counter((tag, tuple(sorted(attrs))) for tag, attrs in self.tags)


def _render(qpv, label="Taux de pauvreté", unit="%", vintage="2019", communes=None) -> str:
    fmap = webmap.choropleth_map(qpv, "taux_pauvrete", label=label, unit=unit, vintage=vintage, decimals=1,
                                 communes=communes, tiles=False)
    return fmap.get_root().render()


def _layer(table):
    territory = territories.resolve_key(TERRITORY)
    return layers.qpv_layer(territory, 2024, "taux_pauvrete", table)


def _geojson_arguments(html: str) -> list[dict]:
    """The FeatureCollections handed to Leaflet (``geo_json_…_add({...})``), decoded as the browser would."""
    decoder = json.JSONDecoder()
    found = []
    for match in re.finditer(r"geo_json_\w+_add\(", html):
        if html[match.end()] == "{":
            found.append(decoder.raw_decode(html, match.end())[0])
    return found


def _tooltip_inner_html(html: str, properties: dict) -> str:
    """The tooltip's HTML as folium's script builds it: ``<th>alias</th><td>property</td>`` per field."""
    fields = json.loads(re.search(r"let fields = (\[.*?\]);", html).group(1))
    aliases = json.loads(re.search(r"let aliases = (\[.*?\]);", html).group(1))
    rows = "".join(
        f"<tr><th>{alias}</th><td>{'' if properties.get(field) is None else properties[field]}</td></tr>"
        for field, alias in zip(fields, aliases, strict=True)
    )
    return f"<table>{rows}</table>"


def _legend_inner_html(html: str) -> str:
    return json.loads(re.search(r'div\.innerHTML = (".*?");\n', html).group(1))


# --------------------------------------------------------------------------------------------------
# The helpers themselves
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", [*HTML_PAYLOADS, HOSTILE_COMMUNE, HOSTILE_EPCI, "L'Ariane & \"Les Moulins\""])
def test_html_text_reads_back_as_the_same_text_without_tags(text):
    parsed = _Parsed(f"<p title=\"{html_text(text)}\">{html_text(text)}</p>")
    assert [tag for tag, _ in parsed.tags] == ["p"]
    assert parsed.tags[0][1]["title"] == text  # safe inside an attribute too
    assert parsed.plain == text


@pytest.mark.parametrize("text", [*HTML_PAYLOADS, *MARKDOWN_PAYLOADS, HOSTILE_COMMUNE, "# Titre\n- liste",
                                  "`code` ~~barré~~ > citation", "| a | b |", "&lt;b&gt; \\", "Saint-Exupéry (2)"])
def test_markdown_text_renders_as_plain_text(text):
    rendered = MarkdownIt("commonmark").enable(["table", "strikethrough"]).render(markdown_text(text))
    parsed = _Parsed(rendered)
    assert [tag for tag, _ in parsed.tags] == ["p"], rendered
    assert parsed.plain.strip() == " ".join(text.split("\n")), rendered


def test_missing_values_are_empty_texts():
    assert html_text(None) == "" and markdown_text(float("nan")) == ""


# --------------------------------------------------------------------------------------------------
# The map HTML
# --------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def hostile_map():
    table = hostile_table()
    qpv = _layer(table)
    outlines = layers.commune_outlines(territories.resolve_key(TERRITORY))
    return table, qpv, _render(qpv, communes=outlines)


def test_raw_payloads_never_reach_the_map_document(hostile_map):
    table, qpv, html = hostile_map
    drawn = set(qpv["lib_qp"])
    assert {p for p in HTML_PAYLOADS if p != "javascript:alert(1)"} <= drawn, "the payloads must be on the map"
    for payload in [*HTML_PAYLOADS, HOSTILE_COMMUNE]:
        if "<" in payload:
            assert payload not in html, payload
    parsed = _Parsed(html)
    assert not {tag for tag, _ in parsed.tags} & FOREIGN_TAGS
    assert not [attrs for _, attrs in parsed.tags if any(EVENT_ATTRIBUTE.match(a) for a in attrs)]
    assert not [attrs for _, attrs in parsed.tags
                if any((v or "").strip().lower().startswith("javascript:") for v in attrs.values())]


def test_hostile_names_do_not_change_the_document_structure(hostile_map):
    table, qpv, html = hostile_map
    benign = table.assign(lib_qp=[f"Quartier {i}" for i in range(len(table))], lib_com="Carcassonne")
    outlines = layers.commune_outlines(territories.resolve_key(TERRITORY))
    reference = _render(_layer(benign), communes=outlines)
    assert _Parsed(html).shape() == _Parsed(reference).shape()


def test_tooltips_show_names_as_text(hostile_map):
    table, qpv, html = hostile_map
    collections = _geojson_arguments(html)
    features = [f for c in collections for f in c["features"] if f["properties"].get("code_qp")]
    assert len(features) == len(qpv) >= 5
    names = dict(zip(table["code_qp"], table["lib_qp"], strict=True))
    for feature in features:
        tooltip = _Parsed(_tooltip_inner_html(html, feature["properties"]))
        assert {tag for tag, _ in tooltip.tags} == {"table", "tr", "th", "td"}, tooltip.tags
        assert all(not attrs for _, attrs in tooltip.tags)
        # The browser shows exactly the name of the data, as text.
        assert names[feature["properties"]["code_qp"]] in tooltip.plain
        assert HOSTILE_COMMUNE in tooltip.plain


def test_legend_aliases_and_title_are_escaped(hostile_map):
    _, qpv, _ = hostile_map
    label, unit, vintage = HTML_PAYLOADS[0], HTML_PAYLOADS[1], HTML_PAYLOADS[4]
    # Each value's vintage and nature come from the data too (the tooltip shows them): hostile as well.
    qpv = qpv.assign(**{f"taux_pauvrete{webmap.VINTAGE_SUFFIX}": vintage, f"taux_pauvrete{webmap.NATURE_SUFFIX}": label})
    html = _render(qpv, label=label, unit=unit, vintage=vintage)
    for payload in (label, unit, vintage):
        assert payload not in html
    legend = _Parsed(_legend_inner_html(html))
    assert {tag for tag, _ in legend.tags} <= {"div", "span"}
    assert label in legend.plain and unit in legend.plain and vintage in legend.plain
    aliases = json.loads(re.search(r"let aliases = (\[.*?\]);", html).group(1))
    heading = _Parsed(aliases[2])
    assert heading.tags == [] and heading.plain == label
    values = [f for c in _geojson_arguments(html) for f in c["features"] if f["properties"].get("code_qp")]
    tooltip = _Parsed(_tooltip_inner_html(html, values[0]["properties"]))
    assert {tag for tag, _ in tooltip.tags} == {"table", "tr", "th", "td"}
    assert vintage in tooltip.plain
    if values[0]["properties"].get("taux_pauvrete") is not None:
        assert values[0]["properties"]["nature"] == html_text(label)


# --------------------------------------------------------------------------------------------------
# Pages on a data folder whose updated territory carries the hostile names
# --------------------------------------------------------------------------------------------------


@pytest.fixture
def hostile_data(tmp_path, monkeypatch):
    names = build_hostile_overlay(tmp_path)
    monkeypatch.setattr(settings, "DATA_DIR", tmp_path)
    layers.clear_cache()
    yield names
    layers.clear_cache()


_UNESCAPED = re.compile(r"(?<!\\)[<>\[\]`*$]")


def _texts(at: AppTest) -> list[tuple[str, str, bool]]:
    """(kind, body, allows HTML) of every text element of the page (the sidebar is part of the tree)."""
    found = []
    for kind in ("markdown", "caption", "info", "warning", "error", "success", "header", "subheader", "title"):
        for element in getattr(at, kind):
            body = element.proto.body
            found.append((kind, body, bool(getattr(element.proto, "allow_html", False))))
    return found


def _strings(node):
    """Every text inside decoded JSON."""
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from _strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value)


def _payload_free(body: str) -> bool:
    return not any(p in body for p in (*HTML_PAYLOADS, *MARKDOWN_PAYLOADS, HOSTILE_COMMUNE, HOSTILE_EPCI))


@pytest.mark.parametrize("page", ["app_pages/accueil.py", "app_pages/carte.py", "app_pages/fiche.py", "app_pages/comparer.py",
                                  "app_pages/methode.py", "app_pages/annexe.py", "app_pages/atelier.py"])
def test_pages_show_hostile_names_as_text(hostile_data, page):
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["territoire"] = TERRITORY
    at.run()
    at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    texts = _texts(at)
    assert texts
    for kind, body, allows_html in texts:
        if allows_html:  # HTML blocks: only the page's own paragraphs, every text escaped
            parsed = _Parsed(body)
            assert {tag for tag, _ in parsed.tags} <= {"p"}, (kind, body)
            assert all(not EVENT_ATTRIBUTE.match(a) for _, attrs in parsed.tags for a in attrs)
        else:  # markdown: data-derived texts arrive with every markup character escaped
            assert _payload_free(body), (kind, body)
    for component in at.get("component_instance"):
        script = json.loads(component.proto.json_args).get("script", "")
        for payload in (*HTML_PAYLOADS, HOSTILE_COMMUNE):
            if "<" in payload:
                assert payload not in script, payload
    for chart in at.get("plotly_chart"):  # Plotly labels read a few HTML tags: names arrive escaped
        strings = list(_strings(json.loads(chart.proto.spec)))
        assert not [s for s in strings for p in HTML_PAYLOADS if "<" in p and p in s]


def test_comparer_table_cells_and_headers_are_text(hostile_data):
    """``st.table`` reads Markdown in every cell and header: hostile quartier names must arrive escaped."""
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["territoire"] = TERRITORY
    at.run()
    at.switch_page("app_pages/comparer.py").run()
    codes = list(hostile_data)[:4]
    at.multiselect(key="comparer_qpv").set_value(codes).run()
    assert not at.exception, [e.value for e in at.exception]
    assert len(at.table) == 2, "comparaison et rangs attendus"
    texts = []
    for element in at.table:  # the comparison and the ranks: both carry the names
        table = element.value
        texts += [str(table.index.name), *map(str, table.columns), *map(str, table.index)]
        texts += [str(cell) for cell in table.to_numpy().ravel()]
    assert any("\\<" in text or "\\[" in text for text in texts)  # the hostile names are there, escaped
    assert all(_payload_free(text) for text in texts), [t for t in texts if not _payload_free(t)]
    for text in texts:  # and read back as the names themselves
        rendered = _Parsed(MarkdownIt("commonmark").render(text))
        assert not {tag for tag, _ in rendered.tags} - {"p"}, text


def test_fiche_title_is_the_hostile_name_escaped(hostile_data):
    code, name = next(iter(hostile_data.items()))
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["territoire"] = TERRITORY
    at.run()
    at.session_state["qpv_selectionne"] = code
    at.switch_page("app_pages/fiche.py").run()
    assert not at.exception
    assert [h.proto.body for h in at.header] == [markdown_text(name)]
    rendered = MarkdownIt("commonmark").render(at.header[0].proto.body)
    assert _Parsed(rendered).plain.strip() == name


def test_atelier_map_and_questions_for_every_theme(hostile_data):
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["territoire"] = TERRITORY
    at.run()
    at.switch_page("app_pages/atelier.py").run()
    for index in range(len(at.radio(key="atelier_diapo").options)):  # every slide of the residents' sequence
        at.radio(key="atelier_diapo").set_value(index).run()
        assert not at.exception
        components = at.get("component_instance")
        assert components, "the workshop map is drawn"
        script = json.loads(components[0].proto.json_args)["script"]
        assert any(code in script for code in hostile_data)  # the hostile quartiers are on this map
        for payload in HTML_PAYLOADS:
            if "<" in payload:
                assert payload not in script
        # The large texts are styled by the page's CSS: no markdown block lets HTML through, every text is escaped.
        assert not [m.proto.body for m in at.markdown if m.proto.allow_html]
        assert all(_payload_free(m.proto.body) for m in at.markdown)
