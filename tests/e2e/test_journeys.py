"""The product's journeys as its users live them, in Chromium."""

import re
import time

from playwright.sync_api import expect
from sqlalchemy import select

from crm.articles.models import Comment, CommentStatus
from crm.extensions import db
from crm.leads.models import Inquiry, Lead
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


def fill_who(page, company, name, email, country):
    """Step 1 of the quote request: who is asking."""
    page.fill("#company", company)
    page.fill("#name", name)
    page.fill("#email", email)
    page.select_option("#country", country)


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
    fill_who(page, "BrandCo Nutrition", "Dana Developer", "dana@brandco.example", "US")
    page.select_option("#formulation_type", "capsule")
    page.fill("#dose_mg", "500")
    page.fill("#servings_per_unit", "60")
    page.fill("#units", "10000")
    page.fill("#overage_pct", "5")
    expect(page.locator("#lines-0-slot .line-remove")).to_be_hidden()  # one line stays
    page.select_option("#lines-0-ingredient", "l-serine")
    page.check("#lines-0-compute")
    expect(page.locator("#lines-0-kg")).to_contain_text("315 kg")
    expect(page.locator("#lines-0-kg")).to_contain_text("13 × 25 kg = 325 kg")
    page.click("#add-line")
    page.select_option("#lines-1-ingredient", "glycine")
    page.fill("#lines-1-quantity_kg", "60")
    expect(page.locator("#lines-1-kg")).to_contain_text("3 × 25 kg")

    # A third line, then a change of mind about the second: Remove takes it out, and the
    # third moves up to take its number (and its field names, which the server reads).
    page.click("#add-line")
    page.select_option("#lines-2-ingredient", "l-theanine")
    page.fill("#lines-2-quantity_kg", "40")
    page.click("#lines-1-slot >> button:has-text('Remove')")
    expect(page.locator("#add-line-status")).to_have_text("Ingredient 2 (Glycine) removed.")
    expect(page.locator(".line-slot:visible legend")).to_have_text(
        ["Ingredient 1", "Ingredient 2"])
    expect(page.locator("#lines-1-ingredient")).to_be_focused()
    expect(page.locator("#lines-1-ingredient")).to_have_value("l-theanine")
    expect(page.locator("#lines-1-quantity_kg")).to_have_value("40")
    expect(page.locator("#lines-1-kg")).to_contain_text("2 × 25 kg = 50 kg")
    assert page.locator("[name^='lines-2-']:not(template *)").count() == 0
    # A line added and removed at once: focus goes back to the line before.
    page.click("#add-line")
    page.select_option("#lines-2-ingredient", "glycine")
    page.click("#lines-2-slot >> button:has-text('Remove')")
    expect(page.locator("#add-line-status")).to_have_text("Ingredient 3 (Glycine) removed.")
    expect(page.locator("#lines-1-ingredient")).to_be_focused()
    expect(page.locator(".line-slot:visible")).to_have_count(2)
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
        assert [(line.ingredient.slug, line.kg_rounded) for line in inquiry.lines] == [
            ("l-serine", 325), ("l-theanine", 50)]
        assert "glycine" not in str(inquiry.submitted)


