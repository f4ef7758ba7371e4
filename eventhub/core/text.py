"""Text for matching what people type against what was written: the one folding rule."""

from __future__ import annotations

import unicodedata


def fold(text: str) -> str:
    """Case-folded with accents removed, so "kyla" finds "Kylä" and "Õun", "oun"; ā ē ī ū š ž
    õ ä ö lose their marks. Used for the door list's search and the event search column."""
    decomposed = unicodedata.normalize("NFKD", (text or "").casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))
