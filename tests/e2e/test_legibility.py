"""Text people can read and controls they can hit and see: the contrast of text on the site's
grey panels and in the moderation queue, the size of the queue's row actions, the focus ring
of the navigation bars' links."""


from playwright.sync_api import expect
from sqlalchemy import select

from crm.articles.models import Article
from crm.catalog.models import Ingredient
from crm.extensions import db
from tests.e2e.checks import assert_text_contrast
from tests.e2e.test_journeys import quote_sent_to, sign_in
from tests.factories import make_comment


def test_text_on_the_panels_keeps_its_contrast(site, page):
    _, _, link = quote_sent_to(site, "Contrastco")
    with site.app.app_context():
        slug = db.session.scalar(select(Ingredient.slug).where(Ingredient.active.is_(True)))
    page.goto(link)
    page.click("button:has-text('Accept quote')")  # no name, no tick: the errors show
    expect(page.locator("#agree-error")).to_be_visible()
    assert_text_contrast(page, ".quote-answer")

    page.goto(f"{site.url}/ingredients/{slug}")
    assert_text_contrast(page, ".spec-supply")

    sign_in(page, site, "sales")
    page.goto(f"{site.url}/dashboard/leads/board?q=contrastco")  # one card: the rest say so
    expect(page.locator(".lead-board-column").first).to_be_visible()
    expect(page.get_by_text("No leads.").first).to_be_visible()
    assert_text_contrast(page, ".lead-board-column")


def test_the_moderation_queue_row_actions_are_legible_and_large_enough(site, page):
    with site.app.app_context():
        make_comment(db.session.scalar(select(Article).limit(1)), status="pending")
    sign_in(page, site, "moderator")
    page.goto(f"{site.url}/dashboard/moderation/")
    assert_text_contrast(page, ".moderation-queue .row-actions")
    actions = page.locator(".moderation-queue .row-actions").first.locator("a, button")
    assert actions.count() >= 5
    for box in (actions.nth(n).bounding_box() for n in range(actions.count())):
        assert box["height"] >= 24, box  # WCAG 2.5.8: 24 by 24 px, or that much room


FOCUSED_NAV_LINK = """() => {
  const link = document.activeElement;
  if (!link.matches('.nav-link')) return null;
  const style = getComputedStyle(link);
  return [style.outlineStyle, parseFloat(style.outlineWidth), style.outlineColor];
}"""


def _tab_to_a_nav_link(page):
    for _ in range(10):
        page.keyboard.press("Tab")
        outline = page.evaluate(FOCUSED_NAV_LINK)
        if outline:
            return outline
    raise AssertionError(f"no nav link takes the focus on {page.url}")


def test_a_focused_nav_link_shows_a_ring_that_stands_out_from_its_bar(site, page):
    page.goto(site.url + "/")
    assert _tab_to_a_nav_link(page) == ["solid", 3, "rgb(33, 37, 41)"]  # dark on white
    sign_in(page, site, "sales")
    assert _tab_to_a_nav_link(page) == ["solid", 3, "rgb(255, 255, 255)"]  # light on dark