def test_lines_given_up_on_are_removed_and_their_errors_with_them(site, page, shot):
    """A line set back to "Choose an ingredient" still holds its quantity and is refused;
    Remove takes it out, and the error summary follows the lines that move up."""
    page.goto(site.url + "/contact")
    fill_who(page, "Changeco", "Chris Change", "chris@changeco.example", "DE")
    page.select_option("#lines-0-ingredient", "glycine")
    page.fill("#lines-0-quantity_kg", "100")
    page.click("#add-line")
    page.select_option("#lines-1-ingredient", "l-serine")  # and no quantity
    page.click("#add-line")
    page.select_option("#lines-2-ingredient", "l-theanine")
    page.fill("#lines-2-quantity_kg", "50")
    page.select_option("#lines-2-ingredient", "")
    page.check("#consent")
    page.click("button:has-text('Send')")
    expect(page.locator("#error-summary")).to_be_focused()
    summary = page.locator("#error-summary a")
    expect(summary).to_have_text([
        re.compile(r"^Ingredient 2 · Quantity \(kg\): Give a quantity"),
        "Ingredient 3: Choose an ingredient for this line, or clear it."])
    shot(page, "lines-refused")
    summary.first.click()
    quantity = page.locator("#lines-1-quantity_kg")
    expect(quantity).to_be_focused()
    expect(quantity).to_have_accessible_description(re.compile(r"^Give a quantity in kg"))

    page.click("#lines-1-slot >> button:has-text('Remove')")
    expect(page.locator("#add-line-status")).to_have_text("Ingredient 2 (L-Serine) removed.")
    expect(summary).to_have_text(["Ingredient 2: Choose an ingredient for this line, or clear it."])
    expect(summary).to_have_attribute("href", "#lines-1-ingredient")
    expect(page.locator("#lines-1-ingredient")).to_be_focused()
    expect(page.locator("#lines-1-quantity_kg")).to_have_value("50")

    page.click("#lines-1-slot >> button:has-text('Remove')")
    expect(page.locator("#add-line-status")).to_have_text("Ingredient 2 removed.")
    expect(page.locator("#error-summary")).to_be_hidden()  # nothing left to attend to
    expect(page.locator("#lines-0-ingredient")).to_be_focused()
    expect(page.locator("#lines-0-slot .line-remove")).to_be_hidden()  # the last line stays
    page.click("button:has-text('Send')")
    reference = page.locator(".thanks-reference").inner_text().strip()
    with site.app.app_context():
        inquiry = db.session.scalar(select(Inquiry).where(Inquiry.reference == reference))
        assert [(line.ingredient.slug, line.kg_rounded) for line in inquiry.lines] == [
            ("glycine", 100)]


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


def _new_lead(site, company):
    """A lead made by the real intake pipeline, as if the form had been sent."""
    with site.app.app_context():
        from tests.factories import quote_request, submit

        inquiry = submit(quote_request(company=company, email=f"buyer@{company.lower()}.example"))
        return inquiry.lead_id, inquiry.reference


def test_salesperson_works_the_lead_and_sends_a_quote(site, page, shot):
    lead_id, reference = _new_lead(site, "Journeyco")
    sign_in(page, site, "sales")
    page.click("nav >> text=Leads")
    expect(page).to_have_url(re.compile(r"/dashboard/leads/$"))
    page.fill("#q", "journeyco")
    page.keyboard.press("Enter")  # submits the filter form: wait for the results page
    expect(page).to_have_url(re.compile(r"[?&]q=journeyco"))
    expect(page.locator(".inquiry-reference")).to_have_text([reference])
    shot(page, "lead-list")
    assert_every_control_labelled(page)
    page.click(f"text={reference}")
    expect(page).to_have_url(re.compile(rf"/dashboard/leads/{lead_id}$"))
    expect(page.locator("body")).to_contain_text("13 × 25 kg")
    shot(page, "lead")
    assert_every_control_labelled(page)

    page.select_option("#note-kind", "call")
    page.fill("#note-body", "Ana: capsules for the US market.")
    page.click("button:has-text('Add to the timeline')")
    expect(page.locator(".timeline")).to_contain_text("Call")
    expect(page.locator(".timeline")).to_contain_text("Ana: capsules for the US market.")
    page.click("button[name=status][value=contacted]")
    page.click("button[name=status][value=qualified]")
    expect(page.locator("body")).to_contain_text("Qualified")

    page.click("button:has-text('Draft a quote from the inquiry')")
    expect(page).to_have_url(re.compile(r"/dashboard/quotes/\d+"))
    shot(page, "quote-builder")
    assert_every_control_labelled(page)
    page.fill("#notes", "Samples ship within a week.")  # typed, not saved: sending sends it
    page.click("button:has-text('Send to customer')")
    expect(page.locator(".alert")).to_contain_text("Sent to")
    expect(page.locator(".quote-notes")).to_have_text("Samples ship within a week.")
    shot(page, "quote-sent")
    mail = wait_for(lambda: [m for m in site.messages_to("buyer@journeyco.example")
                             if re.search(r"Q-\d{4}-\d{4}", m["Subject"])])
    assert "/q/" in mail[0].get_body(("plain",)).get_content()


def quote_sent_to(site, company) -> tuple[int, str, str]:
    """A quote drafted and sent by the sales user on a new lead of ``company``: the lead's id,
    the quote's number and the link the customer's email carries."""
    from crm.auth.models import User
    from crm.leads.models import Lead
    from crm.quotes.operations import draft_from_lead, send_quote

    lead_id, _ = _new_lead(site, company)
    with site.app.app_context():
        seller = db.session.scalar(User.by_email("e2e-sales@example.com"))
        quote, _ = draft_from_lead(db.session, lead=db.session.get(Lead, lead_id), actor=seller)
        send_quote(db.session, quote=quote, actor=seller)
        db.session.commit()
        number = quote.number
    mail = wait_for(lambda: [m for m in site.messages_to(f"buyer@{company.lower()}.example")
                             if number in m["Subject"]])
    body = mail[0].get_body(("plain",)).get_content()
    return lead_id, number, re.search(r"http://127\.0\.0\.1:\d+/q/\S+", body).group(0)


