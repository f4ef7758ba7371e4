"""Rendered parts of pages kept per revision of what they show.

A part of a page that is the same for every visitor until the rows it shows change (an event's
description and facts, an untouched signup form's fields) is rendered once per *key* and kept
as Markup in an LRU of this application (one per app, so tests with their own databases never
share it). The key is built from values read from the database with the request's rows (the
event's ``updated_at``, the places' revision, the reader's language), so a process never serves
a part older than the rows it has just read, whichever process changed them: invalidation is
by key, nothing is ever cleared by hand. Never keep anything that depends on the visitor, the
session, the CSRF token or counts that change between revisions (places left).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Hashable

from cachetools import LRUCache
from flask import current_app
from markupsafe import Markup

# Bounded by size, not count: a form's fields are a few kilobytes (about 4,000 characters
# with the background questions), an event's facts a few hundred characters. 4 million
# characters hold the parts of about 700 events in one language, and at most some 8 MB.
SIZE = 4_000_000

_lock = threading.Lock()


def _cache() -> LRUCache:
    return current_app.extensions.setdefault(
        "eventhub_fragments", LRUCache(maxsize=SIZE, getsizeof=len)
    )


def kept(key: Hashable, render: Callable[[], Markup]) -> Markup:
    """The part for ``key``, rendered by ``render()`` (a template macro: escaped Markup) the
    first time it is asked for."""
    cache = _cache()
    with _lock:
        html = cache.get(key)
    if html is None:
        html = render()
        if not isinstance(html, Markup):  # never keep text that was not escaped
            raise TypeError(f"a kept part must be Markup, not {type(html).__name__}")
        with _lock, contextlib.suppress(ValueError):  # larger than the whole cache: not kept
            cache[key] = html
    return html
