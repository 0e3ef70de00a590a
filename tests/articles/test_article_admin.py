"""The admin screens and operations that write, preview and publish articles."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm.articles import operations
from crm.articles.models import Article
from crm.audit.models import AuditEvent
from crm.core.types import utcnow
from crm.extensions import db
from tests.factories import make_article, make_user

HOSTILE_MARKDOWN = (
    "Intro.\n\n<script>alert('body')</script>\n\n"
    "[click](javascript:alert('link')) and [safe](https://example.com/glycine)"
)


def _form(**overrides):
    data = {
        "title": "Glycine in sleep blends",
        "slug": "",
        "summary": "Why 3 g of glycine.",
        "body_markdown": "## Dose\n\nUse **3 g** per serving.",
        "published": "y",
        "published_at": "",
        "comments_open": "y",
        "save": "Save",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def _article_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Article))


def _events(action: str) -> list[AuditEvent]:
    return db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)).all()


def test_admin_creates_an_article_that_is_public(client, auth):
    admin = auth.login("admin")
    response = client.post("/dashboard/articles/new", data=_form(slug="glycine-sleep"))
    assert response.status_code == 302
    assert response.headers["Location"] == "/dashboard/articles/"
    article = db.session.scalar(select(Article).where(Article.slug == "glycine-sleep"))
    assert article.title == "Glycine in sleep blends"
    assert article.body_html == "<h2>Dose</h2>\n<p>Use <strong>3 g</strong> per serving.</p>\n"
    assert article.published and article.comments_open and article.author_id == admin.id
    assert article.published_at.tzinfo is not None
    assert abs(article.published_at - utcnow()) < timedelta(minutes=1)
    assert "Glycine in sleep blends" in client.get("/").get_data(as_text=True)
    page = client.get("/articles/glycine-sleep").get_data(as_text=True)
    assert "<h2>Dose</h2>" in page and "<strong>3 g</strong>" in page
    listing = client.get("/dashboard/articles/").get_data(as_text=True)
    assert "glycine-sleep" in listing and "Published" in listing
    assert 'href="/articles/glycine-sleep"' in listing


def test_a_draft_is_not_public(client, auth):
    auth.login("admin")
    response = client.post("/dashboard/articles/new",
                           data=_form(title="Secret draft", slug="secret", published=None))
    assert response.status_code == 302
    article = db.session.scalar(select(Article).where(Article.slug == "secret"))
    assert article.published is False and article.published_at is None
    client.get("/dashboard/articles/")  # shows (and so clears) the "saved" message
    assert "Secret draft" not in client.get("/").get_data(as_text=True)
    assert client.get("/articles/secret").status_code == 404
    listing = client.get("/dashboard/articles/").get_data(as_text=True)
    assert "Secret draft" in listing and "Draft" in listing
    assert 'href="/articles/secret"' not in listing  # no "View" link for a draft
    assert _events("article.published") == []


def test_slug_is_made_from_the_title_when_empty(client, auth):
    auth.login("admin")
    client.post("/dashboard/articles/new", data=_form(title="Formulating with Glycine!", slug=""))
    article = db.session.scalar(select(Article))
    assert article.slug == "formulating-with-glycine"
    assert client.get("/articles/formulating-with-glycine").status_code == 200


@pytest.mark.parametrize("fields", [
    {"slug": "taken"},
    {"title": "Taken", "slug": ""},  # the slug made from the title is taken too
])
def test_duplicate_slug_is_a_form_error_and_nothing_is_saved(client, auth, fields):
    make_article(slug="taken", title="The first one")
    auth.login("admin")
    response = client.post("/dashboard/articles/new", data=_form(**fields))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "already used by the article “The first one”" in page
    assert 'id="slug-error"' in page and 'aria-invalid="true"' in page
    assert _article_count() == 1
    assert _events("article.created") == []


def test_a_slug_taken_between_the_check_and_the_save_is_a_form_error(client, auth,
                                                                      monkeypatch):
    """Two admins saving the same new slug at once: the second gets the form error."""
    check = operations._checked_slug

    def another_admin_saves_first(session, **kwargs):
        slug = check(session, **kwargs)
        if not _article_count():  # the other admin's save lands right after our check
            with Session(db.engine) as other:
                other.add(Article(slug=slug, title="Their article", summary="", body_markdown="",
                                  body_html="", published=False))
                other.commit()
        return slug

    monkeypatch.setattr(operations, "_checked_slug", another_admin_saves_first)
    auth.login("admin")
    response = client.post("/dashboard/articles/new", data=_form(slug="same"))
    assert response.status_code == 400
    assert "already used by the article “Their article”" in response.get_data(as_text=True)
    assert _article_count() == 1 and _events("article.created") == []


def test_changing_the_slug_to_another_articles_is_refused(client, auth):
    make_article(slug="taken")
    article = make_article(slug="mine", title="Mine")
    auth.login("admin")
    response = client.post(f"/dashboard/articles/{article.id}",
                           data=_form(title="Mine renamed", slug="taken"))
    assert response.status_code == 400
    assert "already used by the article" in response.get_data(as_text=True)
    db.session.refresh(article)
    assert article.slug == "mine" and article.title == "Mine"


@pytest.mark.parametrize("slug", ["Glycine", "glycine_guide", "glycine guide", "-glycine", "a--b"])
def test_slug_allows_only_lower_case_letters_digits_and_hyphens(client, auth, slug):
    auth.login("admin")
    response = client.post("/dashboard/articles/new", data=_form(slug=slug))
    assert response.status_code == 400
    assert "Use only lower-case letters" in response.get_data(as_text=True)
    assert _article_count() == 0


def test_title_and_body_are_required_and_body_is_bounded(client, auth):
    auth.login("admin")
    response = client.post("/dashboard/articles/new", data=_form(title="  ", body_markdown=""))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert page.count('invalid-feedback d-block">This field is required.') == 2  # beside each
    response = client.post("/dashboard/articles/new", data=_form(body_markdown="x" * 100_001))
    assert b"100000 characters" in response.data
    assert _article_count() == 0


def test_preview_renders_the_markdown_and_saves_nothing(client, auth):
    auth.login("admin")
    response = client.post("/dashboard/articles/new",
                           data=_form(save=None, preview="Preview"))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "<h2>Dose</h2>" in page and "<strong>3 g</strong>" in page
    assert _article_count() == 0
    assert _events("article.created") == [] and _events("article.published") == []


def test_preview_of_an_existing_article_changes_nothing(client, auth):
    article = make_article(body_markdown="Old text.")
    auth.login("admin")
    response = client.post(f"/dashboard/articles/{article.id}",
                           data=_form(body_markdown="New *text*.", save=None, preview="Preview"))
    assert "<em>text</em>" in response.get_data(as_text=True)
    db.session.refresh(article)
    assert article.body_markdown == "Old text." and article.body_html == "<p>Old text.</p>\n"


def _assert_harmless(html: str) -> None:
    assert "<script>alert" not in html
    assert 'href="javascript' not in html


def test_scripts_and_javascript_links_never_reach_the_html(client, auth):
    auth.login("admin")
    preview = client.post("/dashboard/articles/new", data=_form(
        body_markdown=HOSTILE_MARKDOWN, save=None, preview="Preview")).get_data(as_text=True)
    assert 'href="https://example.com/glycine"' in preview  # the preview did render
    _assert_harmless(preview)
    client.post("/dashboard/articles/new", data=_form(slug="hostile",
                                                      body_markdown=HOSTILE_MARKDOWN))
    article = db.session.scalar(select(Article).where(Article.slug == "hostile"))
    assert "<script" not in article.body_html and 'href="javascript' not in article.body_html
    assert 'href="https://example.com/glycine"' in article.body_html
    public = client.get("/articles/hostile").get_data(as_text=True)
    assert 'href="https://example.com/glycine"' in public
    _assert_harmless(public)


def test_editing_updates_the_rendered_body_and_is_audited(client, auth):
    article = make_article(body_markdown="Old text.")
    admin = auth.login("admin")
    response = client.post(f"/dashboard/articles/{article.id}", data=_form(
        title=article.title, slug=article.slug, body_markdown="Now with a [link](https://x.test).",
        comments_open=None))
    assert response.status_code == 302
    db.session.refresh(article)
    assert article.body_html == (
        '<p>Now with a <a href="https://x.test" rel="noopener nofollow">link</a>.</p>\n')
    assert article.comments_open is False
    (event,) = _events("article.updated")
    assert event.actor_id == admin.id and event.object_id == article.id
    assert set(event.detail["changed"]) == {"summary", "body_markdown", "comments_open"}
    assert "https://x.test" in client.get(f"/articles/{article.slug}").get_data(as_text=True)


def test_publishing_a_draft_records_an_audit_event(client, auth):
    article = make_article(published=False, published_at=None, slug="soon")
    admin = auth.login("admin")
    form = client.get(f"/dashboard/articles/{article.id}").get_data(as_text=True)
    assert 'value="soon"' in form
    assert client.post(f"/dashboard/articles/{article.id}",
                       data=_form(slug="soon")).status_code == 302
    (event,) = _events("article.published")
    assert event.actor_id == admin.id and event.object_id == article.id
    assert event.object_type == "articles"
    db.session.refresh(article)
    assert article.published and abs(article.published_at - utcnow()) < timedelta(minutes=1)
    assert client.get("/articles/soon").status_code == 200


def test_a_given_publication_date_is_kept_as_utc(client, auth):
    auth.login("admin")
    client.post("/dashboard/articles/new", data=_form(slug="dated",
                                                      published_at="2025-03-04T09:30"))
    article = db.session.scalar(select(Article).where(Article.slug == "dated"))
    assert article.published_at == datetime(2025, 3, 4, 9, 30, tzinfo=UTC)
    form = client.get(f"/dashboard/articles/{article.id}").get_data(as_text=True)
    assert 'value="2025-03-04T09:30:00"' in form


def test_a_future_date_schedules_the_article_and_says_so(client, auth):
    auth.login("admin")
    later = (utcnow() + timedelta(days=3)).replace(microsecond=0)
    response = client.post("/dashboard/articles/new", data=_form(
        slug="later", published_at=later.strftime("%Y-%m-%dT%H:%M:%S")), follow_redirects=True)
    listing = response.get_data(as_text=True)
    assert f"is saved and scheduled for {later:%-d %b %Y %H:%M} UTC" in listing
    assert "Scheduled" in listing
    assert 'href="/articles/later"' not in listing  # no "View" link: the public gets a 404
    article = db.session.scalar(select(Article).where(Article.slug == "later"))
    assert article.published and article.is_scheduled and not article.is_public
    assert client.get("/articles/later").status_code == 404
    form = client.get(f"/dashboard/articles/{article.id}").get_data(as_text=True)
    assert "Scheduled" in form and 'href="/articles/later"' not in form


def test_unpublishing_hides_the_article(client, auth):
    article = make_article(slug="going")
    auth.login("admin")
    client.post(f"/dashboard/articles/{article.id}", data=_form(slug="going", published=None))
    assert client.get("/articles/going").status_code == 404
    assert len(_events("article.unpublished")) == 1


def test_list_is_newest_first_and_escapes_titles(client, auth):
    make_article(title="Older article", created_at=utcnow() - timedelta(days=2))
    make_article(title='Say "hi" <b>bold</b>', created_at=utcnow())
    auth.login("admin")
    page = client.get("/dashboard/articles/").get_data(as_text=True)
    assert "<b>bold</b>" not in page
    assert "Say &#34;hi&#34; &lt;b&gt;bold&lt;/b&gt;" in page
    assert page.index("Say &#34;hi&#34;") < page.index("Older article")
    assert "New article" in page and 'href="/dashboard/articles/new"' in page


def test_new_article_form_has_comments_open_by_default(client, auth):
    auth.login("admin")
    page = client.get("/dashboard/articles/new").get_data(as_text=True)
    assert '<input checked class="form-check-input" id="comments_open"' in page
    assert '<input aria-describedby="published-help" class="form-check-input" id="published"' \
        in page  # a new article starts as a draft
    assert '<label class="form-label" for="body_markdown">' in page


def test_edit_unknown_article_is_404(client, auth):
    auth.login("admin")
    assert client.get("/dashboard/articles/999999").status_code == 404


@pytest.mark.parametrize("role", ["sales", "moderator"])
def test_other_staff_get_403_everywhere(client, auth, role):
    article = make_article(slug="guarded")
    auth.login(role)
    edit = f"/dashboard/articles/{article.id}"
    for path in ("/dashboard/articles/", "/dashboard/articles/new", edit):
        assert client.get(path).status_code == 403, path
    assert client.post("/dashboard/articles/new", data=_form(slug="sneaky")).status_code == 403
    assert client.post(edit, data=_form(slug="guarded", title="Hijacked")).status_code == 403
    assert _article_count() == 1
    db.session.refresh(article)
    assert article.title != "Hijacked"


def test_anonymous_users_are_sent_to_login(client):
    article = make_article()
    for path in ("/dashboard/articles/", "/dashboard/articles/new",
                 f"/dashboard/articles/{article.id}"):
        response = client.get(path)
        assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    response = client.post("/dashboard/articles/new", data=_form(slug="anon"))
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert _article_count() == 1


def test_operations_work_without_http(app):
    admin = make_user(role="admin")
    article = operations.create_article(
        db.session, title="Vitamin B6 & you", slug=None, summary="", body_markdown="*Hi*",
        published=False, published_at=None, comments_open=True, actor=admin)
    db.session.commit()
    assert article.slug == "vitamin-b6-you" and article.body_html == "<p><em>Hi</em></p>\n"
    with pytest.raises(operations.SlugTakenError):
        operations.create_article(
            db.session, title="Other", slug="vitamin-b6-you", summary="", body_markdown="x",
            published=False, published_at=None, comments_open=True, actor=admin)
    # Keeping its own slug is not a clash; publishing without a date publishes now.
    operations.update_article(
        db.session, article=article, title=article.title, slug=article.slug, summary="",
        body_markdown="*Hi*", published=True, published_at=None, comments_open=True,
        actor=admin)
    db.session.commit()
    assert article.published_at is not None and article.published_at.tzinfo is not None
    assert [e.action for e in db.session.scalars(
        select(AuditEvent).order_by(AuditEvent.id))] == [
        "user.created", "article.created", "article.updated", "article.published"]


def _rename(client, article, slug, **fields):
    response = client.post(f"/dashboard/articles/{article.id}",
                           data=_form(title=article.title, slug=slug, **fields))
    assert response.status_code == 302, response.get_data(as_text=True)


def test_a_changed_slug_leaves_the_old_address_redirecting(client, auth):
    """Links in emails, other sites and bookmarks keep working after a rename (as
    WordPress keeps an article's old slugs), in one hop, keeping the query string."""
    article = make_article(slug="serine-dosing", title="Serine dosing")
    auth.login("admin")
    _rename(client, article, "serine-dose-guide")
    _rename(client, article, "l-serine-dose-guide")
    for old in ("serine-dosing", "serine-dose-guide"):
        response = client.get(f"/articles/{old}?reply_to=7&slug=x&_external=1")
        assert response.status_code == 301, old
        assert response.headers["Location"] == \
            "/articles/l-serine-dose-guide?reply_to=7&slug=x&_external=1"
    assert client.get("/articles/l-serine-dose-guide").status_code == 200
    # Taking an old slug back makes it live again, and the other one redirects.
    _rename(client, article, "serine-dosing")
    assert client.get("/articles/serine-dosing").status_code == 200
    assert client.get("/articles/l-serine-dose-guide").headers["Location"] == \
        "/articles/serine-dosing"


def test_a_retired_slug_goes_to_the_article_that_takes_it(client, auth):
    first = make_article(slug="glycine-guide", title="First")
    auth.login("admin")
    _rename(client, first, "glycine-guide-2024")
    second = make_article(slug="placeholder", title="Second")
    _rename(client, second, "glycine-guide")  # an old address, not a live one: allowed
    page = client.get("/articles/glycine-guide")
    assert page.status_code == 200 and "Second" in page.get_data(as_text=True)
    # Renaming the second away now redirects the address to it, not to the first.
    _rename(client, second, "glycine-guide-2025")
    assert client.get("/articles/glycine-guide").headers["Location"] == \
        "/articles/glycine-guide-2025"


def test_an_old_slug_of_a_hidden_article_is_not_found(client, auth):
    article = make_article(slug="before", title="Hidden later")
    auth.login("admin")
    _rename(client, article, "after", published=None)
    assert client.get("/articles/before").status_code == 404
    assert client.get("/articles/after").status_code == 404
    assert client.get("/articles/no-such-article").status_code == 404


def test_a_save_over_someone_elses_newer_save_is_refused_and_keeps_what_was_typed(client,
                                                                                  auth):
    """Two admins open the same article; the first saves. The second's save would silently
    undo the first's: it is refused (409), names who changed it, and keeps what they typed."""
    article = make_article(slug="shared", title="Shared", body_markdown="Original.")
    first = make_user(role="admin", name="Fay First")
    auth.login("admin")
    opened = client.get(f"/dashboard/articles/{article.id}").get_data(as_text=True)
    assert 'name="version" type="hidden" value="1"' in opened
    operations.update_article(
        db.session, article=article, title="Shared", slug="shared", summary="",
        body_markdown="First admin's text.", published=True, published_at=None,
        comments_open=True, actor=first)
    db.session.commit()
    response = client.post(f"/dashboard/articles/{article.id}", data=_form(
        title="Shared", slug="shared", body_markdown="Second admin's text.", version="1"))
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "was changed by Fay First at" in page
    assert "Second admin&#39;s text." in page  # what they typed, to compare and resend
    assert 'name="version" type="hidden" value="2"' in page  # resending is deliberate
    db.session.refresh(article)
    assert article.body_markdown == "First admin's text."
    response = client.post(f"/dashboard/articles/{article.id}", data=_form(
        title="Shared", slug="shared", body_markdown="Second admin's text.", version="2"))
    assert response.status_code == 302
    db.session.refresh(article)
    assert article.body_markdown == "Second admin's text." and article.version == 3
