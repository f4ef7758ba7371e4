"""What an organiser or an administrator pastes into another site to show events there:
the widget (one script tag and one element, whose link is what visitors without JavaScript
get) and the framed list. Here, not in a blueprint, because both the project's integrations
page and the municipality's set-up page give them."""

from __future__ import annotations

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from markupsafe import escape

from eventhub.core.models import Country, Municipality, Project
from eventhub.urls import external_url

# The language of a municipality's own site, for the snippet's link text.
COUNTRY_LANGUAGE = {Country.FI: "fi", Country.LV: "lv", Country.EE: "et"}


def project_snippets(project: Project) -> dict[str, str]:
    listing = external_url("integrations.embed_list", code=project.code)
    # In the project's language: the snippet goes on its sites, not the organiser's screen.
    language = project.language if project.language in current_app.config["LANGUAGES"] else None
    with force_locale(language or current_app.config["BABEL_DEFAULT_LOCALE"]):
        name = _("Upcoming events: %(name)s", name=project.name)
    return _snippets(f'project="{project.code}"', listing, name)


def municipality_snippets(municipality: Municipality) -> dict[str, str]:
    """A municipality's public events across projects; any site may show them."""
    listing = external_url("integrations.public_list", municipality=municipality.id)
    language = COUNTRY_LANGUAGE.get(municipality.country)
    if language not in current_app.config["LANGUAGES"]:
        language = current_app.config["BABEL_DEFAULT_LOCALE"]
    with force_locale(language):
        name = _("Upcoming events: %(name)s", name=municipality.name)
    return _snippets(f'municipality="{municipality.id}"', listing, name)


def _snippets(attribute: str, listing: str, text: str) -> dict[str, str]:
    name = escape(text)  # a name with "&" or "<" stays text on the host page
    script = external_url("integrations.widget_js")
    widget = (
        f"<eventhub-events {attribute}>"
        f'<a href="{listing}" target="_blank" rel="noopener">{name}</a>'
        f"</eventhub-events>\n"
        f'<script src="{script}" async></script>'
    )
    iframe = (
        f'<iframe src="{listing}" title="{name}" style="width:100%;min-height:24rem;border:0" '
        f'loading="lazy"></iframe>\n'
        f'<noscript><a href="{listing}">{name}</a></noscript>'
    )
    return {"widget": widget, "iframe": iframe, "listing": listing}
