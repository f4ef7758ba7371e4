"""Set-up pages: the organisations people take part on behalf of, kept clean by organisers."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import and_, func, select

from eventhub.core.models import Municipality, Organisation
from eventhub.core.services import access, organisations
from eventhub.extensions import db
from eventhub.manage import bp
from eventhub.manage.setup_forms import MergeForm, OrganisationForm
from eventhub.web import safe_next
from eventhub.web.decorators import manager_required
from eventhub.web.forms import choices


def _status(form) -> int:
    return 422 if form.errors else 200


@bp.route("/organisations/")
@manager_required
def organisations_list():
    query = request.args.get("q", "")[:200]
    try:
        which = organisations.Filter(request.args.get("show", "all"))
    except ValueError:
        which = organisations.Filter.ALL
    scope = access.organisations_filter(current_user)
    project_id = request.args.get("project", type=int)
    if project_id is not None:
        project = access.project_to_manage(current_user, project_id)
        scope = and_(scope, organisations.named_by_projects([project.id]))
    rows = organisations.listing(scope, query=query, which=which)
    return render_template(
        "manage/setup/organisations.html",
        rows=rows,
        query=query,
        which=which,
        project_id=project_id,
        projects=db.session.scalars(access.projects_query(current_user)).all(),
    )


def _organisation_form(**kwargs) -> OrganisationForm:
    form = OrganisationForm(**kwargs)
    form.municipality.choices = choices(
        [("", _("None"))]
        + [
            (str(m.id), f"{m.name} ({m.country.value})")
            for m in db.session.scalars(
                select(Municipality).order_by(Municipality.name, Municipality.country)
            )
        ]
    )
    return form


@bp.route("/organisations/new", methods=["GET", "POST"])
@manager_required
def new_organisation():
    form = _organisation_form()
    if form.validate_on_submit():
        try:
            organisation = organisations.add(
                current_user,
                name=form.name.data,
                business_id=form.business_id.data,
                municipality_id=form.municipality_id(),
            )
        except organisations.BusinessIdTaken as taken:
            db.session.rollback()
            form.business_id.errors.append(_business_id_taken(taken))
        else:
            db.session.commit()
            flash(_("The organisation has been added."), "ok")
            return redirect(url_for("manage.edit_organisation", org_id=organisation.id), 303)
    return render_template(
        "manage/setup/organisation.html", form=form, organisation=None, merge_form=None
    ), _status(form)


def _business_id_taken(taken: organisations.BusinessIdTaken) -> str:
    return _(
        "%(name)s has this business ID already. If they are the same organisation, merge "
        "them instead.",
        name=taken.other.name,
    )


def _merge_form(organisation: Organisation, **kwargs) -> MergeForm:
    """Others the user may see, possible duplicates first."""
    form = MergeForm(**kwargs)
    key = organisations.normalised_name(organisation.name)
    others = db.session.scalars(
        select(Organisation)
        .where(access.organisations_filter(current_user), Organisation.id != organisation.id)
        .order_by(func.lower(Organisation.name), Organisation.id)
    ).all()
    others.sort(key=lambda o: organisations.normalised_name(o.name) != key)
    form.other.choices = choices(
        [("", _("Choose…"))] + [(str(o.id), _org_label(o)) for o in others]
    )
    return form


def _org_label(o: Organisation) -> str:
    details = [d for d in (o.business_id, o.municipality.name if o.municipality else None) if d]
    return f"{o.name} ({', '.join(details)})" if details else o.name


@bp.route("/organisations/<int:org_id>", methods=["GET", "POST"])
@manager_required
def edit_organisation(org_id: int):
    organisation = access.organisation_to_manage(current_user, org_id)
    form = _organisation_form(obj=organisation)
    if request.method == "GET":
        form.municipality.data = str(organisation.municipality_id or "")
    if form.validate_on_submit():
        try:
            organisations.update(
                current_user,
                organisation,
                name=form.name.data,
                business_id=form.business_id.data,
                municipality_id=form.municipality_id(),
            )
        except organisations.BusinessIdTaken as taken:
            db.session.rollback()
            form.business_id.errors.append(_business_id_taken(taken))
        else:
            db.session.commit()
            flash(_("Saved. The organisation is confirmed."), "ok")
            return redirect(url_for("manage.organisations_list"), 303)
    return render_template(
        "manage/setup/organisation.html",
        form=form,
        organisation=organisation,
        merge_form=_merge_form(organisation),
    ), _status(form)


@bp.route("/organisations/<int:org_id>/confirm", methods=["POST"])
@manager_required
def confirm_organisation(org_id: int):
    organisation = access.organisation_to_manage(current_user, org_id)
    organisations.confirm(current_user, organisation)
    db.session.commit()
    flash(_("%(name)s is confirmed.", name=organisation.name), "ok")
    return redirect(safe_next(request.form.get("back"), url_for("manage.organisations_list")), 303)


@bp.route("/organisations/<int:org_id>/merge", methods=["POST"])
@manager_required
def merge_organisation(org_id: int):
    drop = access.organisation_to_manage(current_user, org_id)
    form = _merge_form(drop)
    if form.validate_on_submit():
        keep = access.organisation_to_manage(current_user, int(form.other.data))
        name = drop.name
        moved = organisations.merge(current_user, keep, drop)
        db.session.commit()
        flash(
            _(
                "%(merged)s is now part of %(kept)s: %(count)s records moved.",
                merged=name,
                kept=keep.name,
                count=moved,
            ),
            "ok",
        )
        return redirect(url_for("manage.edit_organisation", org_id=keep.id), 303)
    return render_template(
        "manage/setup/organisation.html",
        form=_organisation_form(obj=drop),
        organisation=drop,
        merge_form=form,
    ), 422