def test_customer_accepts_the_quote_from_the_email(site, page, browser, shot):
    lead_id, number, link = quote_sent_to(site, "Acceptco")
    page.goto(link)
    expect(page.locator("body")).to_contain_text(number)
    shot(page, "customer-quote")
    check_public_page(page)
    with page.expect_download() as download:
        page.click("text=Download this quote as a PDF")
    with open(download.value.path(), "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"
    page.fill("input[name=name]", "Ana Formulator")
    page.check("input[name=agree]")
    page.click("button:has-text('Accept quote')")
    expect(page.locator(".quote-outcome-accepted")).to_contain_text("Accepted by Ana Formulator")
    shot(page, "customer-accepted")

    seller_page = browser.new_context().new_page()
    sign_in(seller_page, site, "sales")
    seller_page.goto(f"{site.url}/dashboard/leads/{lead_id}")
    expect(seller_page.locator("body")).to_contain_text("Won")
    expect(seller_page.locator(".timeline")).to_contain_text("accepted by Ana Formulator")
    shot(seller_page, "lead-won")
    # The quotes list: no longer awaiting an answer, among the accepted ones.
    seller_page.click("nav >> text=Quotes")
    seller_page.fill("input[name=q]", "Acceptco")
    seller_page.click("button:has-text('Filter')")
    expect(seller_page.locator(".quote-list tbody")).to_contain_text("No quotes match")
    seller_page.select_option("select[name=view]", "accepted")
    seller_page.click("button:has-text('Filter')")
    expect(seller_page.locator(".quote-list .quote-label")).to_have_text([number])
    shot(seller_page, "quotes-accepted")
    seller_page.context.close()


def test_the_quote_form_works_with_the_keyboard_alone(site, page, shot):
    """Tab through every control from the first field, typing where needed, then Enter."""
    to_type = {"company": "Keyco Labs", "name": "Kim Key", "email": "kim@keyco.example",
               "country": "United States", "lines-0-ingredient": "Glycine",
               "lines-0-quantity_kg": "100", "consent": " "}
    page.goto(site.url + "/contact")
    page.focus("#company")
    for _ in range(150):
        focused = page.evaluate("() => [document.activeElement.id, document.activeElement.type]")
        value = to_type.pop(focused[0], None)
        if value == " ":
            page.keyboard.press("Space")
        elif value:
            page.keyboard.type(value)
        if focused[1] == "submit" and not to_type:
            page.keyboard.press("Enter")
            break
        page.keyboard.press("Tab")
    assert to_type == {}, f"never reached by Tab: {sorted(to_type)}"
    expect(page.locator(".thanks-reference")).to_contain_text("INQ-")
    expect(page.locator("body")).to_contain_text("100 kg")
    shot(page, "keyboard-thanks")


def test_salesperson_ticks_every_lead_on_the_page_and_marks_them_contacted(site, page, shot):
    references = [_new_lead(site, f"Tickco{n}")[1] for n in range(2)]
    sign_in(page, site, "sales")
    page.goto(site.url + "/dashboard/leads/?q=tickco")
    expect(page.locator(".inquiry-reference")).to_have_count(2)
    page.check("#tick-all")  # drawn and wired by lead-list.js
    expect(page.locator("#bulk-count")).to_have_text("With the 2 leads ticked:")
    page.uncheck(f"[aria-label='Tick {references[0]}']")
    expect(page.locator("#bulk-count")).to_have_text("With the 1 lead ticked:")
    page.check("#tick-all")
    page.select_option("#bulk-status", "contacted")
    assert_every_control_labelled(page)
    page.click("button[name=action][value=status]")
    expect(page.locator(".alert-success")).to_contain_text("2 leads changed.")
    expect(page).to_have_url(re.compile(r"[?&]q=tickco"))
    shot(page, "lead-list-bulk")
    with site.app.app_context():
        statuses = db.session.scalars(select(Lead.status).where(
            Lead.reference.in_(references))).all()
    assert [status.value for status in statuses] == ["contacted", "contacted"]
