"""Public pages: the home page, an article with its comments, and posting a comment."""

from flask import (
    Blueprint,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from crm.articles import comments, queries, thread_cache
from crm.articles.forms import CommentForm
from crm.articles.models import Article
from crm.catalog.models import Ingredient
from crm.core.forms import issue_form_ticket, read_form_ticket
from crm.core.urls import moved_permanently
from crm.extensions import db, limiter

bp = Blueprint("articles", __name__)
MY_COMMENTS = "my_comments"  # ids of this browser's comments awaiting moderation


@bp.get("/")
def home():
    articles = queries.public_articles(db.session)
    featured = db.session.scalars(
        select(Ingredient)
        .where(Ingredient.featured.is_(True), Ingredient.active.is_(True))
        .order_by(Ingredient.name)
    ).all()
    return render_template("articles/home.html", articles=articles, featured=featured)


def _published(slug: str) -> Article:
    return queries.public_article(db.session, slug) or abort(404)


def _render_article(article: Article, form: CommentForm, status: int = 200):
    if not form.ticket.data or form.errors:
        form.ticket.data = issue_form_ticket()
    mine = session.get(MY_COMMENTS, [])
    return render_template(
        "articles/show.html", article=article, form=form, errors=form.error_list(),
        public=thread_cache.public_thread(db.session, article),
        waiting=queries.comment_thread(db.session, article, mine=mine) if mine else None,
        replying_to=queries.approved_comment(db.session, article, form.parent_id.data),
    ), status


@bp.get("/articles/<slug>")
def show(slug: str):
    article = queries.public_article(db.session, slug)
    if article is None:  # an address the article had before its slug changed?
        new_slug = queries.renamed_article_slug(db.session, slug) or abort(404)
        return moved_permanently(url_for(".show", slug=new_slug))
    form = CommentForm(parent_id=request.args.get("reply_to", type=int))
    return _render_article(article, form)


@bp.post("/articles/<slug>/comments")
@limiter.limit(lambda: current_app.config["CRM_COMMENT_RATE_LIMIT"])
def post_comment(slug: str):
    article = _published(slug)
    form = CommentForm()
    ticket = read_form_ticket(form.ticket.data)
    if ticket is None:
        form.form_errors.append("This form has expired. Please send your comment again.")
    if not form.validate_on_submit() or ticket is None:
        return _render_article(article, form, 400)
    try:
        comment = comments.post_comment(
            db.session, article=article, author_name=form.author_name.data,
            author_email=form.author_email.data, author_url=form.author_url.data,
            body=form.body.data, parent_id=form.parent_id.data,
            notify_replies=form.notify_replies.data, submission_key=ticket[0],
            seconds_to_fill=ticket[1], honeypot=form.homepage.data or "",
            ip=request.remote_addr, user_agent=request.user_agent.string,
            min_fill_seconds=current_app.config["CRM_MIN_FILL_SECONDS"],
        )
        db.session.commit()
    except comments.CommentRejected as exc:
        db.session.rollback()
        form.form_errors.append(str(exc))
        return _render_article(article, form, 400)
    except IntegrityError:
        db.session.rollback()  # a double click raced the first one: show what it created
        comment = comments.find_by_submission_key(db.session, ticket[0])
        if comment is None:
            raise
    session[MY_COMMENTS] = [*session.get(MY_COMMENTS, [])[-19:], comment.id]
    return redirect(url_for(".show", slug=slug, _anchor=f"comment-{comment.id}"))
