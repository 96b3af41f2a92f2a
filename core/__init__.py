"""Common core of ecoqpv: the bottom layer, importing nothing of ours but ``settings``.

* ``core.errors`` — the named errors, each carrying a French message for the person using the tool;
* ``core.paths`` — the one safe path function for everything written under ``ECOQPV_DATA_DIR``, the
  names of temporary files and folders (with the writer's process id) and their cleaning.
"""
