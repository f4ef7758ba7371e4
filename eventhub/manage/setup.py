"""Set-up pages: projects and places. Organisations and accounts have modules of their own."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from eventhub.core.models import Country, EventKind, Municipality, Place
from eventhub.core.services import access, places, projects
from eventhub.extensions import db
from eventhub.manage import bp
from eventhub.manage.setup_forms import MunicipalityForm, PlaceForm, PlacesForm, ProjectForm
from eventhub.web.decorators import manager_required
from eventhub.web.embed_snippets import municipality_snippets


def _status(form) -> int:
    return 422 if form.errors else 200


@bp.route("/projects/")
@manager_required
def projects_list():
    return render_template(
        "manage/setup/projects.html",
        projects=db.session.scalars(access.projects_query(current_user)).all(),
        may_create=access.may_create_projects(current_user),
    )


@bp.route("/projects/new", methods=["GET", "POST"])
@manager_required
def new_project():
    if not access.may_create_projects(current_user):
        abort(404)
    form = ProjectForm()
    if form.validate_on_submit():
        try:
            project = projects.create(current_user, form.values(), form.targets())
        except projects.CodeTaken as refused:
            db.session.rollback()
            form.code.errors.append(refused.message)
        else:
            db.session.commit()
            flash(_("The project has been created."), "ok")
            return redirect(url_for("manage.edit_project", project_id=project.id), 303)
    return render_template("manage/setup/project_form.html", form=form, project=None), _status(form)


@bp.route("/projects/<int:project_id>/edit", methods=["GET", "POST"])
@manager_required
def edit_project(project_id: int):
    project = access.project_to_manage(current_user, project_id)
    form = ProjectForm(obj=project)
    if request.method == "GET":
        form.country.data = project.country.value if project.country else None
        planned = {t.kind: t.planned_events for t in project.targets}
        for kind in EventKind:
            getattr(form, f"target_{kind.value}").data = planned.get(kind)
    if form.validate_on_submit():
        try:
            projects.update(current_user, project, form.values(), form.targets())
        except projects.CodeTaken as refused:
            db.session.rollback()
            form.code.errors.append(refused.message)
        else:
            db.session.commit()
            flash(_("Saved."), "ok")
            return redirect(url_for("manage.edit_project", project_id=project.id), 303)
    return render_template("manage/setup/project_form.html", form=form, project=project), _status(
        form
    )


@bp.route("/places/")
@manager_required
def places_list():
    country = _country(request.args.get("country"))
    return _places_page(country, MunicipalityForm(country=country.value), PlacesForm())


def _country(value: str | None) -> Country:
    try:
        return Country(value)
    except ValueError:
        return Country.FI


def _places_page(country: Country, form: MunicipalityForm, places_form: PlacesForm, code=200):
    return render_template(
        "manage/setup/places.html",
        country=country,
        municipalities=places.municipalities(country),
        form=form,
        places_form=places_form,
    ), code


@bp.route("/places/municipalities", methods=["POST"])
@manager_required
def add_municipality():
    form = MunicipalityForm()
    if form.validate_on_submit():
        country = Country(form.country.data)
        try:
            places.add_municipality(
                current_user, country=country, name=form.name.data, region=form.region.data
            )
        except places.NameTaken:
            db.session.rollback()
            form.name.errors.append(_("This country has a municipality of that name already."))
        else:
            db.session.commit()
            flash(_("The municipality has been added."), "ok")
            return redirect(url_for("manage.places_list", country=country.value), 303)
    return _places_page(_country(form.country.data), form, PlacesForm(), 422)


@bp.route("/places/<int:municipality_id>/places", methods=["POST"])
@manager_required
def add_places(municipality_id: int):
    municipality = db.get_or_404(Municipality, municipality_id)
    form = PlacesForm()
    if form.validate_on_submit():
        added = places.add_places(current_user, municipality, form.name_list())
        db.session.commit()
        flash(
            _(
                "%(count)s places added to %(municipality)s.",
                count=len(added),
                municipality=municipality.name,
            ),
            "ok",
        )
        return redirect(url_for("manage.places_list", country=municipality.country.value), 303)
    form.target_id = municipality.id
    return _places_page(
        municipality.country, MunicipalityForm(country=municipality.country.value), form, 422
    )


@bp.route("/places/<int:municipality_id>", methods=["GET", "POST"])
@manager_required
def edit_municipality(municipality_id: int):
    municipality = db.get_or_404(Municipality, municipality_id)
    form = MunicipalityForm(obj=municipality)
    form.country.data = municipality.country.value  # the country stays; only shown
    if form.validate_on_submit():
        try:
            places.rename_municipality(
                current_user, municipality, name=form.name.data, region=form.region.data
            )
        except places.NameTaken:
            db.session.rollback()
            form.name.errors.append(_("This country has a municipality of that name already."))
        else:
            db.session.commit()
            flash(_("Saved."), "ok")
            return redirect(url_for("manage.places_list", country=municipality.country.value), 303)
    return render_template(
        "manage/setup/municipality.html",
        municipality=municipality,
        form=form,
        place_form=PlaceForm(),
        failed_place=None,
        snippets=municipality_snippets(municipality),
    ), _status(form)


@bp.route("/places/<int:municipality_id>/places/<int:place_id>", methods=["POST"])
@manager_required
def rename_place(municipality_id: int, place_id: int):
    place = db.get_or_404(Place, place_id)
    if place.municipality_id != municipality_id:
        abort(404)
    form = PlaceForm()
    if form.validate_on_submit():
        try:
            places.rename_place(current_user, place, form.name.data)
        except places.NameTaken:
            db.session.rollback()
            form.name.errors.append(_("The municipality has a place of that name already."))
        else:
            db.session.commit()
            flash(_("Saved."), "ok")
            return redirect(
                url_for("manage.edit_municipality", municipality_id=municipality_id), 303
            )
    municipality = db.session.get(Municipality, municipality_id)
    return render_template(
        "manage/setup/municipality.html",
        municipality=municipality,
        form=MunicipalityForm(obj=municipality),
        place_form=form,
        failed_place=place_id,
        snippets=municipality_snippets(municipality),
    ), 422


# --- deleting a mistyped municipality or place, or merging it into the right one -----------

# How a refusal names the records that use a municipality or place, by table. A table added
# later without a label here is named by its table name rather than left out.
_USE_LABELS = {
    "organisation": lambda n: ngettext("%(num)d organisation", "%(num)d organisations", n),
    "person": lambda n: ngettext("%(num)d person", "%(num)d persons", n),
    "project_municipality": lambda n: ngettext("%(num)d project", "%(num)d projects", n),
    "event": lambda n: ngettext("%(num)d event", "%(num)d events", n),
    "registration": lambda n: ngettext("%(num)d registration", "%(num)d registrations", n),
    "attendance": lambda n: ngettext("%(num)d attendance", "%(num)d attendances", n),
}


def _uses_text(found: dict[str, int]) -> str:
    return ", ".join(
        _USE_LABELS[table](count) if table in _USE_LABELS else f"{table}: {count}"
        for table, count in found.items()
    )


def _to_remove(municipality_id: int, place_id: int | None):
    municipality = db.get_or_404(Municipality, municipality_id)
    target: Municipality | Place = municipality
    if place_id is not None:
        target = db.get_or_404(Place, place_id)
        if target.municipality_id != municipality_id:
            abort(404)
    if not access.may_remove_place(current_user, target):
        abort(404)
    return municipality, target


def _remove_page(municipality, target, error: str | None = None, code: int = 200):
    found = places.uses(target)
    return render_template(
        "manage/setup/remove_place.html",
        municipality=municipality,
        target=target,
        is_place=isinstance(target, Place),
        uses=_uses_text(found) if found else "",
        candidates=places.merge_candidates(target) if found else [],
        error=error,
    ), code


def _back(municipality, target):
    if isinstance(target, Place):
        return redirect(url_for("manage.edit_municipality", municipality_id=municipality.id), 303)
    return redirect(url_for("manage.places_list", country=municipality.country.value), 303)


@bp.route("/places/<int:municipality_id>/delete", methods=["GET", "POST"])
@bp.route("/places/<int:municipality_id>/places/<int:place_id>/delete", methods=["GET", "POST"])
@manager_required
def delete_place(municipality_id: int, place_id: int | None = None):
    """A confirmation page; deleting what nothing uses, or offering to merge it."""
    municipality, target = _to_remove(municipality_id, place_id)
    if request.method == "GET":  # CSRFProtect checks every POST
        return _remove_page(municipality, target)
    name, back = target.name, _back(municipality, target)
    try:
        places.delete(current_user, target)
    except places.InUse:
        db.session.rollback()
        return _remove_page(municipality, target, code=409)
    db.session.commit()
    flash(_("%(name)s has been deleted.", name=name), "ok")
    return back


@bp.route("/places/<int:municipality_id>/merge", methods=["POST"])
@bp.route("/places/<int:municipality_id>/places/<int:place_id>/merge", methods=["POST"])
@manager_required
def merge_place(municipality_id: int, place_id: int | None = None):
    municipality, target = _to_remove(municipality_id, place_id)
    model = Place if isinstance(target, Place) else Municipality
    keep = db.session.get(model, request.form.get("other", type=int) or 0)
    name = target.name
    if keep is None or not access.may_remove_place(current_user, keep):
        return _remove_page(municipality, target, _("Choose where to merge it."), 422)
    try:
        places.merge(current_user, keep, target)
    except places.NotMergeable:
        db.session.rollback()
        return _remove_page(municipality, target, _("Choose where to merge it."), 422)
    db.session.commit()
    flash(_("%(name)s has been merged into %(other)s.", name=name, other=keep.name), "ok")
    if isinstance(keep, Place):
        return redirect(url_for("manage.edit_municipality", municipality_id=municipality.id), 303)
    return redirect(url_for("manage.edit_municipality", municipality_id=keep.id), 303)
