"""Text folded for search: case- and accent-insensitive, on every database alike."""

from __future__ import annotations

import unicodedata


def fold(value: str | None) -> str:
    """Lower-case `value` and strip its accents: "Zoë Núñez" -> "zoe nunez"."""
    if not value:
        return ""
    if value.isascii():  # nothing to strip; casefold is lower for ASCII
        return value.lower()
    decomposed = unicodedata.normalize("NFKD", value.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def search_key(*parts: object) -> str:
    """The folded words of `parts` joined by single spaces, for a `LIKE '%term%'` search."""
    words = " ".join(str(p) for p in parts if p not in (None, ""))
    return " ".join(fold(words).split())


def like_pattern(term: str) -> str:
    """A `LIKE` pattern (escape character backslash) that finds the folded `term` anywhere."""
    folded = " ".join(fold(term).split())
    escaped = folded.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def digits(value: str | None) -> str:
    """Only the digits of `value`: "(555) 010-2233" -> "5550102233"."""
    return "".join(c for c in value or "" if c.isdigit())
