"""A practice mirrored once per module; see tests/mirrored_practice.py."""

from tests.mirrored_practice import database_url, engine, practice, sandbox

__all__ = ["database_url", "engine", "practice", "sandbox"]
