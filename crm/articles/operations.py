"""Everything that writes or changes an article (comments and moderation live elsewhere)."""

import re
from datetime import datetime

from slugify import slugify
from sqlalchemy import delete, select

from crm.articles.models import Article, ArticleOldSlug
from crm.articles.rendering import render_markdown
from crm.articles.thread_cache import invalidate
from crm.audit.operations import changed_since_message, record_event
from crm.core.types import utcnow

SLUG_MAX_LENGTH = 120
SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# Fields whose change is listed in the audit event (the body only by name: it is long).
_AUDITED_FIELDS = ("title", "slug", "summary", "body_markdown", "published", "published_at",
                   "comments_open")


class ArticleError(ValueError):
    """An article change that cannot be made because of its slug; the message is for the user."""


class SlugTakenError(ArticleError):
    """Another article already uses the slug."""


class ArticleConflict(ArticleError):
    """Someone else saved the article after this user opened it; nothing was changed."""


def make_slug(title: str) -> str:
    """``"Formulating with Glycine!"`` → ``"formulating-with-glycine"``."""
    return slugify(title, max_length=SLUG_MAX_LENGTH, word_boundary=True)


def _checked_slug(session, *, slug: str | None, title: str, article: Article | None) -> str:
    given = (slug or "").strip()
    slug = given or make_slug(title)
    if not slug:
        raise ArticleError("No slug can be made from this title; enter one.")
    if len(slug) > SLUG_MAX_LENGTH or not SLUG_PATTERN.fullmatch(slug):
        raise ArticleError(
            "Use only lower-case letters a–z, digits and single hyphens "
            f"(at most {SLUG_MAX_LENGTH} characters)."
        )
    query = select(Article).where(Article.slug == slug)
    if article is not None and article.id is not None:
        query = query.where(Article.id != article.id)
    other = session.scalar(query)
    if other is not None:
        made = "" if given else " (made from the title)"
        raise SlugTakenError(
            f"The slug “{slug}”{made} is already used by the article “{other.title}”. "
            "Choose another."
        )
    return slug


def _apply(session, article: Article, *, title, slug, summary, body_markdown, published,
           published_at, comments_open) -> dict:
    """Set the fields, render the body, and return what changed (for the audit row)."""
    if published and published_at is None:
        # "Defaults to now when first published": an article published before keeps its date.
        published_at = article.published_at or utcnow().replace(microsecond=0)
    elif (published_at is not None and article.published_at is not None
          and published_at == article.published_at.replace(microsecond=0)):
        published_at = article.published_at  # the form shows whole seconds: not a change
    values = {
        "title": title.strip(),
        "slug": _checked_slug(session, slug=slug, title=title, article=article),
        "summary": (summary or "").strip(),
        "body_markdown": body_markdown,
        "published": bool(published),
        "published_at": published_at,
        "comments_open": bool(comments_open),
    }
    changed = [name for name in _AUDITED_FIELDS if getattr(article, name) != values[name]]
    if article.slug != values["slug"]:
        _retire_slug(session, article, values["slug"])
    for name, value in values.items():
        setattr(article, name, value)
    # Rendered here, once per save, so that reading an article never runs Markdown.
    article.body_html = render_markdown(body_markdown)
    return {"changed": changed}


def _retire_slug(session, article: Article, new_slug: str) -> None:
    """Keep the slug ``article`` gives up as an old address that redirects to it. A slug
    taken live (back, or by another article) is no longer anyone's old address."""
    session.execute(delete(ArticleOldSlug).where(ArticleOldSlug.slug == new_slug))
    if article.id is not None and article.slug:
        session.merge(ArticleOldSlug(slug=article.slug, article_id=article.id,
                                     retired_at=utcnow()))


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def create_article(
    session, *, title: str, slug: str | None, summary: str, body_markdown: str,
    published: bool, published_at: datetime | None, comments_open: bool, actor,
) -> Article:
    """Add an article written by ``actor``. Raises ArticleError (SlugTakenError) on a bad slug.

    An empty slug is made from the title; publishing without a date publishes now.
    """
    article = Article(author_id=getattr(actor, "id", None))
    _apply(session, article, title=title, slug=slug, summary=summary,
           body_markdown=body_markdown, published=published, published_at=published_at,
           comments_open=comments_open)
    session.add(article)
    session.flush()
    record_event(session, actor=actor, action="article.created", obj=article,
                 slug=article.slug, published=article.published)
    if article.published:
        record_event(session, actor=actor, action="article.published", obj=article,
                     slug=article.slug, published_at=_iso(article.published_at))
    return article


def update_article(
    session, *, article: Article, title: str, slug: str | None, summary: str,
    body_markdown: str, published: bool, published_at: datetime | None, comments_open: bool,
    actor, expected_version: int | None = None,
) -> Article:
    """Change an article and re-render its body. Raises ArticleError (SlugTakenError), or
    ArticleConflict when ``expected_version`` (the version the form was opened at) is not
    the article's any more: someone else saved it since."""
    if expected_version is not None and article.version != expected_version:
        raise ArticleConflict(changed_since_message(session, article, "article"))
    was_published = article.published
    changes = _apply(session, article, title=title, slug=slug, summary=summary,
                     body_markdown=body_markdown, published=published,
                     published_at=published_at, comments_open=comments_open)
    if changes["changed"]:
        article.version += 1
        record_event(session, actor=actor, action="article.updated", obj=article,
                     slug=article.slug, **changes)
        invalidate(session, article.id)  # reply links follow the slug and comments_open
    if article.published and not was_published:
        record_event(session, actor=actor, action="article.published", obj=article,
                     slug=article.slug, published_at=_iso(article.published_at))
    elif was_published and not article.published:
        record_event(session, actor=actor, action="article.unpublished", obj=article,
                     slug=article.slug)
    return article
