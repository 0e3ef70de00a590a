from datetime import timedelta

from crm.articles.rendering import render_markdown
from crm.core.types import utcnow
from tests.factories import make_article


def test_home_lists_published_articles_newest_first(client):
    make_article(title="Older piece", published_at=utcnow() - timedelta(days=5))
    make_article(title="Newer piece", published_at=utcnow())
    make_article(title="Draft piece", published=False, published_at=None)
    page = client.get("/").get_data(as_text=True)
    assert page.index("Newer piece") < page.index("Older piece")
    assert "Draft piece" not in page


def test_article_page_shows_the_rendered_body(client):
    article = make_article(body_markdown="## Dosing\n\nUse **500 mg**.")
    page = client.get(f"/articles/{article.slug}").get_data(as_text=True)
    assert "<h2>Dosing</h2>" in page and "<strong>500 mg</strong>" in page


def test_draft_article_is_404(client):
    article = make_article(published=False)
    assert client.get(f"/articles/{article.slug}").status_code == 404


def test_markdown_is_sanitised():
    html = render_markdown(
        "<script>alert(1)</script>\n\n[x](javascript:alert(1)) [y](https://example.com)"
    )
    assert "<script>" not in html
    assert "href=\"javascript:" not in html
    assert 'href="https://example.com"' in html and 'rel="noopener nofollow"' in html


def test_demo_content_serves(client, runner):
    runner.invoke(args=["crm", "seed-demo"])
    page = client.get("/").get_data(as_text=True)
    assert "Formulating with L-serine" in page
    assert "L-Serine" in page or "L-serine" in page
    article = client.get("/articles/formulating-with-l-serine")
    assert article.status_code == 200
    assert b"<table>" in article.data


def test_an_article_dated_in_the_future_stays_hidden_until_then(client):
    """Published with a future date is scheduled: not listed, not readable, no comments."""
    make_article(title="Scheduled piece", slug="later", published_at=utcnow() + timedelta(days=2))
    make_article(title="Live piece", slug="now", published_at=utcnow() - timedelta(minutes=1))
    page = client.get("/").get_data(as_text=True)
    assert "Live piece" in page and "Scheduled piece" not in page
    assert client.get("/articles/later").status_code == 404
    assert client.post("/articles/later/comments", data={"body": "x"}).status_code == 404
    assert client.get("/articles/now").status_code == 200
