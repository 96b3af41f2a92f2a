"""The report of a territory update, in plain French: what changed, what failed, how far the estimates were.

``UpdateReport`` collects one ``SourceOutcome`` per source and the rebuild's result; ``summary_fr()`` is
the text printed by ``python -m loaders update``, shown open on the Données page and written next to
the territory's tables (``primary/<KIND>-<CODE>/rapport.md``). It opens with the verdict (done, done with
failures, impossible for lack of connection), then what changed and what failed, by the sources' French
names; the source ids only appear in ``details_fr()`` (a detail block).

``calibration_check(before, after)`` is the check on real data made at each update that loads the
official INSEE values of the QPV 2024 (Filosofi 2021, population RP 2020): for the values they replace
(carried from a QPV 2015 of the same perimeter, calibrated or plain IRIS estimates), the mean gap, the
mean absolute gap and the share of official values inside the estimates' 90 % intervals, per indicator.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from core import formats, natures
from indicators import catalogue
from sources.registry import SOURCES

STATUS_LABELS = {
    "mis_a_jour": "mise à jour",
    "inchange": "inchangée depuis le dernier téléchargement",
    "sans_objet": "sans objet pour ce territoire",
    "copie_precedente": "en échec : copie précédente conservée",
    "echec": "en échec",
    "non_tentee": "non tentée : délai maximal atteint",
    "non_demande": "non demandée : copie précédente utilisée",
    "embarque": "données du jeu embarqué",
}
FAILED = ("copie_precedente", "echec", "non_tentee")
#: Natures that an official QPV 2024 value replaces and whose distance to it is measured.
REPLACED_NATURES = (natures.OFFICIAL_2015_SAME_PERIMETER, natures.CALIBRATED, natures.IRIS_ESTIMATE)


@dataclass
class SourceOutcome:
    key: str
    label: str
    status: str
    vintage: str | None = None
    message: str = ""
    nbytes: int = 0
    requests: int = 0
    seconds: float = 0.0
    files: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict:
        src = SOURCES[self.key]
        return {"cle": self.key, "libelle": self.label, "editeur": src.publisher, "licence": src.licence,
                "millesime": self.vintage or src.vintage, "statut": self.status, "message": self.message,
                "adresse": src.url, "octets": self.nbytes, "requetes": self.requests,
                "fichiers": self.files}


def _size(nbytes: int) -> str:
    if nbytes < 100_000:
        return f"{formats.format_number(nbytes / 1e3, 0)} ko"
    return f"{formats.format_number(nbytes / 1e6, 2)} Mo"


@dataclass
class UpdateReport:
    """What an update did, per source, with a French summary (``summary_fr``)."""

    territory: str
    label: str
    folder: Path | None = None
    outcomes: list[SourceOutcome] = field(default_factory=list)
    built: bool = False
    build_error: str | None = None
    qpv: int = 0
    seconds: float = 0.0
    budget: float | None = None
    offline: bool = False
    mirror: str | None = None
    sent: int | None = None  # requests really sent (every attempt), when known
    calibration: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def failed(self) -> dict[str, str]:
        out = {o.key: o.message for o in self.outcomes if o.status in FAILED}
        if self.build_error:
            out["reconstruction"] = self.build_error
        return out

    @property
    def updated(self) -> list[SourceOutcome]:
        return [o for o in self.outcomes if o.status in ("mis_a_jour", "inchange")]

    @property
    def nbytes(self) -> int:
        return sum(o.nbytes for o in self.outcomes)

    @property
    def requests(self) -> int:
        return sum(o.requests for o in self.outcomes)

    @property
    def exit_code(self) -> int:
        return 1 if self.failed else 0

    def _chosen(self, *statuses: str) -> list[SourceOutcome]:
        return [o for o in self.outcomes if o.status in statuses]

    def _reached(self) -> list[SourceOutcome]:
        """Sources that got an answer (a source "without object" here counts only if it asked something)."""
        return self.updated + [o for o in self._chosen("sans_objet") if o.requests]

    @property
    def impossible(self) -> bool:
        """Nothing could be reached: offline, or a mirror that refuses every connection (one sentence says it)."""
        if self._reached():
            return False
        tried = self._chosen("copie_precedente", "echec")
        unreachable = bool(tried) and all("connexion impossible" in o.message for o in tried)
        return self.offline or (unreachable and bool(self.mirror))

    def headline_fr(self) -> str:
        """One sentence: the verdict of the update."""
        where = f"Mise à jour de {self.label} ({self.territory})"
        reached = self._reached()
        if self.offline and not reached:
            return (f"{where} impossible : pas de connexion aux sites officiels (aucun site n'a répondu). Les "
                    "données déjà chargées restent utilisées ; vérifiez la connexion à Internet, ou demandez à "
                    "l'exploitant de configurer un miroir.")
        if self.impossible:
            return (f"{where} impossible : le miroir {self.mirror} ne répond pas (connexion impossible). Les données "
                    "déjà chargées restent utilisées ; vérifiez que le miroir est allumé et joignable.")
        if not self.failed:
            return f"{where} réussie."
        counts = []
        failed = self._chosen("copie_precedente", "echec")
        if failed:
            counts.append(formats.plural(len(failed), "source en échec", "sources en échec"))
        skipped = self._chosen("non_tentee")
        if skipped:
            counts.append(formats.plural(len(skipped), "source non tentée", "sources non tentées") + " (délai maximal atteint)")
        if self.build_error:
            counts.append("reconstruction du territoire impossible")
        if not reached:
            return (f"{where} en échec : aucune source mise à jour ({', '.join(counts)}) ; les données déjà chargées "
                    "restent utilisées.")
        return f"{where} terminée avec des échecs : " + ", ".join(
            [formats.plural(len(self.updated), "source à jour", "sources à jour"), *counts]) + "."

    def summary_fr(self) -> str:
        """The whole report: the verdict (``headline_fr``), then ``body_fr``."""
        return self.headline_fr() + "\n" + self.body_fr()

    def body_fr(self) -> str:
        """What changed, what failed, the check of the estimates, the other sources and the totals."""
        lines = [f"Territoire : {formats.plural(self.qpv, 'quartier', 'quartiers')} prioritaires."]
        changed = self._chosen("mis_a_jour")
        lines.append("")
        lines.append("Ce qui a changé :")
        for o in changed:
            lines.append(f"  - {o.label} : mise à jour ({self._vintage(o)}{self._size(o)}){self._note(o)}")
        if self.built and self.folder is not None:
            lines.append(f"  - Tableau du territoire reconstruit ({self.folder}).")
        elif not self.build_error:
            lines.append("  - Aucune donnée nouvelle : le tableau du territoire n'a pas été modifié.")
        failures = self._chosen(*FAILED)
        if failures or self.build_error:
            lines.append("")
            lines.append("Ce qui a échoué (les données déjà chargées sont conservées) :")
            for o in failures:
                kept = " Copie précédente conservée." if o.status == "copie_precedente" or (
                    o.status == "non_tentee" and o.files) else ""
                lines.append(f"  - {o.message}{kept}")
            if self.build_error:
                lines.append(f"  - Reconstruction du territoire : {self.build_error}")
        if self.calibration:
            lines.append("")
            lines.extend(calibration_lines(self.calibration))
        for note in self.notes:
            lines.append("")
            lines.append(note)
        groups = (
            ("Sources inchangées (déjà à jour)", ("inchange",)),
            ("Sans objet pour ce territoire", ("sans_objet",)),
            ("Non demandées (copie précédente utilisée)", ("non_demande",)),
            ("Données du jeu embarqué (pas d'accès en ligne par territoire)", ("embarque",)),
        )
        for title, statuses in groups:
            chosen = self._chosen(*statuses)
            if not chosen:
                continue
            lines.append("")
            lines.append(f"{title} :")
            for o in chosen:
                note = self._note(o) if o.status != "embarque" else ""
                lines.append(f"  - {o.label} ({self._vintage(o)}{self._size(o)}){note}")
        lines.append("")
        budget = (f" (délai maximal : {formats.format_number(self.budget, 0)} s)" if self.budget else "")
        sent = self.requests if self.sent is None else self.sent
        lines.append(f"Total : {_size(self.nbytes)} téléchargés, {formats.plural(sent, 'requête envoyée', 'requêtes envoyées')}"
                     f" (nouvelles tentatives comprises), {formats.format_number(self.seconds, 1)} s{budget}.")
        return "\n".join(lines)

    def details_fr(self) -> str:
        """Per source: its id, French name, status and figures (the detail block of the Données page)."""
        lines = ["Détail par source (identifiant — nom — statut) :"]
        for o in self.outcomes:
            figures = f" ; {_size(o.nbytes)}, {formats.plural(o.requests, 'requête', 'requêtes')}" if o.requests or o.nbytes \
                else ""
            lines.append(f"  - {o.key} — {o.label} — {STATUS_LABELS.get(o.status, o.status)}{figures}")
        return "\n".join(lines)

    def markdown(self) -> str:
        """The report as written next to the territory's tables (``rapport.md``)."""
        return (f"# Rapport de mise à jour : {self.label} ({self.territory})\n\n"
                + self.summary_fr() + "\n\n" + self.details_fr() + "\n")

    @staticmethod
    def _vintage(o: SourceOutcome) -> str:
        return f"millésime : {o.vintage or SOURCES[o.key].vintage}"

    @staticmethod
    def _size(o: SourceOutcome) -> str:
        return f", {_size(o.nbytes)}" if o.nbytes else ""

    @staticmethod
    def _note(o: SourceOutcome) -> str:
        return f" — {o.message}" if o.message else ""


