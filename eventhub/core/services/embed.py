"""The sites allowed to embed a project's events (the widget and its framed list).

An origin is a scheme, a host and a port, written as the browser sends it in ``Origin``
(``https://www.joensuu.fi``). The widget's data answers those origins (CORS) and the framed
list may be framed by them (CSP ``frame-ancestors``); no other site gets either.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask_babel import gettext as _
from sqlalchemy import select

from eventhub.core.models import EmbedOrigin, Project, User
from eventhub.core.services import access, audit
from eventhub.core.services.errors import Refused
from eventhub.extensions import db

MAX_ORIGINS = 20


class OriginRefused(Refused):
    pass


def normalise_origin(text: str) -> str:
    """``https://Example.fi/page`` -> ``https://example.fi``; :class:`OriginRefused` if it is
    not a web address."""
    try:
        parts = urlsplit(text.strip())
        port = parts.port
    except ValueError:
        port = None
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise OriginRefused(
            _("'%(text)s' is not a site address like https://www.example.fi.", text=text.strip())
        )
    default = 443 if parts.scheme == "https" else 80
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    return f"{parts.scheme}://{host}" + (f":{port}" if port and port != default else "")


def origins_of(project_id: int) -> list[str]:
    return list(
        db.session.scalars(
            select(EmbedOrigin.origin)
            .where(EmbedOrigin.project_id == project_id)
            .order_by(EmbedOrigin.origin)
        )
    )


def set_origins(user: User, project: Project, text: str) -> list[str]:
    """Replace the project's allowed origins by those in ``text`` (one per line)."""
    if not access.may_manage_project(user, project):
        raise OriginRefused(_("You do not manage this project."))
    wanted = list(
        dict.fromkeys(normalise_origin(line) for line in text.splitlines() if line.strip())
    )
    if len(wanted) > MAX_ORIGINS:
        raise OriginRefused(_("Give at most %(num)d sites.", num=MAX_ORIGINS))
    current = {
        o.origin: o
        for o in db.session.scalars(select(EmbedOrigin).where(EmbedOrigin.project_id == project.id))
    }
    for origin, row in current.items():
        if origin not in wanted:
            db.session.delete(row)
    for origin in wanted:
        if origin not in current:
            db.session.add(EmbedOrigin(project_id=project.id, origin=origin))
    db.session.flush()
    audit.record("embed_origins_changed", user=user, project_id=project.id, count=len(wanted))
    return wanted


def allowed(project_id: int, origin: str | None) -> bool:
    if not origin:
        return False
    try:
        origin = normalise_origin(origin)
    except OriginRefused:
        return False
    return origin in origins_of(project_id)
