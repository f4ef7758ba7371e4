"""The pages every kind of event shares: the listing and the event page with its signup form.

Format blueprints show their own listing with :func:`render_listing`; the registration
blueprint re-renders the event page with a submitted form's errors.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_skeleton
from flask import current_app, get_template_attribute, render_template, request
from flask_babel import get_locale
from markupsafe import Markup

from eventhub.core.db import utcnow
from eventhub.core.formatting import REGION_ZONE, format_locale
from eventhub.core.models import Country, EventKind
from eventhub.core.services import capacity, embed, formats, listing, places, search
from eventhub.web import embedding, fragments
from eventhub.web.signup_forms import build_form, form_fields_html

PAGE_SIZE = listing.PAGE_SIZE
MONTHS_AHEAD = 12
# The country a visitor reading each language most likely looks for: listed first.
LANGUAGE_COUNTRIES = {"fi": Country.FI, "lv": Country.LV, "et": Country.EE}


def render_listing(kind: EventKind | None, heading: str):
    """The listing page every kind's blueprint shows: filters and search as a plain GET
    form and links (bookmarkable, no JavaScript), a page at a time, the visitor's own
    country and language first unless they chose otherwise."""
    filters, chosen, page = _filters_from(request.args, kind)
    found = search.search_events(filters, page=page, per_page=PAGE_SIZE)
    return render_template(
        "events/list.html",
        events=found.items,
        availability=found.availability,
        found=found,
        heading=heading,
        kind=kind,
        page=page,
        more=page < found.pages,
        chosen=chosen,
        any_country={k: v for k, v in chosen.items() if k != "country"},
        choices=search.filter_choices(kind),
        months=_months(),
        kinds=[] if kind else list(EventKind),
    )


def _filters_from(args, kind: EventKind | None) -> tuple[search.EventFilters, dict, int]:
    """Filters from the query string. A value no form offers (a stale bookmark, a typo) is
    left out rather than refused: the page then shows more, never an error."""
    chosen: dict[str, str] = {}
    country = _enum(Country, args.get("country", "").upper())
    kind = kind or _enum(EventKind, args.get("kind", ""))
    municipality = args.get("municipality", type=int)
    project = args.get("project", type=int)
    language = args.get("language", "")
    language = language if language in current_app.config["LANGUAGES"] else None
    text = args.get("q", "").strip()[:200] or None
    ends_after, starts_before = _month_span(args.get("month", ""))
    for key, value in (
        ("country", country),
        ("kind", kind if "kind" in args else None),
        ("municipality", municipality),
        ("project", project),
        ("language", language),
        ("q", text),
        ("month", args.get("month") if ends_after else None),
    ):
        if value is not None:
            chosen[key] = str(value)
    locale = str(get_locale())
    filters = search.EventFilters(
        kind=kind,
        project_id=project,
        municipality_id=municipality,
        ends_after=ends_after,
        starts_before=starts_before,
        text=text,
        country=country,
        language=language,
        prefer_country=LANGUAGE_COUNTRIES.get(locale),
        prefer_language=locale,
    )
    page = min(max(args.get("page", 1, type=int), 1), listing.MAX_PAGE)
    return filters, chosen, page


def _enum(enum, value: str):
    try:
        return enum(value) if value else None
    except ValueError:
        return None


def _month_start(year: int, month: int) -> datetime:
    return datetime(year + (month - 1) // 12, (month - 1) % 12 + 1, 1, tzinfo=ZoneInfo(REGION_ZONE))


def _month_span(value: str) -> tuple[datetime | None, datetime | None]:
    """ "2026-12": from the start of December (or now) to the start of January."""
    try:
        year, month = (int(part) for part in value.split("-"))
        start = _month_start(year, month)
    except ValueError:
        return None, None
    return max(start, utcnow()), _month_start(year, month + 1)


def _months() -> list[tuple[str, str]]:
    """This month and the next ones, as ("2026-12", "joulukuu 2026") in the reader's language."""
    today = utcnow().astimezone(ZoneInfo(REGION_ZONE))
    months = []
    for ahead in range(MONTHS_AHEAD):
        start = _month_start(today.year, today.month + ahead)
        name = format_skeleton("yMMMM", start, locale=format_locale())
        months.append((f"{start:%Y-%m}", name))
    return months


def render_event_page(
    event, form=None, status: int = 200, refusal: str | None = None, embedded: bool = False
):
    """The event page with its signup form, with the errors of a submitted form or the
    reason a registration was refused; the formats add their parts (series, hackathon,
    programme) through the registry.

    ``embedded``: the page in the project widget's dialog on another site (see
    :mod:`eventhub.web.embedding`): its form carries a signed token instead of the session's
    CSRF token, and the page may be framed by the project's allowed sites.
    """
    form = form or build_form(event, meta={"csrf": not embedded})
    page = render_template(
        "events/detail.html",
        event=event,
        form=form,
        cached_form_fields=form_fields_html(form, _form_fields),
        parts=event_parts(event),
        availability=capacity.availability(event, event.places_taken),
        refusal=refusal,
        format_parts=formats.event_page_parts(event),
        embedded=embedded,
        embed_token=embed.signup_token(event.id) if embedded else None,
    )
    if embedded:
        return embedding.framed((page, status), event)
    return page, status


def event_parts(event) -> dict[str, Markup]:
    """The event page's parts that change only with the event's revision (its ``updated_at``,
    read with the event), the places' revision (the municipality's name), the project's
    name and organiser (read with the event), the confirmed organisations that run it (their
    calendars are linked; read per request, one query) and the reader's language, rendered
    once and kept (:mod:`eventhub.web.fragments`). The places left (and the JSON-LD that
    gives them), the form's token and the format's parts (a hackathon's teams, a forum's
    groups) are rendered per request."""
    project = event.project
    key = (
        "event page",
        event.id,
        event.updated_at,
        str(get_locale()),
        places.revision(),
        None
        if project is None
        else (
            project.name,
            project.organiser,
            tuple((o.id, o.name) for o in project.organisations if o.confirmed),
        ),
    )
    return {
        name: fragments.kept(
            (*key, name),
            lambda name=name: get_template_attribute("events/_parts.html", name)(event),
        )
        for name in ("when_where", "about", "alternates", "calendar")
    }


def _form_fields(form) -> Markup:
    return get_template_attribute("registration/_form_fields.html", "form_fields")(form)
