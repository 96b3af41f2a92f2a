"""The workshop slides (``assembly.atelier``), the names on its maps (``geodata.labels``) and the Mode atelier page
through ``AppTest``: every map shown differs between the places, a sentence replaces a map that would not, the
residents' sequence never shows a poverty map or a ranking word, the presentation mode has its counter and moves."""

from __future__ import annotations

import re

import pytest
from streamlit.testing.v1 import AppTest

from assembly import atelier
from core.errors import BadArgumentError
from geodata import labels, territories
from tests.conftest import ROOT

APP = str(ROOT / "app.py")
MONTPELLIER, NIMES, MARSEILLE = "COM:34172", "COM:30189", "COM:13055"
MOSSON = "QN03405M"
#: Indicators that describe poverty or money: never on a residents' slide.
MONEY = {"taux_pauvrete", "revenu_median", "part_allocataires_apl", "part_precarite_energetique"}


def _words(text: str) -> set[str]:
    return set(re.findall(r"[\wàâçéèêëîïôûùüÿœ]+", text.lower()))


@pytest.fixture(scope="module")
def residents() -> dict[str, list[atelier.Slide]]:
    return {key: atelier.slides(territories.resolve_key(key), "habitants") for key in (MONTPELLIER, NIMES, MARSEILLE)}


def test_residents_sequence_has_the_themes_of_the_issue(residents):
    ids = [s.theme.id for s in residents[MONTPELLIER]]
    assert ids[1:] == ["chaleur", "se_rafraichir", "logement_energie", "risques", "ce_que_vous_vivez"]
    assert [s.counter for s in residents[MONTPELLIER]] == [f"{i} / {len(ids)}" for i in range(1, len(ids) + 1)]


def test_no_poverty_map_nor_ranking_word_for_residents(residents):
    forbidden = set(atelier.RESIDENTS_FORBIDDEN)
    for key, slides in residents.items():
        for slide in slides:
            assert slide.indicator is None or slide.indicator.id not in MONEY, (key, slide.theme.id)
            found = _words(" ".join(slide.texts)) & forbidden
            assert not found, (key, slide.theme.id, found)


def test_partners_may_see_the_income_map():
    slides = atelier.slides(territories.resolve_key(MONTPELLIER), "partenaires")
    assert any(s.indicator is not None and s.indicator.id in MONEY for s in slides)


def test_every_map_shown_differs_between_the_places(residents):
    """A slide with a map has at least two colours among what it fills; otherwise it is a plan with a sentence."""
    for key, slides in residents.items():
        for slide in slides:
            if slide.kind == atelier.VALUES:
                filled = slide.qpv.loc[slide.qpv[slide.indicator.id].notna(), "couleur"]
                assert filled.nunique() >= 2, (key, slide.theme.id)
            elif slide.kind == atelier.ZONES:
                assert slide.zones["couleur"].nunique() >= 2, (key, slide.theme.id)
            else:
                assert slide.kind == atelier.PLAN and not slide.legend


def test_heat_is_the_local_climate_zones_where_the_bundle_has_them(residents):
    heat = residents[MONTPELLIER][1]
    assert heat.kind == atelier.ZONES and "LCZ" in heat.source and len(heat.legend) >= 2


def test_a_regional_grid_alike_everywhere_is_said_in_a_sentence(residents):
    """Nîmes: the 8 km grid gives every quartier the same number of hot days: no map, the sentence of the issue,
    and the question kept."""
    heat = residents[NIMES][1]
    assert heat.kind == atelier.PLAN
    said = " ".join(heat.sentences)
    assert "Même valeur pour tous les quartiers du territoire : 8 km de résolution" in said
    assert heat.theme.question.startswith("Où avez-vous trop chaud")


def test_a_grid_that_varies_is_still_not_a_residents_map(residents):
    """Marseille: no LCZ offline and no surface share; the grid varies a little but says nothing of a street."""
    heat = residents[MARSEILLE][1]
    assert heat.kind == atelier.PLAN
    assert "grille de 8 km" in " ".join(heat.sentences)


def test_cool_places_say_there_is_no_data_and_risks_are_the_communes(residents):
    for slides in residents.values():
        cool = next(s for s in slides if s.theme.id == "se_rafraichir")
        assert cool.kind == atelier.PLAN and "Pas de carte des espaces verts" in " ".join(cool.sentences)
        risks = next(s for s in slides if s.theme.id == "risques")
        assert "commune" in " ".join([risks.theme.lead, *risks.sentences])
        open_slide = slides[-1]
        assert open_slide.theme.id == "ce_que_vous_vivez" and open_slide.kind == atelier.PLAN