# ---------------------------------------------------------------------------------------------------
# How far the estimates were from the official values (checked on real data at each update)
# ---------------------------------------------------------------------------------------------------


def calibration_check(before: pd.DataFrame, after: pd.DataFrame, official_details: tuple[str, ...]) -> list[dict]:
    """Per indicator, how far the values replaced by official INSEE QPV 2024 values were from them.

    ``before``: the value table of the embedded bundle (estimates and carried values); ``after``: the
    territory's new value table; ``official_details``: the ``detail`` of the rows written from the
    official QPV 2024 files (``loaders.online_values``). Only the QPV whose value was carried or
    estimated (``REPLACED_NATURES``) are compared; gaps are *estimate − official*. Returns one dict per
    indicator (French keys, as written in the manifest), empty when nothing was replaced.
    """
    if after.empty or before.empty:
        return []
    new = after[(after["nature"] == natures.OFFICIAL) & after["detail"].isin(list(official_details))
                & after["valeur"].notna()]
    if new.empty:
        return []
    old = before[before["nature"].isin(list(REPLACED_NATURES)) & before["valeur"].notna()]
    columns = ["code_qp", "indicateur", "valeur", "nature", "ic_bas", "ic_haut", "millesime"]
    old = old.reindex(columns=columns)
    pairs = new[["code_qp", "indicateur", "valeur", "millesime"]].merge(
        old, on=["code_qp", "indicateur"], suffixes=("_officiel", "_estime"))
    out = []
    for indicator, group in pairs.groupby("indicateur", sort=True):
        official = group["valeur_officiel"].astype(float)
        estimate = group["valeur_estime"].astype(float)
        gap = estimate - official
        with_interval = group["ic_bas"].notna() & group["ic_haut"].notna()
        inside = (official >= group["ic_bas"]) & (official <= group["ic_haut"]) & with_interval
        relative = (gap / official.where(official != 0)).dropna()
        meta = catalogue.get(str(indicator))
        out.append({
            "indicateur": str(indicator),
            "libelle": meta.label,
            "unite": meta.unit,
            "quartiers": int(len(group)),
            "natures_remplacees": {str(k): int(v) for k, v in group["nature"].value_counts().sort_index().items()},
            "millesime_officiel": _mode(group["millesime_officiel"]),
            "millesime_estimations": _mode(group["millesime_estime"]),
            "ecart_moyen": float(gap.mean()),
            "ecart_absolu_moyen": float(gap.abs().mean()),
            "ecart_relatif_moyen": float(relative.mean()) if len(relative) else None,
            "avec_intervalle": int(with_interval.sum()),
            "dans_intervalle": int(inside.sum()),
            "part_dans_intervalle": float(inside.sum() / with_interval.sum()) if with_interval.any() else None,
        })
    return out


