"""Données et sources: every source with publisher, licence, vintage, coverage and cache status, and the
online update of the chosen territory (with a progress bar and a French report).

The update's result is shown open, in plain French, headed by its verdict (what changed, what failed, by
the sources' French names); the source ids are only in a detail block. A failed update turns the progress
bar into a red "Échec" box (never a full bar reading "Terminé"); offline, one sentence says there is no
connection to the official sites, the update having given up at the first unreachable sites.

The page never takes a URL from a visitor: the mirror comes from the operator's configuration only
(``ECOQPV_MIRROR``, else the key ``ECOQPV_MIRROR`` of ``.streamlit/secrets.toml``) and is shown read-only;
a configured value that ``sources.http.check_mirror`` refuses disables the update with a French message.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

import settings
from indicators import catalogue
from assembly.coverage import coverage_table
from core.formats import format_number, french_date, french_datetime, plural
from sources import store
from core.errors import EcoqpvError
from core.paths import shown_under
from sources.http import check_mirror
from core.text import markdown_text
from geodata.territories import COUNTRY, qpv_codes
from app_pages.components import territory_selector, text_table, visitor_lines, visitor_text
from app_pages.donnees_locales import local_data_section


def configured_mirror() -> str | None:
    """The operator's mirror: ``ECOQPV_MIRROR`` from the environment, else from ``.streamlit/secrets.toml``."""
    if settings.MIRROR:
        return settings.MIRROR
    try:
        value = st.secrets.get("ECOQPV_MIRROR")
    except Exception:  # noqa: BLE001 - no secrets file (or an unreadable one): no mirror configured
        return None
    return str(value) if value not in (None, "") else None


territory = territory_selector()
st.title("Données et sources")
status = store.status()
bundle = status["bundle"]
st.markdown(
    f"Le jeu de données **embarqué** a été construit le **{french_date(bundle['construit_le'])}** par la commande "
    f"`{bundle['commande']}` à partir de copies des fichiers officiels ; chaque fichier source est listé plus bas "
    "avec son empreinte sha256."
)

st.subheader("Mettre à jour ce territoire")
st.markdown(
    f"Télécharge depuis les sites officiels (ANCT, Insee, ADEME, Géorisques, IGN…) les données de "
    f"**{territory.title}** : contours des quartiers, statistiques, IRIS, risques. Les données déjà chargées "
    "restent utilisées si une source ne répond pas."
)
mirror, mirror_error = None, None
try:
    mirror = check_mirror(configured_mirror())
except EcoqpvError as exc:
    mirror_error = str(exc)
if mirror_error:
    st.error(f"{visitor_text(mirror_error)} La mise à jour est désactivée tant que l'exploitant n'a pas corrigé la variable "
             "ECOQPV_MIRROR (environnement ou fichier .streamlit/secrets.toml).")
elif mirror:
    st.info(f"Miroir configuré par l'exploitant : {visitor_text(mirror)} (les adresses officielles sont demandées à ce miroir).")
else:
    st.caption("Aucun miroir : sources officielles. Pour un atelier hors connexion, l'exploitant de l'application "
               "peut configurer un miroir (voir le README).")
if st.button("Mettre à jour ce territoire", type="primary", key="donnees_maj", disabled=bool(mirror_error)):
    from loaders.update import update_territory
    from sources.registry import SOURCES, online_sources

    order = [src.key for src in online_sources()]
    bar_slot = st.empty()
    bar = bar_slot.progress(0.0, text="Préparation…")

    def progress(source: str, done: int, total: int | None, message: str = "") -> None:
        position = order.index(source) if source in order else 0
        fraction = min((position + (min(done / total, 1.0) if total else 0.0)) / max(len(order), 1), 0.99)
        label = SOURCES[source].label if source in SOURCES else source
        bar.progress(fraction, text=f"{label} : {message or format_number(done / 1e6, 1) + ' Mo'}")

    try:
        report = update_territory(territory, mirror=mirror, progress=progress)
    except EcoqpvError as exc:
        bar_slot.error(f"Échec de la mise à jour : {visitor_lines(exc)}")
    else:
        headline = visitor_lines(report.headline_fr())
        if report.failed:
            # Failure shown as failure: the bar gives way to a red box, never a full bar with "Terminé".
            bar_slot.error(f"Échec : {headline}")
        else:
            bar.progress(1.0, text="Terminé : toutes les sources demandées sont à jour.")
            st.success(headline)
        if not report.impossible:  # offline or mirror down: the one sentence above says it all
            st.markdown(visitor_lines(report.body_fr()))
        with st.expander("Détail technique : identifiants des sources"):
            if report.impossible:
                st.markdown(visitor_lines(report.body_fr()))
            st.markdown(visitor_lines(report.details_fr()))

