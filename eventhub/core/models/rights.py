"""A participant's request to see, correct or erase what eventhub holds about them
(GDPR articles 15-17). See eventhub.core.services.data_requests and docs/privacy.md."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eventhub.core.db import UTCDateTime, utcnow
from eventhub.core.models.base import str_enum
from eventhub.core.models.people import Person
from eventhub.extensions import db


class DataRequestStatus(enum.StrEnum):
    AWAITING = "awaiting"  # mailed, its link not yet opened
    OPEN = "open"  # confirmed: the participant sees, corrects and may erase
    ERASED = "erased"  # erased (or anonymised) at once
    KEPT = "kept"  # erased except what a project keeps for a legal reason (see reasons)
    EXPIRED = "expired"  # the confirmation link was never opened in time
    CLOSED = "closed"  # open for its 30 days, then closed


class DataRequest(db.Model):
    """One request, made from a manage link or by address on the public page.

    Holds no address and no name: the person is named by id only, so the request can be kept
    as the record that it was answered after the person has been erased. ``token_hash`` is
    the SHA-256 of the random part of the mailed link. ``kept_reasons`` maps a project id to
    the reason its records were kept from an erasure (GDPR art. 17(3)).
    """

    __tablename__ = "data_request"
    __table_args__ = (Index("ix_data_request_status_created", "status", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    status: Mapped[DataRequestStatus] = mapped_column(
        str_enum(DataRequestStatus, "data_request_status"), default=DataRequestStatus.AWAITING
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    locale: Mapped[str] = mapped_column(String(8), default="en")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    kept_reasons: Mapped[dict] = mapped_column(JSON, default=dict)

    person: Mapped[Person] = relationship()

    def __repr__(self) -> str:
        return f"<DataRequest {self.id} {self.status}>"
