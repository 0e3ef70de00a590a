"""The product's journeys as its users live them, in Chromium."""

import re
import time

from playwright.sync_api import expect
from sqlalchemy import select

from crm.articles.models import Comment, CommentStatus
from crm.extensions import db
from crm.leads.models import Inquiry
from tests.e2e.checks import assert_every_control_labelled, check_public_page
from tests.e2e.conftest import PASSWORD

ARTICLE = "/articles/formulating-with-l-serine"


def wait_for(predicate, timeout=15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(0.1)
    raise AssertionError("timed out waiting")


def sign_in(page, site, role):
    page.goto(site.url + "/login")
    page.fill("#email", f"e2e-{role}@example.com")
    page.fill("#password", PASSWORD)
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/dashboard/"))


def test_developer_comments_then_requests_a_quote(site, page, shot):
    page.goto(site.url + "/")
    shot(page, "home")
    check_public_page(page)
    page.click("text=Formulating with L-serine")
    expect(page.locator("h1")).to_contain_text("L-serine")
    shot(page, "article")
    check_public_page(page)

    # The comment form, with the keyboard alone.
    page.focus("#author_name")
    page.keyboard.type("Dana Developer")
    page.keyboard.press("Tab")
    page.keyboard.type("dana@brandco.example")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.type("Does L-serine stay free-flowing in a 00 capsule at 600 mg?")
    page.focus("button:has-text('Post comment')")
    page.keyboard.press("Enter")
    expect(page.locator(".awaiting")).to_contain_text("awaiting moderation")
    shot(page, "comment-awaiting")

    # The quote request: a product plan and two ingredient lines.
    page.click("text=Request a quote >> nth=0")
    expect(page).to_have_url(re.compile(r"/contact"))
    page.fill("#company", "BrandCo Nutrition")
    page.fill("#name", "Dana Developer")
    page.fill("#email", "dana@brandco.example")
    page.select_option("#country", "US")
    page.select_option("#formulation_type", "capsule")
    page.fill("#dose_mg", "500")
    page.fill("#servings_per_unit", "60")
    page.fill("#units", "10000")
    page.fill("#overage_pct", "5")
    page.select_option("#lines-0-ingredient", "l-serine")
    page.check("#lines-0-compute")
    expect(page.locator("#lines-0-kg")).to_contain_text("315 kg")
    expect(page.locator("#lines-0-kg")).to_contain_text("13 × 25 kg = 325 kg")
    page.click("#add-line")
    page.select_option("#lines-1-ingredient", "glycine")
    page.fill("#lines-1-quantity_kg", "60")
    expect(page.locator("#lines-1-kg")).to_contain_text("3 × 25 kg")
    page.check("#documents-0")
    page.check("#consent")
    shot(page, "quote-form")
    check_public_page(page)
    page.click("button:has-text('Send')")
    reference = page.locator(".thanks-reference").inner_text().strip()
    assert re.fullmatch(r"INQ-[A-Z0-9]{6}", reference)
    expect(page.locator("body")).to_contain_text("325 kg")
    shot(page, "thanks")

    ack = wait_for(lambda: site.messages_to("dana@brandco.example"))
    assert reference in ack[0]["Subject"]
    with site.app.app_context():
        inquiry = db.session.scalar(select(Inquiry).where(Inquiry.reference == reference))
        assert len(inquiry.lines) == 2


def test_moderator_approves_and_the_public_sees_it_without_the_email(site, page, browser, shot):
    with site.app.app_context():
        from crm.articles.models import Article
        from tests.factories import make_comment

        article = db.session.scalar(select(Article))
        comment = make_comment(article, status="pending", author_name="Quinn Reader",
                               author_email="quinn.secret@reader.example",
                               body="Which grade suits a tablet press?")
        comment_id = comment.id
    sign_in(page, site, "moderator")
    shot(page, "dashboard")
    page.click("nav >> text=Moderation")
    row = page.locator("tr", has_text="Which grade suits a tablet press?")
    expect(row).to_contain_text("quinn.secret@reader.example")  # staff see it
    shot(page, "queue")
    assert_every_control_labelled(page)
    row.locator("button:has-text('Approve')").click()
    expect(page.locator(".alert")).to_contain_text("approved")
    with site.app.app_context():
        assert db.session.get(Comment, comment_id).status is CommentStatus.APPROVED

    anonymous = browser.new_context().new_page()
    anonymous.goto(site.url + ARTICLE)
    expect(anonymous.locator(f"#comment-{comment_id}")).to_contain_text(
        "Which grade suits a tablet press?")
    assert "quinn.secret" not in anonymous.content()
    shot(anonymous, "article-approved")
    anonymous.context.close()
