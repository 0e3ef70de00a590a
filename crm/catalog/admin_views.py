"""Admin pages to list, add and edit ingredients with their spec rows and price tiers."""

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError

from crm.auth.guard import staff_blueprint
from crm.catalog import operations
from crm.catalog.admin_forms import IngredientForm
from crm.catalog.models import Ingredient
from crm.core.database import commit_with_retries
from crm.core.forms import render_form_page
from crm.extensions import db

bp = staff_blueprint("catalog_admin", __name__, roles=(), url_prefix="/dashboard/catalog")


@bp.get("/")
def index():
    ingredients = db.session.scalars(
        select(Ingredient)
        .options(selectinload(Ingredient.specs), selectinload(Ingredient.price_tiers))
        .order_by(Ingredient.active.desc(), Ingredient.name)
    ).all()
    return render_template("catalog_admin/index.html", ingredients=ingredients)


@bp.route("/new", methods=["GET", "POST"])
def create():
    return _edit_form(None)


@bp.route("/<int:ingredient_id>", methods=["GET", "POST"])
def edit(ingredient_id: int):
    return _edit_form(db.session.get(Ingredient, ingredient_id) or abort(404))


def _edit_form(ingredient: Ingredient | None):
    """One flow for both pages: "Add rows" shows the form again; "Save" saves or explains."""
    form = IngredientForm(obj=ingredient)
    if form.adding_rows:
        form.add_blank_rows()
    elif form.validate_on_submit():
        try:
            ingredient = commit_with_retries(db.session, lambda: operations.save_ingredient(
                db.session, ingredient=ingredient, **form.values(), actor=current_user,
                expected_version=form.version.data), retry_on=(IntegrityError, StaleDataError))
        except operations.CatalogConflict as exc:
            form.show_problems(exc.problems)
            form.show_saved_version(ingredient.version)
            return render_form_page("catalog_admin/form.html", form,
                                    ingredient=ingredient)[0], 409
        except operations.CatalogError as exc:
            form.show_problems(exc.problems)
        else:
            flash(f"“{ingredient.name}” is saved{'' if ingredient.active else ' (inactive)'}.",
                  "success")
            return redirect(url_for(".index"))
    elif not form.is_submitted():
        form.add_blank_rows(opening=True)
    return render_form_page("catalog_admin/form.html", form, ingredient=ingredient)
