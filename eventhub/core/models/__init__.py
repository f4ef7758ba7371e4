"""Every model, importable from one place."""

from eventhub.core.models.base import (
    Country,
    EventKind,
    EventStatus,
    RegistrationStatus,
    Role,
)
from eventhub.core.models.door import DoorDevice, DoorTap, TapKind, TapOutcome
from eventhub.core.models.event import (
    PUBLIC_STATUSES,
    Event,
    EventCalendarEntry,
    EventQuestion,
    QuestionType,
)
from eventhub.core.models.forums import (
    DiscussionGroup,
    GroupChoice,
    ProgrammeItem,
    SessionHeadcount,
)
from eventhub.core.models.hackathons import (
    Challenge,
    Initiative,
    InitiativeStatus,
    MentoringSession,
    Team,
    TeamMember,
    TeamSeeker,
)
from eventhub.core.models.imports import ImportBatch, ImportedRow, ImportKind, ImportStatus
from eventhub.core.models.indicators import (
    GuidanceSession,
    GuidanceTopic,
    SurveyAnswer,
    SurveyInstrument,
    SurveyInvitation,
    SurveyReceipt,
    SurveyResponse,
)
from eventhub.core.models.integrations import (
    ApiToken,
    DeliveryStatus,
    EmbedOrigin,
    IdempotentRequest,
    Webhook,
    WebhookDelivery,
)
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
from eventhub.core.models.places import Municipality, Organisation, Place
from eventhub.core.models.project import Project, ProjectTarget
from eventhub.core.models.security import LoginSession, RateLimitCounter
from eventhub.core.models.user import AuditEntry, User
from eventhub.core.models.workshops import WorkshopSeries

__all__ = [
    "PUBLIC_STATUSES",
    "AgeBand",
    "ApiToken",
    "AuditEntry",
    "Attendance",
    "Challenge",
    "Country",
    "DeliveryStatus",
    "DiscussionGroup",
    "DoorDevice",
    "DoorTap",
    "EmbedOrigin",
    "Event",
    "EventCalendarEntry",
    "EventKind",
    "EventQuestion",
    "EventStatus",
    "Gender",
    "GroupChoice",
    "GuidanceSession",
    "GuidanceTopic",
    "Headcount",
    "IdempotentRequest",
    "ImportBatch",
    "ImportKind",
    "ImportStatus",
    "ImportedRow",
    "Initiative",
    "InitiativeStatus",
    "LabourStatus",
    "LoginSession",
    "MentoringSession",
    "Municipality",
    "Organisation",
    "OutboxMessage",
    "OutboxStatus",
    "Person",
    "Place",
    "ProgrammeItem",
    "Project",
    "ProjectTarget",
    "QuestionType",
    "RateLimitCounter",
    "Registration",
    "RegistrationStatus",
    "Role",
    "SessionHeadcount",
    "SurveyAnswer",
    "SurveyInstrument",
    "SurveyInvitation",
    "SurveyReceipt",
    "SurveyResponse",
    "TapKind",
    "TapOutcome",
    "Team",
    "TeamMember",
    "TeamSeeker",
    "User",
    "Webhook",
    "WebhookDelivery",
    "WorkshopSeries",
    "normalise_email",
]
