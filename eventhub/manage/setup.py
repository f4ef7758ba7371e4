"""Set-up pages: projects and places. Organisations and accounts have modules of their own."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
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
