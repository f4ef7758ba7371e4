"""Organiser accounts. Participants never need one."""

from __future__ import annotations

import hashlib
from datetime import datetime

from flask import current_app
from flask_login import UserMixin
from sqlalchemy import JSON, Column, ForeignKey, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from eventhub.core.db import UTCDateTime, utcnow
from eventhub.core.models.base import Role, Timestamps, str_enum
from eventhub.core.models.event import Event
from eventhub.core.models.project import Project
from eventhub.extensions import db

user_project = Table(
    "user_project",
    db.metadata,
    Column("user_id", ForeignKey("user.id", ondelete="CASCADE"), primary_key=True),
    Column("project_id", ForeignKey("project.id", ondelete="CASCADE"), primary_key=True),
)

user_event = Table(
    "user_event",
    db.metadata,
    Column("user_id", ForeignKey("user.id", ondelete="CASCADE"), primary_key=True),
    Column("event_id", ForeignKey("event.id", ondelete="CASCADE"), primary_key=True),
)


class User(UserMixin, Timestamps, db.Model):
    """An organiser: admin (everything), manager (assigned projects), check-in staff."""

    __tablename__ = "user"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[Role] = mapped_column(str_enum(Role, "role"))
    active: Mapped[bool] = mapped_column(default=True)
    # Set when an account is made by invitation and cleared when the invited person has
    # chosen a password: until then nobody can sign in to it.
    invited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # Managers see these projects; check-in staff see only the events they are assigned to.
    projects: Mapped[list[Project]] = relationship(secondary=user_project)
    events: Mapped[list[Event]] = relationship(secondary=user_event)

    def set_password(self, password: str) -> None:
        method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")
        self.password_hash = generate_password_hash(password, method=method)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def get_id(self) -> str:
        """What the session remembers: the id and a fingerprint of the password hash, so that
        changing the password (a reset after a lost phone) ends every other session."""
        return f"{self.id}:{self.session_fingerprint}"

    @property
    def session_fingerprint(self) -> str:
        return hashlib.sha256(self.password_hash.encode()).hexdigest()[:16]

    @property
    def is_active(self) -> bool:  # flask-login
        return self.active

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role}>"


class AuditEntry(db.Model):
    """Who changed what and when: check-ins, approvals, edits. Shown to admins."""

    __tablename__ = "audit_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(64))
    event_id: Mapped[int | None] = mapped_column(
        ForeignKey("event.id", ondelete="SET NULL"), index=True
    )
    object_type: Mapped[str] = mapped_column(String(40), default="")
    object_id: Mapped[int | None]
    details: Mapped[dict] = mapped_column(JSON, default=dict)

    user: Mapped[User | None] = relationship()
    event: Mapped[Event | None] = relationship()
