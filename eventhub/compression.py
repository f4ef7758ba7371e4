"""gzip for feeds and API answers, for clients that ask for it (Accept-Encoding: gzip).

Calendar feeds are text that compresses about tenfold, and subscribers poll them all day.
A compressed body is kept by its ETag (the same bytes give the same compressed bytes), so a
feed is compressed once per change, not once per subscriber. The compressed answer's ETag
is the weak form of the plain one: If-None-Match compares weakly, so either copy
revalidates to 304.
"""

from __future__ import annotations

import gzip
import threading
from collections import OrderedDict

from flask import Response, request

MIN_SIZE = 500  # below this, the headers cost more than compression saves
_KEPT = 32
_kept: OrderedDict[str, bytes] = OrderedDict()
_lock = threading.Lock()


def gzip_if_accepted(response: Response) -> Response:
    """Compress ``response`` in place when the client accepts gzip and it is worth it."""
    response.vary.add("Accept-Encoding")
    if (
        response.status_code != 200
        or response.direct_passthrough
        or "Content-Encoding" in response.headers
        or "gzip" not in request.accept_encodings
        or request.method == "HEAD"
    ):
        return response
    body = response.get_data()
    if len(body) < MIN_SIZE:
        return response
    etag, weak = response.get_etag()
    compressed = _compressed(etag, body)
    response.set_data(compressed)
    response.headers["Content-Encoding"] = "gzip"
    if etag:
        response.set_etag(etag, weak=True)
    return response


def _compressed(etag: str | None, body: bytes) -> bytes:
    if etag is None:
        return gzip.compress(body, compresslevel=6, mtime=0)
    with _lock:
        found = _kept.get(etag)
        if found is not None:
            _kept.move_to_end(etag)
            return found
    found = gzip.compress(body, compresslevel=6, mtime=0)
    with _lock:
        _kept[etag] = found
        while len(_kept) > _KEPT:
            _kept.popitem(last=False)
    return found
