"""Assembly: what reads the store and hands frames to the pure computation (``indicators``, ``geodata``).

The territory table, the one fiche model (Fiche page and annex), the Comparer table, the coverage of the
Données page, the map layers and the rank shifts of the Méthode page. Results are cached on identifiers
and on ``sources.store.version()`` (never on frames), so that a page reads each table once.
"""
