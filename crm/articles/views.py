"""Public pages: the home page and an article."""

from flask import Blueprint, abort, render_template
from sqlalchemy import select

from crm.articles.models import Article
from crm.catalog.models import Ingredient
from crm.extensions import db

bp = Blueprint("articles", __name__)


@bp.get("/")
def home():
    articles = db.session.scalars(
        select(Article).where(Article.published.is_(True)).order_by(Article.published_at.desc())
    ).all()
    featured = db.session.scalars(
        select(Ingredient)
        .where(Ingredient.featured.is_(True), Ingredient.active.is_(True))
        .order_by(Ingredient.name)
    ).all()
    return render_template("articles/home.html", articles=articles, featured=featured)


@bp.get("/articles/<slug>")
def show(slug: str):
    article = db.session.scalar(
        select(Article).where(Article.slug == slug, Article.published.is_(True))
    ) or abort(404)
    return render_template("articles/show.html", article=article)
