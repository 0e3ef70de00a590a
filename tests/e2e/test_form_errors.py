"""A form sent with a mistake, low on a long page: the person lands on what went wrong."""

import re

from playwright.sync_api import expect

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
