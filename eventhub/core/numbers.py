"""The one reader of ids and whole numbers that arrive as text (URLs, query strings, forms).

``str.isdigit()`` is true for "²" and "٣", ``int()`` accepts " 7 ", "1_000" and "٣" but not
"²": checks built from the two disagree, and what slips between them ends as a 500. Here only
ASCII digits count, and a number beyond the database's 32-bit integer columns is no number.
"""

from __future__ import annotations

import re

# Ids and counts are 32-bit integers in the database.
DB_INT_MAX = 2**31 - 1

_DIGITS = re.compile(r"[0-9]{1,10}")


def parse_int(value: object, *, low: int = 0, high: int = DB_INT_MAX) -> int | None:
    """``value`` as a whole number between ``low`` and ``high``, or None if it is not one.

    Surrounding spaces are allowed; signs, underscores and non-ASCII digits are not."""
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and _DIGITS.fullmatch(value.strip(" \t")):
        number = int(value.strip(" \t"))
    else:
        return None
    return number if low <= number <= high else None


def parse_id(value: object) -> int | None:
    """A database id (1 .. 2**31-1) from text, or None."""
    return parse_int(value, low=1)
