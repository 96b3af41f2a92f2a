"""One module per publisher: how its files are read (parsers) and fetched for a territory (fetchers).

``common`` holds the one reading policy every parser shares. The registry (``sources.registry``) points
at these functions; a publisher module never imports the registry (it receives its ``Source`` entry).
"""
