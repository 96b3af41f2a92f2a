"""Compatibility shim: the named errors now live in ``core.errors`` (a later restructure removes this)."""

from core.errors import *  # noqa: F401,F403
