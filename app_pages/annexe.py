"""Annexe diagnostic: method choices and downloads of the annex (Word, PDF, Excel, CSV, maps).

Display only: every file is produced by ``reports`` when its button is clicked (deferred download),
from the same annex whatever the format.
"""

from __future__ import annotations

import functools

import streamlit as st

import reports
from core.text import markdown_text
from core.formats import format_number, plural
from assembly.territory_table import territory_table
from geodata.territories import COUNTRY
from app_pages.components import current_method, method_caption, method_notices, territory_selector
from reports import pdf
from reports.wording import territory_title
from reports.options import AnnexOptions

territory = territory_selector()
st.title("Annexe diagnostic")
st.caption(markdown_text(territory_title(territory)))
st.markdown(
    "Un document prêt à insérer dans le contrat de ville : synthèse, cartes et tableaux par domaine, une fiche "
    "par quartier, méthode, limites et sources. Le fichier Word reste modifiable (styles de titres et de "
    "tableaux de Word) ; le tableur garde des nombres calculables."
)

if territory.kind == COUNTRY:
    st.info("L'annexe diagnostic se prépare pour le territoire d'un contrat de ville (EPCI ou commune), un "
            "département ou une région : choisissez-en un dans le panneau de gauche. Le tableau de tous les QPV "
            "de France s'obtient avec la commande « python -m indicators table --territoire FR ».")
    st.stop()

table = territory_table(territory, with_scores=False)
if table.empty:
    st.info("Aucun quartier prioritaire n'est rattaché à ce territoire dans les données chargées : pas d'annexe.")
    st.stop()

with_contour = int(table["a_contour"].astype(bool).sum())
left, middle, right = st.columns(3)
left.metric("Quartiers", format_number(len(table)))
middle.metric("Quartiers cartographiés", format_number(with_contour))
right.metric("Communes", format_number(table["lib_com"].nunique()))
if with_contour == 0:
    st.warning(
        "Cartes non disponibles : les contours des quartiers de ce territoire ne sont pas dans les données "
        "embarquées. L'annexe contiendra tous les tableaux et une note à la place des cartes."
    )
elif with_contour < len(table):
    without = len(table) - with_contour
    st.info(f"{plural(without, 'quartier')} sans contour hors ligne : "
            + ("présent dans les tableaux, absent des cartes." if without == 1
               else "présents dans les tableaux, absents des cartes."))

method, frame = current_method()
options = AnnexOptions(method=method, frame=frame, notices=method_notices())
st.markdown(f"**Méthode citée dans l'annexe** : {method_caption()} Pour la changer (poids des domaines, cadre, "
            "normalisation) ou importer un fichier de réglages, utilisez la page *Méthode et pondérations*.")
for notice in options.notices:  # cited in the annex's method section too
    st.warning(markdown_text(notice))


def _produce(territory_key: str, fmt: str, settings_json: str, notices: tuple[str, ...]) -> bytes:
    """Deferred generation (runs when the button is clicked)."""
    from geodata import territories
    from reports.options import options_from_text

    chosen = options_from_text(settings_json, notices=notices)
    return reports.export(territories.resolve_key(territory_key), fmt, chosen)


def _maps(territory_key: str, settings_json: str, notices: tuple[str, ...]) -> bytes:
    from geodata import territories
    from reports.options import options_from_text

    annex = reports.annex_for(territories.resolve_key(territory_key), options_from_text(settings_json, notices=notices))
    return reports.maps_zip(annex)


settings_json = options.to_json()
st.subheader("Télécharger")
st.caption("Le document est produit au clic : quelques secondes, davantage pour le PDF et les grands territoires.")
buttons = st.columns(len(reports.FORMATS) + 1)
for column, (fmt, (_, mime, label)) in zip(buttons, reports.FORMATS.items(), strict=False):
    disabled = fmt == "pdf" and not pdf.available()
    column.download_button(
        label, data=functools.partial(_produce, territory.key, fmt, settings_json, options.notices),
        file_name=reports.file_name(territory, fmt), mime=mime, key=f"annexe_{fmt}", on_click="ignore",
        disabled=disabled, help="LibreOffice n'est pas installé sur ce serveur : exporter en Word puis enregistrer "
        "en PDF." if disabled else None, width="stretch")
buttons[-1].download_button(
    "Cartes (PNG et SVG)", data=functools.partial(_maps, territory.key, settings_json, options.notices),
    file_name=reports.file_name(territory, "zip").replace("annexe_diagnostic", "cartes"), mime="application/zip",
    key="annexe_cartes", on_click="ignore", disabled=with_contour == 0, width="stretch",
    help="Aucun contour disponible pour ce territoire." if with_contour == 0 else "Cartes à 300 dpi et en SVG.")
if not pdf.available():
    st.caption("PDF indisponible sur ce serveur (LibreOffice absent).")

with st.expander("Réglages au format JSON (pour refaire la même annexe en ligne de commande)"):
    st.code(settings_json, language="json")
    st.download_button("Télécharger les réglages", data=settings_json, file_name="reglages_annexe.json",
                       mime="application/json", key="annexe_reglages", on_click="ignore")
    st.caption(f"python -m reports annexe --territoire {territory.key} --format docx --out annexe.docx "
               "--methode reglages_annexe.json")
