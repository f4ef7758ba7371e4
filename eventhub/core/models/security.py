"""State that must be shared by every app server: organiser sign-ins and rate-limit counts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from eventhub.core.db import UTCDateTime, utcnow
from eventhub.extensions import db


class LoginSession(db.Model):
    """One signed-in browser. Signing out deletes the row, so a copy of the session cookie
    opens nothing afterwards, whichever app server it is sent to. The cookie holds the token;
    the table keeps only its SHA-256."""

    __tablename__ = "login_session"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RateLimitCounter(db.Model):
    """A fixed-window request count of flask-limiter's database store (eventhub.limits)."""

    __tablename__ = "rate_limit_counter"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    count: Mapped[int] = mapped_column(default=0)
    # Seconds since the epoch: compared with time.time() by the store, as limits does.
    expires_at: Mapped[float] = mapped_column(Float, index=True)
