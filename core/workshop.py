"""Vocabulary of the workshops (Mode atelier): the themes a group talks about and who speaks.

Shared by the slides (``assembly.atelier``), the store of what groups say (``loaders.local.remontees``), the
pages and the annex, so that a note recorded on a slide, typed on the command line or read in the annex uses
the same words. Ids are stable (stored in the notes database); labels are what people read.
"""

from __future__ import annotations

#: Themes of a note, in the order of the residents' slides (id → French label).
THEMES: dict[str, str] = {
    "chaleur": "Chaleur",
    "se_rafraichir": "Se rafraîchir",
    "logement_energie": "Logement et énergie",
    "risques": "Risques",
    "ce_que_vous_vivez": "Ce que vous vivez",
    "autre": "Autre sujet",
}

#: Who speaks (id → French label). Groups only: never a person's name.
SPEAKERS: dict[str, str] = {
    "habitants": "Habitants",
    "equipe_quartier": "Équipe de quartier",
    "association": "Association",
    "partenaire": "Partenaire",
}

#: Longest text of one note (characters).
MAX_NOTE_CHARS = 2000

#: Said wherever a note is typed (form, command-line help).
NO_PERSONAL_DATA = ("Aucune donnée personnelle : ni nom, ni adresse, ni téléphone, ni courriel. Notez ce qui est dit, "
                    "pas qui le dit.")

#: Title of the notes wherever they are shown (Fiche quartier, annex): never mixed with statistics.
NOTES_TITLE = "Ce que disent les habitants et les équipes"
