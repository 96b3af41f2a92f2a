"""Data access: the store (bundle + updated territories), the one HTTP layer, the parsers and fetchers of
each publisher (``sources.publishers``) and the one source registry (``sources.registry``).

Imports only ``core`` and ``settings``; everything above reads data through here.
"""