st.subheader("État des données")
if status["mises_a_jour"]:
    st.dataframe(pd.DataFrame([{"Territoire": u["territoire"], "Mis à jour le": french_datetime(u["mis_a_jour_le"]),
                                # Relative to the data folder: the server's own paths are not shown to visitors.
                                "Dossier": shown_under(settings.DATA_DIR, u["dossier"])}
                               for u in status["mises_a_jour"]]),
                 hide_index=True, width="stretch")
else:
    st.markdown("Aucun territoire mis à jour en ligne : l'outil utilise le jeu embarqué.")
st.caption("Téléchargements et territoires mis à jour : dans le dossier de données de l'application (variable "
           "ECOQPV_DATA_DIR pour le déplacer) ; les dossiers sont indiqués par rapport à lui.")

st.subheader("Couverture des indicateurs")
# The chosen territory's quartiers: what an update of this territory (above) would complete.
coverage = coverage_table(None if territory.kind == COUNTRY else qpv_codes(territory))
st.caption(f"Territoire : **{markdown_text(territory.title)}** — nombre de ses quartiers qui ont une valeur dans les "
           "données chargées" + ("" if territory.kind == COUNTRY else " ; pour toute la France, choisissez « France "
                                 "entière » dans le panneau de gauche") + ".")
# A real table: every column in view, copied as a table into the method section of a diagnostic.
text_table(
    pd.DataFrame({
        "Indicateur": coverage["libelle"],
        "QPV 2015 renseignés": [f"{format_number(a)} / {format_number(b)}" for a, b in
                                zip(coverage["qpv_2015"], coverage["total_2015"], strict=True)],
        "QPV 2024 renseignés": [f"{format_number(a)} / {format_number(b)}" for a, b in
                                zip(coverage["qpv_2024"], coverage["total_2024"], strict=True)],
        "Raison la plus fréquente d'une valeur manquante": [
            reason or ("aucune valeur manquante" if complete else "non précisée")
            for reason, complete in zip(coverage["raison_principale"],
                                        (coverage["qpv_2015"] == coverage["total_2015"])
                                        & (coverage["qpv_2024"] == coverage["total_2024"]), strict=True)],
        "Millésime": coverage["millesime"],
    }).set_index("Indicateur"),
)

st.subheader("Indicateurs")
st.caption("Par domaine : unité, définition, millésime, échelle à laquelle la source publie, source et licence. "
           "Les tableaux se copient tels quels dans la partie « méthode » d'un diagnostic.")
# Real tables, one per domain (as on the fiche): definitions and sources wrap in view and copy into Word; the
# data grid cut them at its column width, hid half the columns at 1280 px and cannot be copied.
for domain in catalogue.DOMAINS.values():
    members = [ind for ind in catalogue.CATALOGUE if ind.domain == domain.id]
    if not members:
        continue
    with st.expander(f"{domain.label} — {plural(len(members), 'indicateur')}"):
        # Four columns, so that the definition has room at 1280 px.
        text_table(pd.DataFrame([{"Indicateur (unité)": f"{ind.label} ({ind.unit})", "Définition": ind.definition,
                                  "Millésime ; échelle de la source": f"{ind.vintage} ; {ind.level}",
                                  "Source — licence": f"{ind.source} — {ind.licence}"}
                                 for ind in members]).set_index("Indicateur (unité)"))

st.subheader("Fichiers sources du jeu embarqué")
inputs = pd.DataFrame(bundle["entrees"]).rename(
    columns={"fichier": "Fichier", "description": "Contenu", "editeur": "Éditeur", "licence": "Licence",
             "millesime": "Millésime", "sha256": "Empreinte sha256"}
)
st.dataframe(inputs[["Contenu", "Éditeur", "Licence", "Millésime", "Fichier", "Empreinte sha256"]],
             hide_index=True, width="stretch")
st.caption(bundle["credits"])

# The users' own data (issue #13): its own module, one call.
local_data_section()