def test_scope_of_a_quartier_and_of_france():
    scope, selected = atelier.workshop_scope(territories.resolve("QPV", MOSSON))
    assert scope.key == "COM:34172" and selected == MOSSON
    with pytest.raises(BadArgumentError, match="pas pour la France entière"):
        atelier.workshop_scope(territories.resolve_key("FR"))
    with pytest.raises(BadArgumentError, match="Diapositive 9 inexistante"):
        atelier.slide(territories.resolve_key(MONTPELLIER), "habitants", 8)


def test_names_on_the_map_chosen_quartier_first_with_its_commune(residents):
    slide = residents[MONTPELLIER][0]
    points = labels.label_points(slide.qpv, slide.communes, slide.named_communes, MOSSON)
    assert points[0]["code"] == MOSSON and points[0]["choisi"] and points[0]["commune"] == "Montpellier"
    communes = [p for p in points if p["type"] == labels.COMMUNE]
    assert [p["texte"] for p in communes] == ["Montpellier"]
    # The commune's name is written within the view of its quartiers, not at the far end of the commune.
    minx, miny, maxx, maxy = slide.qpv.total_bounds
    assert minx <= communes[0]["lon"] <= maxx and miny <= communes[0]["lat"] <= maxy


# --- the page ---------------------------------------------------------------------------------------------------


def _page(**params: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    for name, value in params.items():
        at.query_params[name] = value
    at.run()
    return at.switch_page("app_pages/atelier.py").run()


def test_presentation_counter_moves_with_the_buttons_and_zooms_on_a_quartier():
    at = _page(territoire=MONTPELLIER, presentation="1", quartier=MOSSON)
    assert not at.exception, [e.value for e in at.exception]
    counter = lambda: next(m.value for m in at.markdown if re.fullmatch(r"\d / \d", m.value))  # noqa: E731
    assert counter() == "1 / 6"
    at.button(key="atelier_suivant").click().run()
    assert counter() == "2 / 6" and at.query_params["diapo"] == "2"
    at.button(key="atelier_precedent").click().run()
    assert counter() == "1 / 6"
    assert at.selectbox(key="atelier_quartier").value == MOSSON
    assert not at.radio  # presentation: no sequence or slide choice, the sidebar's widgets are hidden by CSS


def test_normal_layout_has_the_launch_button_and_the_notes_form():
    at = _page(territoire=MONTPELLIER)
    assert not at.exception, [e.value for e in at.exception]
    assert any(b.label == "Lancer la présentation" for b in at.button)
    assert any(t.label == "Ce que dit le groupe" for t in at.text_area)
    assert "Aucune donnée personnelle" in " ".join(c.value for c in at.caption)


def test_notes_are_recorded_edited_and_deleted_from_the_page(tmp_path, monkeypatch):
    import settings
    from core.text import markdown_text
    from loaders.local import remontees

    monkeypatch.setattr(settings, "DATA_DIR", tmp_path)
    at = _page(territoire=MONTPELLIER)
    at.selectbox(key="atelier_remontee_qpv").set_value(MOSSON)
    at.text_area(key="atelier_remontee_texte").input("<b>Pas d'ombre</b> à l'arrêt du tram.")
    at.button(key="FormSubmitter:atelier_remontee_formulaire-Enregistrer la remontée").click().run()
    assert not at.exception, [e.value for e in at.exception]
    [note] = remontees.notes()
    assert note.code_qp == MOSSON and note.texte == "<b>Pas d'ombre</b> à l'arrêt du tram."
    assert any("Remontée n° 1 enregistrée" in s.value for s in at.success)
    assert markdown_text(note.texte) in [m.value for m in at.markdown]  # shown as text, every mark escaped
    key = f"atelier_liste_edition_{note.id}"
    at.text_area(key=f"{key}_texte").input("Pas d'ombre à l'arrêt du tram, ni de banc.")
    at.button(key=f"FormSubmitter:{key}-Enregistrer").click().run()
    assert [n.texte for n in remontees.notes()] == ["Pas d'ombre à l'arrêt du tram, ni de banc."]
    at.checkbox(key=f"{key}_supprimer").check()
    at.button(key=f"FormSubmitter:{key}-Enregistrer").click().run()
    assert not at.exception and remontees.notes() == []
    assert any("Remontée n° 1 supprimée" in s.value for s in at.success)
