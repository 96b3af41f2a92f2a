"""The sections of the annex, in reading order: each module returns its blocks (``reports.model``).

``summary`` (title page and synthesis), ``domains`` (maps and tables per domain), ``fiches`` (one page
per QPV, rendered from ``assembly.fiche``), ``action``, ``method``, ``limits`` and ``sources``;
``reports.build`` puts them together.
"""
