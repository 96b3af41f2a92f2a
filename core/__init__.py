"""Common core of ecoqpv: the bottom layer, importing nothing of ours (``settings`` itself reads the
environment through ``core.settings_model``).

What every layer above shares, defined once:

* ``errors`` — the named errors, each carrying a French message for the person using the tool;
* ``reasons`` — the missing-value reason codes and their French words;
* ``formats`` — French numbers and dates (Babel);
* ``text`` — text made inert for HTML and markdown, cleaned where it enters, folded for sorting;
* ``cli`` — the French argparse parser and the error → exit code rule of the three command lines;
* ``territory_kinds`` — the kinds of territory and their columns;
* ``checksums`` — file digests (sha256 of manifests, publishers' checksums);
* ``paths`` — the one safe path function under ``ECOQPV_DATA_DIR``, temporary names, disk errors in French;
* ``exports`` — tabular exports that never run a formula;
* ``settings_model`` — reading the ``ECOQPV_*`` variables with French messages.
"""
