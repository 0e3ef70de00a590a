"""Admin pages to write, preview and publish articles."""

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from crm.articles import operations
from crm.articles.admin_forms import ArticleForm, show_saved_version
from crm.articles.models import Article
from crm.articles.rendering import render_markdown
from crm.auth.guard import staff_blueprint
from crm.core.database import commit_with_retries
from crm.core.forms import render_form_page
from crm.core.templating import format_datetime
from crm.extensions import db

bp = staff_blueprint("article_admin", __name__, roles=(), url_prefix="/dashboard/articles")

# A save that lost a race runs again on fresh rows: a slug taken meanwhile or a version moved
# on then gives its readable error.
RETRIED = (IntegrityError, StaleDataError)
_FIELDS = ("title", "slug", "summary", "body_markdown", "published", "published_at",
           "comments_open")


def _article_values(form: ArticleForm) -> dict:
    return {name: form[name].data for name in _FIELDS}


@bp.get("/")
def index():
    articles = db.session.scalars(
        select(Article).order_by(Article.created_at.desc(), Article.id.desc())
    ).all()
    return render_template("article_admin/index.html", articles=articles)


@bp.route("/new", methods=["GET", "POST"])
def create():
    form = ArticleForm()
    preview = None
    if form.validate_on_submit():
        if form.preview.data:
            preview = render_markdown(form.body_markdown.data)
        else:
            try:
                article = commit_with_retries(db.session, lambda: operations.create_article(
                    db.session, **_article_values(form), actor=current_user))
            except operations.ArticleError as exc:
                form.slug.errors.append(str(exc))
            else:
                flash(f"“{article.title}” is saved{_state(article)}.", "success")
                return redirect(url_for(".index"))
    return render_form_page("article_admin/form.html", form, article=None, preview=preview)


@bp.route("/<int:article_id>", methods=["GET", "POST"])
def edit(article_id: int):
    article = db.session.get(Article, article_id) or abort(404)
    form = ArticleForm(obj=article)
    preview = None
    if form.validate_on_submit():
        if form.preview.data:
            preview = render_markdown(form.body_markdown.data)
        else:
            try:
                commit_with_retries(db.session, lambda: operations.update_article(
                    db.session, article=article, **_article_values(form), actor=current_user,
                    expected_version=form.version.data), retry_on=RETRIED)
            except operations.ArticleConflict as exc:
                form.form_errors.append(str(exc))
                show_saved_version(form, article.version)
                return render_form_page("article_admin/form.html", form, article=article,
                                        preview=None)[0], 409
            except operations.ArticleError as exc:
                form.slug.errors.append(str(exc))
            else:
                flash(f"“{article.title}” is saved{_state(article)}.", "success")
                return redirect(url_for(".index"))
    return render_form_page("article_admin/form.html", form, article=article, preview=preview)


def _state(article: Article) -> str:
    if article.is_scheduled:
        return f" and scheduled for {format_datetime(article.published_at)}"
    return " and published" if article.published else " as a draft"
