"""Every model, importable from one place."""

from eventhub.core.models.base import (
    Country,
    EventKind,
    EventStatus,
    RegistrationStatus,
    Role,
)
from eventhub.core.models.event import Event, EventQuestion, QuestionType
from eventhub.core.models.outbox import OutboxMessage, OutboxStatus
from eventhub.core.models.people import (
    AgeBand,
    Attendance,
    Gender,
    Headcount,
    LabourStatus,
    Person,
    Registration,
    normalise_email,
)
from eventhub.core.models.places import Municipality, Organisation
from eventhub.core.models.project import Project, ProjectTarget
from eventhub.core.models.user import AuditEntry, User

__all__ = [
    "AgeBand",
    "AuditEntry",
    "Attendance",
    "Country",
    "Event",
    "EventKind",
    "EventQuestion",
    "EventStatus",
    "Gender",
    "Headcount",
    "LabourStatus",
    "Municipality",
    "Organisation",
    "OutboxMessage",
    "OutboxStatus",
    "Person",
    "Project",
    "ProjectTarget",
    "QuestionType",
    "Registration",
    "RegistrationStatus",
    "Role",
    "User",
    "normalise_email",
]
