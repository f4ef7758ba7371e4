"""The organiser action tail: after a view has loaded the object and checked its scope
(``access``), call the one service, commit, flash, redirect.

A service refuses with :class:`eventhub.core.services.errors.Refused`: then nothing is
committed, the refusal's message is flashed as an error and the organiser goes back to the
same place. Any other exception is a bug and propagates (the request rolls back).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

from flask import flash, redirect
from werkzeug.wrappers import Response

from eventhub.core.services.errors import Refused
from eventhub.extensions import db

T = TypeVar("T")


def act(call: Callable[[], T], *, done: str | Callable[[T], Iterable[str]], to: str) -> Response:
    """Run ``call``; commit and flash ``done`` (a text, or a function of the service's result
    giving the texts), or roll back and flash the refusal; then redirect (303) to ``to``."""
    try:
        result = call()
    except Refused as refused:
        db.session.rollback()
        flash(refused.message, "error")
    else:
        db.session.commit()
        for message in [done] if isinstance(done, str) else done(result):
            flash(message, "ok")
    return redirect(to, 303)
