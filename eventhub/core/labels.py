"""Human names of the enumerations, translated at display time."""

from flask_babel import lazy_gettext as _l

from eventhub.core.models import (
    AgeBand,
    Country,
    DataRequestStatus,
    Education,
    EventKind,
    EventStatus,
    Gender,
    InitiativeStatus,
    LabourStatus,
    RegistrationStatus,
    ResultItem,
    Role,
)

KIND_LABELS = {
    EventKind.WORKSHOP: _l("Workshop"),
    EventKind.HACKATHON: _l("Hackathon"),
    EventKind.FORUM: _l("Forum"),
    EventKind.TRAINING: _l("Training"),
    EventKind.INFO_SESSION: _l("Info session"),
    EventKind.NETWORK_MEETING: _l("Network meeting"),
    EventKind.STUDY_TRIP: _l("Study trip"),
    EventKind.MENTORING: _l("Mentoring"),
    EventKind.GUIDANCE: _l("Guidance"),
}

KIND_PLURALS = {
    EventKind.WORKSHOP: _l("Workshops"),
    EventKind.HACKATHON: _l("Hackathons"),
    EventKind.FORUM: _l("Forums"),
}

EVENT_STATUS_LABELS = {
    EventStatus.DRAFT: _l("Draft"),
    EventStatus.PUBLISHED: _l("Published"),
    EventStatus.CANCELLED: _l("Cancelled"),
    EventStatus.HELD: _l("Held"),
}

REGISTRATION_STATUS_LABELS = {
    RegistrationStatus.PENDING: _l("Waiting for approval"),
    RegistrationStatus.CONFIRMED: _l("Confirmed"),
    RegistrationStatus.WAITLISTED: _l("On the waiting list"),
    RegistrationStatus.CANCELLED: _l("Cancelled"),
    RegistrationStatus.REJECTED: _l("Not accepted"),
}

COUNTRY_LABELS = {
    Country.FI: _l("Finland"),
    Country.LV: _l("Latvia"),
    Country.EE: _l("Estonia"),
}

GENDER_LABELS = {
    Gender.WOMAN: _l("Woman"),
    Gender.MAN: _l("Man"),
    Gender.NON_BINARY: _l("Non-binary"),
    Gender.UNDISCLOSED: _l("Prefer not to say"),
}

AGE_BAND_LABELS = {
    AgeBand.UNDER_18: _l("Under 18"),
    AgeBand.AGE_18_29: _l("18-29"),
    AgeBand.AGE_30_54: _l("30-54"),
    AgeBand.AGE_55_PLUS: _l("55 and over"),
}

LABOUR_STATUS_LABELS = {
    LabourStatus.EMPLOYED: _l("Employed"),
    LabourStatus.UNEMPLOYED: _l("Unemployed"),
    LabourStatus.LONG_TERM_UNEMPLOYED: _l("Long-term unemployed"),
    LabourStatus.INACTIVE: _l("Outside the labour force"),
    LabourStatus.IN_EDUCATION: _l("In education or training"),
}

EDUCATION_LABELS = {
    Education.ISCED_0_2: _l("Basic education or less (ISCED 0-2)"),
    Education.ISCED_3_4: _l("Upper secondary or post-secondary (ISCED 3-4)"),
    Education.ISCED_5_8: _l("Higher education (ISCED 5-8)"),
}

RESULT_ITEM_LABELS = {
    ResultItem.IN_EDUCATION: _l("In education or training"),
    ResultItem.QUALIFICATION: _l("Gained a qualification"),
    ResultItem.EMPLOYED: _l("In employment, including self-employment"),
    ResultItem.JOB_SEARCHING: _l("Searching for a job"),
}

# The result items as the follow-up questionnaire asks them.
RESULT_ITEM_QUESTIONS = {
    ResultItem.IN_EDUCATION: _l("Are you now in education or training?"),
    ResultItem.QUALIFICATION: _l("Have you gained a qualification since you joined the project?"),
    ResultItem.EMPLOYED: _l("Are you now employed, including self-employed?"),
    ResultItem.JOB_SEARCHING: _l("Are you now searching for a job?"),
}

INITIATIVE_STATUS_LABELS = {
    InitiativeStatus.IDEA: _l("Idea"),
    InitiativeStatus.LAUNCHED: _l("Launched"),
    InitiativeStatus.CONTINUED: _l("Continued"),
    InitiativeStatus.ENDED: _l("Ended"),
}

ROLE_LABELS = {
    Role.ADMIN: _l("Administrator"),
    Role.MANAGER: _l("Project manager"),
    Role.CHECKIN: _l("Check-in staff"),
}

LANGUAGE_NAMES = {
    "fi": "Suomi",
    "en": "English",
    "lv": "Latviešu",
    "et": "Eesti",
}

DATA_REQUEST_STATUS_LABELS = {
    DataRequestStatus.AWAITING: _l("Waiting for confirmation"),
    DataRequestStatus.OPEN: _l("Confirmed: data shown"),
    DataRequestStatus.ERASED: _l("Erased"),
    DataRequestStatus.KEPT: _l("Erased; a project keeps records"),
    DataRequestStatus.EXPIRED: _l("Link never confirmed"),
    DataRequestStatus.CLOSED: _l("Closed"),
}
