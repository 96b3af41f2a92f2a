"""« Méthode »: the settings the scores of this annex were computed with (replayable with
``python -m reports annexe --methode``), how the scores are built, and the missing-value codes."""

from __future__ import annotations

import pandas as pd

from assembly.territory_table import FRAMES
from core import natures, reasons
from core.formats import format_number
from indicators.catalogue import DOMAINS
from indicators.scores import COVERAGE_RULE, DATA_DRAW_RULE, ROBUST_RULE
from indicators.methode import AGGREGATION_LABELS, NORMALISATION_LABELS
from reports.model import Block, Bullets, Column, Heading, Paragraph, Row, Table, TableBlock
from reports.options import AnnexOptions
from reports.wording import SECTION_METHOD, text_cell, weight_text


def settings_rows(options: AnnexOptions, table: pd.DataFrame) -> list[tuple[str, str]]:
    """(setting, value) in French: where the settings came from, domain weights, normalisation, frame…"""
    method = options.method
    rows = [("Réglages", f"fichier « {options.source} »" if options.source else
             ("réglages par défaut" if options.is_default() else "réglages choisis dans l'application"))]
    struct_domains = [d for d in DOMAINS if f"dom_{d}" in table.columns]
    for domain in struct_domains:
        rows.append((f"Poids du domaine « {DOMAINS[domain].label} » (pilier {DOMAINS[domain].pillar})",
                     weight_text(options.weight(domain))))
    frames = sorted(table["cadre"].dropna().unique()) if "cadre" in table else []
    ranked = sorted(table["cadre_classes"].dropna().unique()) if "cadre_classes" in table else []
    rows += [
        ("Normalisation", NORMALISATION_LABELS.get(method.normalisation, method.normalisation)),
        ("Agrégation des domaines", AGGREGATION_LABELS.get(method.aggregation, method.aggregation)),
        ("Cadre de comparaison", FRAMES.get(options.frame, options.frame)),
        ("Cadres utilisés pour ce territoire", " ; ".join(frames) if frames else "aucun"),
        ("Quartiers classés dans ces cadres (les rangs sont comptés parmi eux)", " ; ".join(ranked) if ranked
         else "aucun"),
        ("Seuil d'alerte", f"{format_number(method.alert_threshold, 0)}e centile"),
        ("Part minimale des indicateurs pour calculer un domaine", f"{format_number(100 * method.quorum, 0)} %"),
        ("Part minimale des domaines pour calculer un pilier", f"{format_number(100 * method.pillar_quorum, 0)} %"),
        ("Tirages Monte-Carlo (intervalle de rang)", format_number(method.draws, 0)),
        ("Graine aléatoire", str(method.seed)),
    ]
    rows += [("Remarque sur le fichier de réglages", notice) for notice in options.notices]
    return rows


def method_blocks(rows: list[tuple[str, str]], options: AnnexOptions) -> list[Block]:
    method = options.method
    settings_table = Table(key="reglages", title="Réglages utilisés",
                           columns=[Column("reglage", "Réglage", width=2.2), Column("valeur", "Valeur", width=1.8)],
                           rows=[Row([text_cell(k), text_cell(v)]) for k, v in rows])
    return [
        Heading(1, SECTION_METHOD, new_page=True),
        Heading(2, "Réglages utilisés pour cette annexe"),
        Paragraph("Ces réglages sont ceux avec lesquels les scores de ce document ont été calculés. Ils peuvent être "
                  "rejoués à l'identique avec la commande « python -m reports annexe --methode réglages.json ». "
                  "Les poids s'appliquent aux domaines, pas aux indicateurs, pour qu'un domaine riche en "
                  "indicateurs ne pèse pas davantage."),
        TableBlock(settings_table),
        Heading(2, "Construction des scores"),
        Bullets([
            "Chaque indicateur est converti en rang centile parmi les quartiers du cadre de comparaison (100 = "
            "situation la moins favorable), dans le sens de lecture de l'indicateur ; les ex æquo partagent le "
            "rang moyen, une valeur manquante n'est jamais classée.",
            "L'indice d'un domaine est la moyenne des rangs centiles disponibles de ses indicateurs ; il n'est "
            f"calculé que si au moins {format_number(100 * method.quorum, 0)} % de ses indicateurs sont renseignés.",
            "Les piliers Exposition et Vulnérabilité sont des moyennes pondérées des domaines (poids ci-dessus), "
            "ramenées sur 0-10 ; le score global est leur produit (0-100), élevé seulement en cas de cumul.",
            "Les valeurs communales (risques recensés, qualité de l'air) sont du contexte : elles n'entrent pas "
            "dans les scores, car elles effaceraient les écarts entre quartiers d'une même commune.",
            "Seules les valeurs autorisées dans les scores y entrent : valeurs officielles, valeurs officielles "
            "d'un QPV 2015 de même périmètre, estimations calibrées et calculs spatiaux ; une estimation par IRIS "
            "non calibrée n'y entre que pour un indicateur qui n'a pas de valeur officielle sur laquelle se "
            "calibrer (DPE, allocataires des aides au logement). Les autres valeurs sont affichées, jamais classées.",
            f"L'intervalle de rang résulte de {format_number(method.draws, 0)} tirages qui font varier les poids, "
            "la normalisation et l'agrégation et, dans les mêmes tirages, les valeurs estimées : " + DATA_DRAW_RULE,
            ROBUST_RULE,
            COVERAGE_RULE,
        ]),
        Heading(2, "Nature des valeurs"),
        Paragraph("Chaque valeur indique sa nature, partout où elle est affichée. Une estimation n'est jamais "
                  "présentée comme un chiffre publié."),
        Bullets([f"{natures.label(n)[0].upper()}{natures.label(n)[1:]} : {natures.description(n)}"
                 for n in natures.NATURES]),
        Heading(2, "Valeurs manquantes"),
        Bullets([label if label.startswith(reasons.short_label(code)) else f"{reasons.short_label(code)} : {label}"
                 for code, label in reasons.LABELS.items()]),
    ]
