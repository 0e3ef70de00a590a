"""A form sent with a mistake, low on a long page: the person lands on what went wrong."""

import re

from playwright.sync_api import expect

from crm.auth.models import User
from crm.catalog.models import Ingredient
from crm.extensions import db
from crm.leads.models import Lead
from crm.quotes.operations import draft_from_lead
from tests.e2e.test_journeys import ARTICLE, _new_lead, sign_in


def test_an_error_low_on_the_lead_page_is_brought_into_view(site, page):
    lead_id, _ = _new_lead(site, "Errorco")
    page.set_viewport_size({"width": 390, "height": 800})
    sign_in(page, site, "sales")
    page.goto(f"{site.url}/dashboard/leads/{lead_id}")
    page.click("#email-heading")  # opens "Email the contact"
    page.fill("#email-body", "The CoA is attached.")
    page.click("button:has-text('Send the email')")
    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_be_in_viewport()
    summary.get_by_role("link", name=re.compile("Subject: Write a subject.")).click()
    expect(page.locator("#email-subject")).to_be_in_viewport()
    expect(page.locator("#email-body")).to_have_value("The CoA is attached.")


def test_a_comment_with_errors_brings_its_summary_into_view(site, page):
    page.goto(site.url + ARTICLE)
    page.fill("#body", "Is the USP grade non-GMO?")
    page.click("button:has-text('Post comment')")
    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_be_in_viewport()
    summary.get_by_role("link", name="Email: We need your email.").click()
    expect(page.locator("#author_email")).to_be_in_viewport()
    expect(page.locator("#body")).to_have_value("Is the USP grade non-GMO?")


def test_a_quote_sent_with_a_bad_line_is_summed_up_above_the_editor(site, page):
    lead_id, _ = _new_lead(site, "Builderco")
    with site.app.app_context():
        seller = db.session.scalar(User.by_email("e2e-sales@example.com"))
        quote, _ = draft_from_lead(db.session, lead=db.session.get(Lead, lead_id), actor=seller)
        db.session.commit()
        quote_id = quote.id
    page.set_viewport_size({"width": 390, "height": 800})
    sign_in(page, site, "sales")
    page.goto(f"{site.url}/dashboard/quotes/{quote_id}")
    page.fill("#lines-0-quantity_kg", "0")
    page.click("button:has-text('Send to customer')")
    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Nothing was sent or saved")
    summary.get_by_role("link", name=re.compile(r"Line 1 · Quantity \(kg\)")).click()
    quantity = page.locator("#lines-0-quantity_kg")
    expect(quantity).to_be_in_viewport()
    expect(quantity).to_have_accessible_description(
        "Enter a quantity above 0 and up to 1,000,000 kg.")


def test_a_refused_sign_in_is_summed_up_without_saying_which_half_was_wrong(site, page):
    page.set_viewport_size({"width": 390, "height": 800})
    page.goto(site.url + "/login")
    page.fill("#email", "e2e-sales@example.com")
    page.fill("#password", "not the password")
    page.click("button:has-text('Sign in')")
    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("You are not signed in")
    expect(summary.locator("li")).to_have_text(["Wrong email or password."])
    expect(summary.get_by_role("link")).to_have_count(0)  # neither field is pointed at
    expect(page.locator("[aria-invalid=true]")).to_have_count(0)
    expect(page.locator("#email")).to_have_value("e2e-sales@example.com")

    page.fill("#email", "")
    page.click("button:has-text('Sign in')")
    expect(summary).to_be_focused()
    summary.get_by_role("link", name="Email: This field is required.").click()
    expect(page.locator("#email")).to_be_in_viewport()
    expect(page.locator("#email")).to_have_accessible_description("This field is required.")


def test_a_reset_request_with_no_address_is_summed_up(site, page):
    page.goto(site.url + "/login/forgot")
    page.click("button:has-text('Send the link')")
    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("No link was sent")
    summary.get_by_role("link", name="Email: This field is required.").click()
    expect(page.locator("#email")).to_be_in_viewport()


def test_an_ingredient_saved_with_a_bad_price_is_summed_up_above_the_editor(site, page):
    with site.app.app_context():
        ingredient_id = db.session.scalar(Ingredient.__table__.select().with_only_columns(
            Ingredient.id).where(Ingredient.slug == "l-serine"))
    page.set_viewport_size({"width": 390, "height": 800})
    sign_in(page, site, "admin")
    page.goto(f"{site.url}/dashboard/catalog/{ingredient_id}")
    page.fill("#price_tiers-0-price_per_kg", "0")
    page.get_by_role("button", name="Save", exact=True).click()
    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_be_in_viewport()
    expect(summary).to_contain_text("Nothing was saved")
    summary.get_by_role("link", name=re.compile(r"^Price tier 1 · Price per kg: Enter a price "
                                                r"per kg above 0")).click()
    price = page.locator("#price_tiers-0-price_per_kg")
    expect(price).to_be_in_viewport()  # inside the table that scrolls sideways
    expect(price).to_have_accessible_description(re.compile(r"^Enter a price per kg above 0"))
    expect(price).to_have_value("0")
