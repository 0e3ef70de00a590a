"""Public pages: the ingredient list, each spec sheet and its PDF. Never prices, never the
reference maximum daily dose: those are for staff."""

from decimal import Decimal

from flask import Blueprint, Response, abort, current_app, render_template, url_for
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from crm.catalog.models import Ingredient, IngredientOldSlug
from crm.catalog.pdf import html_to_pdf
from crm.core.types import utcnow
from crm.core.urls import external_url, moved_permanently
from crm.extensions import db, limiter

bp = Blueprint("catalog", __name__)
# Rendering a PDF costs a few hundred milliseconds of CPU; the page itself is cheap.
DEFAULT_PDF_RATE_LIMIT = "20 per minute;300 per day"


def _pdf_rate_limit() -> str:
    return current_app.config.get("CRM_PDF_RATE_LIMIT", DEFAULT_PDF_RATE_LIMIT)


@bp.app_template_filter("kg")
def format_kg(value: Decimal | None) -> str:
    """``Decimal("1000.500")`` → ``"1,000.5 kg"``: no float, no trailing zeros."""
    if value is None:
        return ""
    return f"{Decimal(value).normalize():,f} kg"


def _active(slug: str, endpoint: str) -> Ingredient:
    """The active ingredient at ``slug`` (with its spec rows); at a slug it had before,
    a 301 to the same page at the current one."""
    ingredient = db.session.scalar(
        select(Ingredient).where(Ingredient.slug == slug, Ingredient.active.is_(True))
        .options(selectinload(Ingredient.specs)))
    if ingredient is None:
        new_slug = db.session.scalar(
            select(Ingredient.slug)
            .join(IngredientOldSlug, IngredientOldSlug.ingredient_id == Ingredient.id)
            .where(IngredientOldSlug.slug == slug, Ingredient.active.is_(True))) or abort(404)
        abort(moved_permanently(url_for(endpoint, slug=new_slug)))
    return ingredient


@bp.get("/ingredients")
def index():
    ingredients = db.session.scalars(
        select(Ingredient).where(Ingredient.active.is_(True)).order_by(Ingredient.name)
    ).all()
    return render_template("catalog/index.html", ingredients=ingredients)


@bp.get("/ingredients/<slug>")
def show(slug: str):
    ingredient = _active(slug, ".show")
    return render_template("catalog/show.html", ingredient=ingredient)


@bp.get("/ingredients/<slug>.pdf")
@limiter.limit(_pdf_rate_limit)
def pdf(slug: str):
    ingredient = _active(slug, ".pdf")
    html = render_template(
        "catalog/spec_sheet_pdf.html", ingredient=ingredient,
        page_url=external_url(url_for(".show", slug=ingredient.slug)),
        quote_url=external_url(url_for("intake.contact", ingredient=ingredient.slug)),
        generated_on=utcnow(),
    )
    return Response(html_to_pdf(html), mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{ingredient.slug}-spec-sheet.pdf"',
    })