def _mode(series: pd.Series) -> str | None:
    values = series.dropna().astype(str)
    return values.value_counts().index[0] if len(values) else None


def _gap(value: float, unit: str) -> str:
    sign = "+" if value > 0 else ("−" if value < 0 else "")
    if unit == "%":
        return f"{sign}{formats.format_number(abs(value), 1)} point{'s' if abs(value) >= 2 else ''}"
    decimals = 0 if unit in ("€", "habitants") else 1
    return f"{sign}{formats.format_number(abs(value), decimals)}\u00a0{unit}".rstrip()


def calibration_lines(check: list[dict]) -> list[str]:
    """The check in plain French, one line per indicator, then the vintage note."""
    lines = ["Valeurs officielles de l'Insee pour les QPV 2024 : elles remplacent les valeurs estimées ou reprises "
             "du QPV 2015, et l'écart mesuré vérifie les estimations sur des données réelles :"]
    notes: dict[tuple[str, str], list[str]] = {}
    for row in check:
        n = row["quartiers"]
        replaced = ", ".join(f"{formats.format_number(c)} {natures.label(k)}" for k, c in row["natures_remplacees"].items())
        direction = ("estimation trop haute en moyenne" if row["ecart_moyen"] > 0 else
                     "estimation trop basse en moyenne" if row["ecart_moyen"] < 0 else "sans biais")
        relative = ""
        if row["unite"] != "%" and row["ecart_relatif_moyen"] is not None:
            share = 100 * row["ecart_relatif_moyen"]
            relative = f", {'+' if share > 0 else '−' if share < 0 else ''}{formats.format_number(abs(share), 1)} %"
        text = (f"  - {row['libelle']} : {formats.plural(n, 'valeur officielle', 'valeurs officielles')} "
                f"({row['millesime_officiel'] or 'millésime non précisé'}) à la place de : {replaced}. "
                f"Écart moyen de l'estimation : {_gap(row['ecart_moyen'], row['unite'])}{relative} ({direction}) ; "
                f"écart absolu moyen : {_gap(row['ecart_absolu_moyen'], row['unite']).lstrip('+')}")
        if row["avec_intervalle"]:
            inside = formats.plural(row["dans_intervalle"], "valeur officielle", "valeurs officielles")
            text += (f" ; {inside} sur {formats.format_number(row['avec_intervalle'])} dans l'intervalle à 90 % "
                     f"de l'estimation ({formats.format_number(100 * row['part_dans_intervalle'], 0)} %)")
        else:
            text += " ; pas d'intervalle à comparer (estimations sans intervalle)"
        lines.append(text + ".")
        if row["millesime_estimations"] and row["millesime_officiel"] and \
                row["millesime_estimations"] != row["millesime_officiel"]:
            notes.setdefault((row["millesime_estimations"], row["millesime_officiel"]), []).append(row["libelle"])
    for (old, new), labels in sorted(notes.items()):
        lines.append(f"  À noter ({', '.join(labels)}) : les estimations portent sur {old}, les valeurs officielles "
                     f"sur {new} ; une partie de l'écart vient de ce changement de millésime, pas seulement de "
                     "l'estimation.")
    return lines
