"""Records brought in by file: a batch per upload, and the rows it added.

A batch is staged (parsed, shown as a preview, nothing else written) until the organiser
confirms it; then its rows are added in one transaction. Every added row keeps a stable key
(a hash of what the row says) so that importing the same file again adds nothing, and the
id of what it created so that the batch can be undone as a whole.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eventhub.core.db import UTCDateTime, utcnow
from eventhub.core.models.base import str_enum
from eventhub.core.models.event import Event
from eventhub.core.models.project import Project
from eventhub.core.models.user import User
from eventhub.extensions import db


class ImportKind(enum.StrEnum):
    ATTENDANCE = "attendance"
    GUIDANCE = "guidance"
    PAST_EVENTS = "past_events"


class ImportStatus(enum.StrEnum):
    STAGED = "staged"
    IMPORTED = "imported"
    UNDONE = "undone"


class ImportBatch(db.Model):
    """One uploaded file. ``token`` is the random id the preview and confirm pages use;
    ``staged`` holds the parsed rows until the organiser confirms (then it is emptied)."""

    __tablename__ = "import_batch"
    __table_args__ = (Index("ix_import_batch_project_created", "project_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[ImportKind] = mapped_column(str_enum(ImportKind, "import_kind"))
    status: Mapped[ImportStatus] = mapped_column(
        str_enum(ImportStatus, "import_status"), default=ImportStatus.STAGED
    )
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    event_id: Mapped[int | None] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    filename: Mapped[str] = mapped_column(String(200), default="")
    rows_in_file: Mapped[int] = mapped_column(default=0)
    rows_added: Mapped[int] = mapped_column(default=0)
    rows_existing: Mapped[int] = mapped_column(default=0)
    staged: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    imported_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    undone_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    project: Mapped[Project] = relationship()
    event: Mapped[Event | None] = relationship()
    user: Mapped[User | None] = relationship()


class ImportedRow(db.Model):
    """A row an import added: its stable key (unique per project and kind, so a second
    import of the same row finds it) and the id of the record it created."""

    __tablename__ = "imported_row"
    __table_args__ = (UniqueConstraint("project_id", "kind", "row_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(
        ForeignKey("import_batch.id", ondelete="CASCADE"), index=True
    )
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    kind: Mapped[ImportKind] = mapped_column(str_enum(ImportKind, "import_kind"))
    row_key: Mapped[str] = mapped_column(String(64))
    object_id: Mapped[int]
