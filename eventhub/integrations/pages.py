"""The project's integrations page: API tokens, webhooks (with their delivery logs) and the
embedding settings with the snippets to copy."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from eventhub.core.models import ApiToken, Project, Webhook, WebhookDelivery
from eventhub.core.services import access, api_tokens, embed, webhooks
from eventhub.core.services.api_tokens import Scope
from eventhub.core.services.errors import Refused
from eventhub.core.services.webhooks import Action
from eventhub.extensions import db
from eventhub.integrations import bp
from eventhub.integrations.forms import (
    ACTION_LABELS,
    SCOPE_LABELS,
    OriginsForm,
    TokenForm,
    WebhookForm,
)
from eventhub.urls import external_url
from eventhub.web.actions import act
from eventhub.web.decorators import manager_required
from eventhub.web.embed_snippets import project_snippets

PREFIX = "/organiser/projects/<int:project_id>/integrations"


def _page(project: Project, *, token_form=None, hook_form=None, origins_form=None, new_token=None):
    origins = embed.origins_of(project.id)
    if origins_form is None:
        origins_form = OriginsForm(origins="\n".join(origins))
    status = (
        422
        if any(f is not None and f.errors for f in (token_form, hook_form, origins_form))
        else 200
    )
    return render_template(
        "integrations/project.html",
        project=project,
        tokens=api_tokens.tokens_of(project),
        hooks=webhooks.hooks_of(project),
        token_form=token_form or TokenForm(formdata=None),
        hook_form=hook_form or WebhookForm(formdata=None),
        origins_form=origins_form,
        origins=origins,
        new_token=new_token,
        scope_labels=SCOPE_LABELS,
        action_labels=ACTION_LABELS,
        snippets=project_snippets(project),
        api_docs=external_url("api.openapi_document"),
    ), status


@bp.route(PREFIX)
@manager_required
def project(project_id: int):
    return _page(access.project_to_manage(current_user, project_id))


@bp.route(f"{PREFIX}/tokens", methods=["POST"])
@manager_required
def create_token(project_id: int):
    project = access.project_to_manage(current_user, project_id)
    form = TokenForm()
    if not form.validate_on_submit():
        return _page(project, token_form=form)
    try:
        token, secret = api_tokens.create(
            current_user, project, form.label.data, [Scope(s) for s in form.scopes.data]
        )
    except Refused as refused:
        db.session.rollback()
        form.label.errors = [*form.label.errors, refused.message]
        return _page(project, token_form=form)
    db.session.commit()
    # Shown in this answer only: the page is not cached (organiser pages are no-store) and
    # the token is never stored.
    return _page(project, new_token={"token": token, "secret": secret})


@bp.route(f"{PREFIX}/tokens/<int:token_id>/revoke", methods=["POST"])
@manager_required
def revoke_token(project_id: int, token_id: int):
    project = access.project_to_manage(current_user, project_id)
    token = db.session.get(ApiToken, token_id)
    if token is None or token.project_id != project.id:
        abort(404)
    return act(
        lambda: api_tokens.revoke(current_user, token),
        done=_("The token %(label)s no longer works.", label=token.label),
        to=url_for("integrations.project", project_id=project.id),
    )


@bp.route(f"{PREFIX}/webhooks", methods=["POST"])
@manager_required
def create_webhook(project_id: int):
    project = access.project_to_manage(current_user, project_id)
    form = WebhookForm()
    if not form.validate_on_submit():
        return _page(project, hook_form=form)
    try:
        hook = webhooks.create(
            current_user, project, form.url.data, [Action(a) for a in form.actions.data]
        )
    except Refused as refused:
        db.session.rollback()
        form.url.errors = [*form.url.errors, refused.message]
        return _page(project, hook_form=form)
    db.session.commit()
    flash(_("The webhook has been added. Give its secret to the receiving system."), "ok")
    return redirect(url_for("integrations.webhook", project_id=project.id, hook_id=hook.id), 303)


def _hook(project_id: int, hook_id: int) -> Webhook:
    project = access.project_to_manage(current_user, project_id)
    hook = db.session.get(Webhook, hook_id)
    if hook is None or hook.project_id != project.id:
        abort(404)
    return hook


@bp.route(f"{PREFIX}/webhooks/<int:hook_id>")
@manager_required
def webhook(project_id: int, hook_id: int):
    hook = _hook(project_id, hook_id)
    return render_template(
        "integrations/webhook.html",
        project=hook.project,
        hook=hook,
        deliveries=webhooks.deliveries(hook),
        action_labels=ACTION_LABELS,
    )


@bp.route(f"{PREFIX}/webhooks/<int:hook_id>/active", methods=["POST"])
@manager_required
def toggle_webhook(project_id: int, hook_id: int):
    hook = _hook(project_id, hook_id)
    on = not hook.active
    return act(
        lambda: webhooks.set_active(current_user, hook, on),
        done=_("The webhook is on.") if on else _("The webhook is off."),
        to=url_for("integrations.webhook", project_id=project_id, hook_id=hook.id),
    )


@bp.route(f"{PREFIX}/webhooks/<int:hook_id>/delete", methods=["POST"])
@manager_required
def delete_webhook(project_id: int, hook_id: int):
    hook = _hook(project_id, hook_id)
    return act(
        lambda: webhooks.delete(current_user, hook),
        done=_("The webhook has been deleted."),
        to=url_for("integrations.project", project_id=project_id),
    )


@bp.route(
    f"{PREFIX}/webhooks/<int:hook_id>/deliveries/<int:delivery_id>/redeliver", methods=["POST"]
)
@manager_required
def redeliver(project_id: int, hook_id: int, delivery_id: int):
    hook = _hook(project_id, hook_id)
    delivery = db.session.get(WebhookDelivery, delivery_id)
    if delivery is None or delivery.webhook_id != hook.id:
        abort(404)
    return act(
        lambda: webhooks.redeliver(current_user, delivery),
        done=_("The notice will be sent again shortly."),
        to=url_for("integrations.webhook", project_id=project_id, hook_id=hook.id),
    )


@bp.route(f"{PREFIX}/embedding", methods=["POST"])
@manager_required
def save_origins(project_id: int):
    project = access.project_to_manage(current_user, project_id)
    form = OriginsForm()
    if not form.validate_on_submit():
        return _page(project, origins_form=form)
    try:
        embed.set_origins(current_user, project, form.origins.data or "")
    except Refused as refused:
        db.session.rollback()
        form.origins.errors = [*form.origins.errors, refused.message]
        return _page(project, origins_form=form)
    db.session.commit()
    flash(_("Saved."), "ok")
    return redirect(url_for("integrations.project", project_id=project.id) + "#embedding", 303)
