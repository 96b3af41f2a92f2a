"""Local data of one installation, kept under ``ECOQPV_DATA_DIR``: indicators imported from the users' own
files and what workshop groups say (remontées). Never part of the bundle, never overwritten by an update.

``python -m loaders.local <commande> …`` is the command line; each subcommand lives in its own module of this
package and registers itself in ``__main__.SUBCOMMANDS``.
"""
