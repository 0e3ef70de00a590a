"""The quote pages over HTTP: the staff builder, the lead page's quotes card, and the
customer's page with its answer and PDF."""

import html
import io
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from crm.core.types import utcnow
from crm.extensions import db
from crm.leads import operations as lead_operations
from crm.leads.merging import merge
from crm.leads.models import Activity, ActivityKind, Lead, LeadStatus
from crm.notifications.models import OutboxEmail
from crm.quotes import answers, operations
from crm.quotes.models import Quote, QuoteStatus
from tests.conftest import error_summary
from tests.factories import make_user, quote_request, seed_catalog, submit

Q = QuoteStatus
COMPETITOR = "Matching a competitor offer"


def builder(quote):
    return f"/dashboard/quotes/{quote.id}"


def draft_through_the_page(client, lead) -> Quote:
    response = client.post(f"/dashboard/quotes/from-lead/{lead.id}")
    assert response.status_code == 303
    quote_id = int(re.fullmatch(r"/dashboard/quotes/(\d+)", response.headers["Location"])[1])
    return db.session.get(Quote, quote_id)


def form_of(quote, **changes) -> dict:
    """The builder's form as posted: the quote's terms and lines, with ``changes``."""
    data = {"currency": quote.currency, "incoterm": "FOB", "incoterm_place": "Rotterdam",
            "payment_terms": "30 days net", "valid_until": quote.valid_until.isoformat(),
            "notes": "Samples ship within a week.", "version": str(quote.version)}
    for n, line in enumerate(quote.lines):
        prefix = f"lines-{n}-"
        data.update({
            prefix + "description": line.description, prefix + "grade": line.grade or "",
            prefix + "quantity_kg": str(line.quantity_kg), prefix + "price_per_kg": "",
            prefix + "override_reason": line.override_reason or "",
            prefix + "discount_pct": str(line.discount_pct),
            prefix + "ingredient_id": str(line.ingredient_id or ""),
            prefix + "requested_ingredient_id": str(line.requested_ingredient_id or ""),
        })
    data.update(changes)
    return data


def sent_quote(lead, owner, **line_changes) -> tuple[Quote, str]:
    """A sent quote (optionally with its one line changed) and the path of the emailed link."""
    quote, _ = operations.draft_from_lead(db.session, lead=lead, actor=owner)
    if line_changes:
        line = quote.lines[0]
        values = {"description": line.description, "grade": line.grade,
                  "quantity_kg": line.quantity_kg, "ingredient_id": line.ingredient_id,
                  "requested_ingredient_id": line.requested_ingredient_id, **line_changes}
        operations.update_draft(
            db.session, quote=quote, lines=[operations.LineInput(**values)], currency="USD",
            incoterm="FOB", incoterm_place="Rotterdam", payment_terms="30 days net",
            valid_until=quote.valid_until, notes="")
    operations.send_quote(db.session, quote=quote, actor=owner)
    db.session.commit()
    return quote, emailed_link(quote)


def emailed_link(quote) -> str:
    email = db.session.scalar(select(OutboxEmail).where(
        OutboxEmail.template == "quote_sent", OutboxEmail.related_id == quote.id))
    return re.search(r"https://crm\.example\.test(/q/[A-Za-z0-9_-]+)", email.body_text)[1]


def activities(lead, text) -> int:
    return db.session.scalar(select(func.count(Activity.id)).where(
        Activity.lead_id == lead.id, Activity.kind == ActivityKind.QUOTE,
        Activity.body.contains(text)))


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


# --- the staff builder -------------------------------------------------------------------------

def test_draft_edit_and_send_through_the_builder(client, auth, lead, owner):
    auth.login(owner)
    page = client.get(f"/dashboard/leads/{lead.id}").get_data(as_text=True)
    assert "No quotes yet." in page and "Draft a quote from the inquiry" in page

    response = client.post(f"/dashboard/quotes/from-lead/{lead.id}", follow_redirects=True)
    page = response.get_data(as_text=True)
    quote = db.session.scalar(select(Quote))
    assert f"{quote.label} is drafted from the inquiry" in page
    assert "L-Serine" in page and "13 × 25 kg" in page and "12,675.00" in page
    assert 'name="lines-0-quantity_kg"' in page and 'value="325"' in page
    assert "Send to customer" in page and "Revise" not in page

    # A price that is not the tier's needs a reason: refused, and nothing is saved.
    response = client.post(builder(quote), data=form_of(quote, **{
        "lines-0-price_per_kg": "36.00", "incoterm": "CIF"}))
    assert response.status_code == 400
    assert "say why the price differs from the tier price" in response.get_data(as_text=True)
    db.session.refresh(quote)
    assert quote.incoterm == "EXW" and quote.lines[0].price_per_kg == 39

    response = client.post(builder(quote), data=form_of(quote, **{
        "lines-0-price_per_kg": "36.00", "lines-0-override_reason": COMPETITOR,
        "lines-1-description": "Rosehip extract", "lines-1-quantity_kg": "3",
        "lines-1-price_per_kg": "12.50", "lines-1-discount_pct": "10"}))
    assert response.status_code == 303
    db.session.refresh(quote)
    assert [line.description for line in quote.lines] == ["L-Serine", "Rosehip extract"]
    assert (quote.incoterm, quote.incoterm_place) == ("FOB", "Rotterdam")
    assert quote.lines[0].override_reason == COMPETITOR
    assert str(quote.total) == "11733.75"  # 325 × 36.00 + 3 × 12.50 × 90 %
    page = client.get(builder(quote)).get_data(as_text=True)
    assert "11,733.75 USD" in page and COMPETITOR in page

    # The spare row stays out; a ticked line goes.
    response = client.post(builder(quote), data=form_of(quote, **{"lines-1-remove": "y"}))
    assert response.status_code == 303
    db.session.refresh(quote)
    assert [line.description for line in quote.lines] == ["L-Serine"]

    response = client.post(f"{builder(quote)}/send", follow_redirects=True)
    assert f"Sent to {lead.contact_email}." in response.get_data(as_text=True)
    db.session.refresh(quote)
    assert quote.status is Q.SENT and lead.status is LeadStatus.QUOTED
    page = client.get(builder(quote)).get_data(as_text=True)
    assert "Edit the draft" not in page and "Send to customer" not in page
    assert "Revise" in page and COMPETITOR in page  # the staff-only pricing panel


def quote_emails(quote) -> list[OutboxEmail]:
    return db.session.scalars(select(OutboxEmail).where(
        OutboxEmail.template == "quote_sent", OutboxEmail.related_id == quote.id)).all()


def test_send_to_customer_sends_the_edits_on_screen(client, auth, lead, owner):
    """The Send button posts the editor: what was typed and not saved is saved, then sent."""
    auth.login(owner)
    quote = draft_through_the_page(client, lead)
    page = client.get(builder(quote)).get_data(as_text=True)
    editor = re.search(rf'<form method="post" action="{builder(quote)}".*?</form>', page, re.S)[0]
    assert re.search(r'<button type="submit"[^>]* name="send"[^>]*>Send to customer<', editor)

    response = client.post(builder(quote), data=form_of(quote, send="y", **{
        "notes": "Typed, never saved.", "lines-0-quantity_kg": "400"}))
    assert response.status_code == 303
    assert response.headers["Location"] == builder(quote)
    db.session.refresh(quote)
    assert quote.status is Q.SENT and quote.notes == "Typed, never saved."
    assert quote.lines[0].quantity_kg == 400
    [email] = quote_emails(quote)
    assert "L-Serine (USP): 400 kg (16 × " in email.body_text
    assert "Total: 15,600.00 USD, FOB Rotterdam" in email.body_text
    page = client.get(builder(quote)).get_data(as_text=True)
    assert f"Sent to {lead.contact_email}." in page and "Typed, never saved." in page


def test_send_to_customer_with_edits_that_fail_sends_and_saves_nothing(client, auth, lead, owner):
    auth.login(owner)
    quote = draft_through_the_page(client, lead)
    refusals = [
        ({"payment_terms": ""}, "Say how the customer pays."),  # the form's
        ({"lines-0-price_per_kg": "36.00"}, "say why the price differs"),  # update_draft's
        ({"lines-1-description": "Rosehip extract", "lines-1-quantity_kg": "3"},
         "Price every line before sending: Rosehip extract."),  # send_quote's
    ]
    for changes, message in refusals:
        response = client.post(builder(quote), data=form_of(quote, send="y", **{
            "notes": "Not this one.", **changes}))
        assert response.status_code == 400, message
        page = response.get_data(as_text=True)
        assert message in page and "Not this one." in page  # the edits stay on screen
        db.session.refresh(quote)
        assert quote.status is Q.DRAFT and quote.notes == ""
        assert [line.description for line in quote.lines] == ["L-Serine"]
        assert quote_emails(quote) == [] and lead.status is not LeadStatus.QUOTED


def test_the_builder_shows_form_errors_and_never_takes_a_typed_total(client, auth, lead, owner):
    auth.login(owner)
    quote = draft_through_the_page(client, lead)
    response = client.post(builder(quote), data=form_of(quote, **{
        "lines-0-quantity_kg": "lots", "lines-0-total": "1.00", "payment_terms": "",
        "currency": "BTC"}))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Enter a number, e.g. 500 or 2.5." in page and "Say how the customer pays." in page
    assert "Not a valid choice." in page
    response = client.post(builder(quote), data=form_of(quote, **{
        "lines-0-description": "", "lines-0-quantity_kg": ""}))
    assert "A quote needs at least one line." in response.get_data(as_text=True)
    db.session.refresh(quote)
    assert str(quote.total) == "12675.00"


NOT_A_NUMBER = "Enter a number, e.g. 500 or 2.5."
QUANTITY_RANGE = "Enter a quantity above 0 and up to 1,000,000 kg."
PRICE_RANGE = "Enter a price from 0 up to 1,000,000 per kg."
DISCOUNT_RANGE = "From 0 to 99.99 %."
BROKEN_LINK = "This line's link is broken: reload the page."
BEYOND_ANY_ID = str(10**20)  # more than a 64-bit id column holds


@pytest.mark.parametrize(("changes", "message"), [
    *[({f"lines-0-{field}": value}, NOT_A_NUMBER)
      for field in ("quantity_kg", "price_per_kg", "discount_pct")
      for value in ("Infinity", "-Infinity", "NaN", "sNaN")],
    ({"lines-0-quantity_kg": "1e30"}, QUANTITY_RANGE),
    ({"lines-0-quantity_kg": "1e12"}, QUANTITY_RANGE),
    ({"lines-0-quantity_kg": "1000000.001"}, QUANTITY_RANGE),
    ({"lines-0-quantity_kg": "0"}, QUANTITY_RANGE),
    ({"lines-0-quantity_kg": "1e-9999999"}, "Use at most 3 decimal places."),
    ({"lines-0-quantity_kg": "325.0001"}, "Use at most 3 decimal places."),
    ({"lines-0-price_per_kg": "1e30"}, PRICE_RANGE),
    ({"lines-0-price_per_kg": "-1"}, PRICE_RANGE),
    ({"lines-0-price_per_kg": "39.001"}, "Use at most 2 decimal places."),
    ({"lines-0-price_per_kg": "42,50"}, NOT_A_NUMBER),  # sent as typed: a text input
    ({"lines-0-discount_pct": "1e30"}, DISCOUNT_RANGE),
    ({"lines-0-discount_pct": "10.005"}, "Use at most 2 decimal places."),
    ({"lines-0-ingredient_id": BEYOND_ANY_ID}, BROKEN_LINK),
    ({"lines-0-ingredient_id": "0"}, BROKEN_LINK),
    ({"lines-0-requested_ingredient_id": BEYOND_ANY_ID}, BROKEN_LINK),
    ({"lines-0-requested_ingredient_id": f"-{BEYOND_ANY_ID}"}, BROKEN_LINK),
    # Each amount within its bounds, but 1,000,000 kg × 1,000,000 is more than a total holds.
    ({"lines-0-quantity_kg": "1000000", "lines-0-price_per_kg": "1000000"},
     "more than a quote can hold"),
])
def test_the_builder_refuses_numbers_it_cannot_keep_and_saves_nothing(
        client, auth, lead, owner, changes, message):
    auth.login(owner)
    quote = draft_through_the_page(client, lead)
    response = client.post(builder(quote), data=form_of(
        quote, **{"lines-0-override_reason": COMPETITOR, **changes}))
    assert response.status_code == 400
    assert message in html.unescape(response.get_data(as_text=True))
    db.session.refresh(quote)
    assert (quote.incoterm, str(quote.total)) == ("EXW", "12675.00")
    assert [str(line.quantity_kg) for line in quote.lines] == ["325.000"]


def test_the_builder_sums_up_its_errors_at_the_top_and_ties_each_to_its_field(
        client, auth, lead, owner):
    auth.login(owner)
    quote = draft_through_the_page(client, lead)
    response = client.post(builder(quote), data=form_of(quote, send="y", **{
        "payment_terms": "", "lines-0-quantity_kg": "0", "lines-0-discount_pct": "100",
        "lines-0-ingredient_id": "0", "lines-1-description": "Rosehip extract"}))
    assert response.status_code == 400
    page = html.unescape(response.get_data(as_text=True))
    assert page.index('id="error-summary"') < page.index('id="editor-heading"')
    summary = error_summary(page)
    assert "Nothing was sent or saved" in summary and "autofocus" in summary
    assert re.findall(r'<a href="#([^"]+)">([^<]+)</a>', summary) == [
        ("payment_terms", "Payment terms: Say how the customer pays."),
        ("lines-0-quantity_kg", f"Line 1 · Quantity (kg): {QUANTITY_RANGE}"),
        ("lines-0-discount_pct", f"Line 1 · Discount %: {DISCOUNT_RANGE}"),
        ("lines-0-description", f"Line 1: {BROKEN_LINK}"),  # a hidden field's: its line
        ("lines-1-quantity_kg", "Line 2 · Quantity (kg): Enter the quantity in kg."),
    ]
    for field, message in (("lines-0-quantity_kg", QUANTITY_RANGE),
                           ("lines-0-discount_pct", DISCOUNT_RANGE)):
        assert f'<div id="{field}-error" class="invalid-feedback d-block">{message}</div>' in page
        control = re.search(f'<input [^>]*id="{field}"[^>]*>', page).group(0)
        assert f'aria-describedby="{field}-error"' in control
        assert 'aria-invalid="true"' in control
    assert '<label class="visually-hidden" for="lines-0-quantity_kg">Quantity in kg, line 1' \
        in page
    response = client.post(builder(quote), data=form_of(quote, **{
        "lines-0-description": "", "lines-0-quantity_kg": ""}))
    summary = response.get_data(as_text=True).split('id="error-summary"')[1]
    assert '<a href="#lines-0-description">Lines: A quote needs at least one line.</a>' in summary
    assert "Nothing was saved: see below" in summary
    assert 'id="error-summary"' not in client.get(builder(quote)).get_data(as_text=True)


def test_staff_actions_the_state_refuses_are_flashed(client, auth, lead, owner):
    auth.login(owner)
    quote, _ = sent_quote(lead, owner)
    page = client.post(f"{builder(quote)}/send", follow_redirects=True).get_data(as_text=True)
    assert "A sent quote cannot be sent again." in page
    response = client.post(builder(quote), data=form_of(quote))
    assert response.status_code == 400
    assert "Only a draft can be edited" in response.get_data(as_text=True)
    assert client.get("/dashboard/quotes/999999").status_code == 404
    assert client.post("/dashboard/quotes/from-lead/999999").status_code == 404


def test_sending_while_someone_saves_the_lead_says_so_and_sends_nothing(
        client, auth, lead, owner, monkeypatch):
    auth.login(owner)
    quote, _ = operations.draft_from_lead(db.session, lead=lead, actor=owner)
    db.session.commit()
    send = operations.send_quote

    def send_while_staff_save(session, **kwargs):
        assert kwargs["quote"].lead.version  # the page has read the lead when a save lands
        with db.engine.begin() as other:
            other.execute(update(Lead).where(Lead.id == lead.id).values(
                version=Lead.version + 1))
        return send(session, **kwargs)

    monkeypatch.setattr(operations, "send_quote", send_while_staff_save)
    response = client.post(f"{builder(quote)}/send", follow_redirects=True)
    assert response.status_code == 200
    assert "changed this quote or its lead at the same moment" in response.get_data(as_text=True)
    assert db.session.get(Quote, quote.id).status is Q.DRAFT
    assert not db.session.scalar(select(func.count(OutboxEmail.id)).where(
        OutboxEmail.template == "quote_sent"))


def in_another_request(change):
    """Run ``change(session)`` in a session of its own and commit it, as a request that
    lands between this one's read and its write."""
    with Session(db.engine) as other:
        change(other)
        other.commit()


def test_a_save_racing_the_send_of_the_same_draft_changes_nothing_sent(
        client, auth, lead, owner, monkeypatch):
    auth.login(owner)
    quote = draft_through_the_page(client, lead)
    before = [(line.description, line.quantity_kg, line.line_total) for line in quote.lines]
    update_draft = operations.update_draft

    def save_while_a_colleague_sends(session, **kwargs):
        assert kwargs["quote"].status is Q.DRAFT  # the page has read the draft...
        in_another_request(lambda other: operations.send_quote(  # ...when it is sent
            other, quote=other.get(Quote, quote.id), actor=None))
        return update_draft(session, **kwargs)

    monkeypatch.setattr(operations, "update_draft", save_while_a_colleague_sends)
    response = client.post(builder(quote), data=form_of(quote, **{
        "lines-0-quantity_kg": "1", "lines-0-price_per_kg": "1",
        "lines-0-override_reason": COMPETITOR}))
    assert response.status_code == 400
    assert "changed this quote or its lead at the same moment" in response.get_data(
        as_text=True)
    db.session.expire_all()
    quote = db.session.get(Quote, quote.id)
    assert quote.status is Q.SENT  # as emailed, line for line
    assert [(line.description, line.quantity_kg, line.line_total)
            for line in quote.lines] == before


def test_a_draft_saved_by_a_colleague_is_not_overwritten_by_an_older_editor(
        client, auth, lead, owner):
    auth.login(owner)
    quote = draft_through_the_page(client, lead)
    opened = form_of(quote)  # the editor as this user opened it
    colleague = make_user(role="sales")
    in_another_request(lambda other: operations.update_draft(
        other, quote=other.get(Quote, quote.id), lines=[operations.LineInput(
            description="L-Serine", quantity_kg=Decimal(500), ingredient_id=None,
            price_per_kg=Decimal("41.50"))], currency="USD", incoterm="DAP",
        incoterm_place="Chicago", payment_terms="60 days net",
        valid_until=quote.valid_until, notes=f"Agreed by {colleague.name}",
        expected_version=quote.version))
    response = client.post(builder(quote), data={**opened, "notes": "Mine"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Someone else saved this draft after you opened it" in page
    assert "Mine" in page  # what was typed stays, to be saved again knowingly
    db.session.expire_all()
    quote = db.session.get(Quote, quote.id)
    assert (quote.notes, quote.incoterm, quote.total) == (
        f"Agreed by {colleague.name}", "DAP", Decimal("20750.00"))

    version = re.search(r'name="version" type="hidden" value="(\d+)"', page)[1]
    assert int(version) == quote.version
    response = client.post(builder(quote), data={**opened, "notes": "Mine",
                                                  "version": version})
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Quote, quote.id).notes == "Mine"


def test_revising_from_the_builder(client, auth, lead, owner):
    auth.login(owner)
    first, _ = sent_quote(lead, owner)
    response = client.post(f"{builder(first)}/revise")
    assert response.status_code == 303
    second = db.session.scalar(select(Quote).where(Quote.revision == 2))
    assert response.headers["Location"] == builder(second)
    page = client.get(builder(second)).get_data(as_text=True)
    assert f"{first.number} rev. 2" in page and "Edit the draft" in page
    page = client.get(builder(first)).get_data(as_text=True)
    assert "The latest revision is" in page and "Revise" not in page
    client.post(f"{builder(second)}/send")
    page = client.get(builder(first)).get_data(as_text=True)
    assert "This quote was superseded." in page and builder(second) in page


def test_a_lost_leads_quote_offers_no_revision_and_refuses_one(client, auth, lead, owner):
    auth.login(owner)
    quote, _ = sent_quote(lead, owner)
    assert f"{builder(quote)}/revise" in client.get(builder(quote)).get_data(as_text=True)
    lead_operations.change_status(db.session, lead=lead, status=LeadStatus.LOST, actor=owner,
                                  lost_reason="Went with a competitor")
    db.session.commit()
    assert f"{builder(quote)}/revise" not in client.get(builder(quote)).get_data(as_text=True)
    response = client.post(f"{builder(quote)}/revise", follow_redirects=True)
    assert "A lost lead gets no quote. Reopen it first." in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Quote.id))) == 1


def test_revising_twice_at_once_makes_one_revision(client, auth, lead, owner, monkeypatch):
    """A double click on Revise: both requests find rev. 1 the latest; the second to write
    is told, instead of failing on the number and revision already taken (a 500)."""
    auth.login(owner)
    first, _ = sent_quote(lead, owner)
    new_token, calls = operations.new_token, []

    def token_while_the_other_click_revises():
        if not calls:  # this click has found rev. 1 the latest; the other one lands now
            calls.append(1)
            in_another_request(lambda other: operations.revise_quote(
                other, quote=other.get(Quote, first.id), actor=None))
        return new_token()

    monkeypatch.setattr(operations, "new_token", token_while_the_other_click_revises)
    response = client.post(f"{builder(first)}/revise", follow_redirects=True)
    assert response.status_code == 200
    assert "changed this quote or its lead at the same moment" in response.get_data(
        as_text=True)
    assert db.session.scalars(select(Quote.revision).where(
        Quote.number == first.number).order_by(Quote.revision)).all() == [1, 2]


def test_a_draft_is_discarded_from_the_builder_and_a_sent_quote_is_not(
        client, auth, lead, owner):
    auth.login(owner)
    spare = draft_through_the_page(client, lead)  # the second click on "Draft"
    path, number = builder(spare), spare.number
    assert f"{path}/discard" in client.get(path).get_data(as_text=True)
    response = client.post(f"{path}/discard", follow_redirects=True)
    assert response.request.path == f"/dashboard/leads/{lead.id}"
    page = response.get_data(as_text=True)
    assert f"The draft {number} is discarded." in page
    assert f'href="{path}"' not in page  # gone from the lead's quotes
    assert client.get(path).status_code == 404

    quote, _ = sent_quote(lead, owner)
    assert f"{builder(quote)}/discard" not in client.get(builder(quote)).get_data(as_text=True)
    response = client.post(f"{builder(quote)}/discard", follow_redirects=True)
    assert "only a draft can be discarded" in response.get_data(as_text=True)
    assert db.session.get(Quote, quote.id).status is Q.SENT


def test_a_read_only_quote_shows_what_happened(client, auth, lead, owner):
    quote, link = sent_quote(lead, owner)
    client.get(link)
    client.post(f"{link}/accept", data={"name": "Ana Formulator", "agree": "y"},
                environ_base={"REMOTE_ADDR": "203.0.113.7"})
    auth.login(owner)
    page = client.get(builder(quote)).get_data(as_text=True)
    assert "Accepted by" in page and "Ana Formulator" in page and "203.0.113.7" in page
    assert "Viewed" in page and "Not yet" not in page


def test_the_lead_page_lists_its_quotes_newest_first(client, auth, lead, owner):
    first, _ = sent_quote(lead, owner)
    second, _ = operations.draft_from_lead(db.session, lead=lead, actor=owner)
    db.session.commit()
    auth.login(owner)
    page = client.get(f"/dashboard/leads/{lead.id}").get_data(as_text=True)
    card = page[page.index('id="quotes-heading"'):]
    assert card.index(second.label) < card.index(first.label)
    assert builder(first) in card and builder(second) in card
    assert "Sent</span>" in card and "Draft</span>" in card
    assert "12,675.00 USD" in card and "valid until" in card
    assert "No quotes yet." not in card
    assert f"Quote {first.label} sent" in page  # the timeline


def test_the_lead_facts_give_the_value_of_the_latest_live_quote(client, auth, lead, owner):
    auth.login(owner)

    def quoted() -> str:
        page = client.get(f"/dashboard/leads/{lead.id}").get_data(as_text=True)
        row = page[page.index("<dt>Quoted</dt>"):]
        return " ".join(row[:row.index("</dd>")].split())

    assert quoted().endswith("<dd>—")
    operations.draft_from_lead(db.session, lead=lead, actor=owner)  # a draft is no offer
    db.session.commit()
    assert quoted().endswith("<dd>—")
    first, _ = sent_quote(lead, owner)
    assert f"12,675.00 USD ({first.label}, sent)" in quoted()


# --- the customer's page -----------------------------------------------------------------------

def test_the_customer_page_shows_the_quote_and_no_staff_data(client, lead, owner):
    lead_operations.add_note(db.session, lead=lead, body="Internal: they pay late", actor=owner)
    db.session.commit()
    quote, link = sent_quote(lead, owner, price_per_kg=36, override_reason=COMPETITOR)
    response = client.get(link)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    page = response.get_data(as_text=True)
    for shown in (quote.label, "Northfield Ingredients", "Acme Nutrition", "Ana Formulator",
                  "L-Serine", "USP", "325 kg", "13 × 25 kg", "36.00", "11,700.00 USD",
                  "0.0180", "per 500 mg serving", "FOB Rotterdam", "30 days net",
                  "I accept this quote and its terms", "Request a quote"):
        assert shown in page, shown
    for hidden in (COMPETITOR, "39.00", owner.email, owner.name, "score", "Score",
                   "Internal: they pay late", "198.51.100.1", "Sign out", "Dashboard"):
        assert hidden not in page, hidden


def test_unknown_and_tampered_links_reveal_nothing(client, lead, owner):
    quote, link = sent_quote(lead, owner)
    token = link.removeprefix("/q/")
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
    unknown = client.get("/q/" + "x" * 43)
    assert unknown.status_code == 404
    for path in (f"/q/{tampered}", f"/q/{tampered}.pdf", f"/q/{token.upper()}",
                 f"/q/{token}x", "/q/" + "a" * 500):
        response = client.get(path)
        assert response.status_code == 404, path
        assert response.data == unknown.data, path
        assert quote.number.encode() not in response.data
    for action in ("accept", "decline"):
        assert client.post(f"/q/{tampered}/{action}", data={
            "name": "Eve", "agree": "y"}).status_code == 404
    assert db.session.get(Quote, quote.id).status is Q.SENT


def test_a_draft_cannot_be_opened_by_its_token(client, lead, owner):
    quote, _ = operations.draft_from_lead(db.session, lead=lead, actor=owner)
    token, quote.token_hash = operations.new_token()  # as if someone knew it
    db.session.commit()
    assert client.get(f"/q/{token}").status_code == 404
    assert client.get(f"/q/{token}.pdf").status_code == 404
    assert client.post(f"/q/{token}/accept", data={"name": "Ana", "agree": "y"}) \
        .status_code == 404


def test_the_first_view_is_recorded_once(client, lead, owner):
    quote, link = sent_quote(lead, owner)
    client.get(link)
    db.session.refresh(quote)
    assert quote.status is Q.VIEWED
    viewed_at = quote.viewed_at
    client.get(link)
    client.get(link + ".pdf")
    db.session.refresh(quote)
    assert activities(lead, "viewed by the customer") == 1 and quote.viewed_at == viewed_at


def test_accepting_wins_the_lead_and_a_second_click_is_harmless(client, lead, owner):
    quote, link = sent_quote(lead, owner)
    response = client.post(f"{link}/accept", data={"name": "Ana Formulator"})
    assert response.status_code == 400
    assert "Tick the box to accept the quote." in response.get_data(as_text=True)
    assert db.session.get(Quote, quote.id).status is Q.SENT

    for _ in range(2):
        response = client.post(f"{link}/accept", data={"name": "Ana Formulator", "agree": "y"})
        assert response.status_code == 303 and response.headers["Location"] == link
    db.session.refresh(quote)
    assert quote.status is Q.ACCEPTED and quote.accepted_by_name == "Ana Formulator"
    assert quote.accepted_ip == "127.0.0.1"
    assert lead.status is LeadStatus.WON
    assert activities(lead, "accepted by") == 1
    assert db.session.scalar(select(func.count(OutboxEmail.id)).where(
        OutboxEmail.template == "quote_accepted")) == 1
    assert db.session.scalars(select(OutboxEmail.recipient).where(
        OutboxEmail.template == "quote_acceptance")).all() == [lead.contact.email]
    page = client.get(link).get_data(as_text=True)
    assert "a copy is on its way to you by email" in page
    date = quote.accepted_at.strftime("%-d %B %Y")
    assert f"Accepted by Ana Formulator on {date}" in page
    assert f"{link}/accept" not in page and "127.0.0.1" not in page


def test_accepting_while_staff_save_the_lead_wins_it_and_keeps_their_change(
        client, lead, owner, monkeypatch):
    quote, link = sent_quote(lead, owner)
    accept, calls = answers.accept_quote, []

    def accept_while_staff_save(session, **kwargs):
        assert kwargs["quote"].lead.version  # the page has read the lead...
        if not calls:  # ...when a salesperson's save lands, before the page writes
            with db.engine.begin() as other:
                other.execute(update(Lead).where(Lead.id == lead.id).values(
                    version=Lead.version + 1, next_action_note="Call the buyer"))
        calls.append(kwargs["name"])
        accept(session, **kwargs)

    monkeypatch.setattr(answers, "accept_quote", accept_while_staff_save)
    response = client.post(f"{link}/accept", data={"name": "Ana Formulator", "agree": "y"})
    assert response.status_code == 303 and len(calls) == 2  # tried again on the fresh lead
    db.session.refresh(lead)
    assert lead.status is LeadStatus.WON and lead.next_action_note == "Call the buyer"
    assert activities(lead, "accepted by") == 1


def test_accepting_while_the_customer_declines_in_another_tab_counts_only_one_answer(
        client, lead, owner, monkeypatch):
    quote, link = sent_quote(lead, owner)
    accept = answers.accept_quote

    def accept_while_declined_elsewhere(session, **kwargs):
        if kwargs["quote"].status is not Q.DECLINED:  # read as open, then declined elsewhere
            in_another_request(lambda other: answers.decline_quote(
                other, quote=other.get(Quote, quote.id), reason="Over our budget"))
        accept(session, **kwargs)

    monkeypatch.setattr(answers, "accept_quote", accept_while_declined_elsewhere)
    response = client.post(f"{link}/accept", data={"name": "Ana Formulator", "agree": "y"})
    assert response.status_code == 400
    assert "can no longer be answered" in response.get_data(as_text=True)
    db.session.expire_all()
    quote, lead = db.session.get(Quote, quote.id), db.session.get(Lead, lead.id)
    assert quote.status is Q.DECLINED and quote.accepted_at is None
    assert lead.status is LeadStatus.QUOTED
    assert [email.template for email in db.session.scalars(select(OutboxEmail).where(
        OutboxEmail.template.like("quote_%ed")))] == ["quote_declined"]


def test_a_view_at_the_moment_of_acceptance_leaves_the_quote_accepted(
        client, lead, owner, monkeypatch):
    quote, link = sent_quote(lead, owner)
    mark_viewed = answers.mark_viewed

    def view_while_accepted_elsewhere(session, **kwargs):
        if kwargs["quote"].status is Q.SENT:  # the page read it as sent, then it is accepted
            in_another_request(lambda other: answers.accept_quote(
                other, quote=other.get(Quote, quote.id), name="Ana Formulator", ip=None))
        mark_viewed(session, **kwargs)

    monkeypatch.setattr(answers, "mark_viewed", view_while_accepted_elsewhere)
    response = client.get(link)
    assert response.status_code == 200
    assert "Accepted by Ana Formulator" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Quote, quote.id).status is Q.ACCEPTED


def test_an_answer_with_errors_is_summed_up_where_the_page_opens(client, lead, owner):
    quote, link = sent_quote(lead, owner)
    response = client.post(f"{link}/accept", data={"name": ""})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert page.index('id="error-summary"') < page.index('class="quote-document"')
    summary = error_summary(page)
    assert "Your answer was not recorded" in summary and "autofocus" in summary
    assert '<a href="#name">Your full name: Type your full name to accept.</a>' in summary
    assert '<a href="#agree">' in summary
    db.session.refresh(quote)
    assert quote.status is Q.SENT


def test_declining_keeps_the_lead_open(client, lead, owner):
    quote, link = sent_quote(lead, owner)
    response = client.post(f"{link}/decline", data={"reason": "Over our budget"},
                           follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "Declined" in page and f"{link}/accept" not in page
    assert "Over our budget" not in page  # the reason goes to sales, not back on the page
    db.session.refresh(quote)
    assert quote.status is Q.DECLINED and quote.decline_reason == "Over our budget"
    assert lead.status is LeadStatus.QUOTED
    response = client.post(f"{link}/accept", data={"name": "Ana Formulator", "agree": "y"})
    assert response.status_code == 400
    assert "can no longer be answered" in response.get_data(as_text=True)


def test_an_expired_quote_says_so_and_cannot_be_accepted(client, lead, owner):
    quote, link = sent_quote(lead, owner)
    quote.valid_until = utcnow().date() - timedelta(days=1)
    db.session.commit()
    page = client.get(link).get_data(as_text=True)
    assert "This quote has expired — " in page and "ask us for a new one" in page
    assert f"{link}/accept" not in page and f"{link}/decline" not in page
    response = client.post(f"{link}/accept", data={"name": "Ana Formulator", "agree": "y"})
    assert response.status_code == 400
    assert "This quote has expired." in response.get_data(as_text=True)
    db.session.refresh(quote)
    assert quote.status is Q.EXPIRED and lead.status is LeadStatus.QUOTED


def test_a_superseded_quote_points_to_the_newer_email(client, lead, owner):
    first, old_link = sent_quote(lead, owner)
    second = operations.revise_quote(db.session, quote=first, actor=owner)
    db.session.commit()
    page = client.get(old_link).get_data(as_text=True)
    assert f"{old_link}/accept" in page  # still answerable while the revision is a draft

    operations.send_quote(db.session, quote=second, actor=owner)
    db.session.commit()
    new_link = emailed_link(second)
    page = client.get(old_link).get_data(as_text=True)
    assert "This quote was replaced by a newer version." in page
    assert f"We emailed you quote {second.label}" in page
    assert new_link not in page and f"{old_link}/accept" not in page
    response = client.post(f"{old_link}/accept", data={"name": "Ana Formulator", "agree": "y"})
    assert response.status_code == 400
    assert "replaced by a newer version" in response.get_data(as_text=True)
    assert client.get(new_link).status_code == 200
    assert db.session.get(Quote, first.id).status is Q.SUPERSEDED


def test_a_lost_or_spam_lead_takes_no_answer_until_it_is_reopened(client, lead, owner):
    quote, link = sent_quote(lead, owner)
    lead_operations.change_status(db.session, lead=lead, status=LeadStatus.LOST, actor=owner,
                                  lost_reason="Went with a competitor")
    db.session.commit()
    page = client.get(link).get_data(as_text=True)
    assert "This quote is no longer open" in page and f"{link}/accept" not in page
    for answer, form in (("accept", {"name": "Ana Formulator", "agree": "y"}),
                         ("decline", {"reason": ""})):
        response = client.post(f"{link}/{answer}", data=form)
        assert response.status_code == 400
        assert "This quote is no longer open" in response.get_data(as_text=True)
    db.session.refresh(quote)
    assert quote.status is Q.VIEWED and lead.status is LeadStatus.LOST

    lead_operations.change_status(db.session, lead=lead, status=LeadStatus.QUALIFIED,
                                  actor=owner)  # reopened: the quote stands again
    db.session.commit()
    response = client.post(f"{link}/accept", data={"name": "Ana Formulator", "agree": "y"})
    assert response.status_code == 303
    db.session.refresh(lead)
    assert lead.status is LeadStatus.WON

    spam_lead = submit(quote_request(email="buyer@spam.example")).lead
    quote, link = sent_quote(spam_lead, owner)
    lead_operations.change_status(db.session, lead=spam_lead, status=LeadStatus.SPAM,
                                  actor=owner)
    db.session.commit()
    response = client.post(f"{link}/accept", data={"name": "Ana Formulator", "agree": "y"})
    assert response.status_code == 400
    db.session.refresh(spam_lead)
    assert spam_lead.status is LeadStatus.SPAM


def test_quotes_follow_their_lead_into_a_merge(client, auth, lead, owner):
    quote, link = sent_quote(lead, owner)
    other = submit(quote_request(email="buyer@group.example")).lead
    merge(db.session, source=lead, target=other, actor=owner)
    db.session.commit()
    db.session.refresh(quote)
    assert quote.lead_id == other.id
    auth.login(owner)
    assert quote.label in client.get(f"/dashboard/leads/{other.id}").get_data(as_text=True)
    response = client.post(f"{link}/accept", data={"name": "Ana Formulator", "agree": "y"})
    assert response.status_code == 303
    db.session.refresh(other)
    assert other.status is LeadStatus.WON


def test_the_pdf_names_the_quote_and_its_lines(client, auth, lead, owner):
    quote, link = sent_quote(lead, owner)
    response = client.get(link + ".pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF-")
    assert response.headers["Cache-Control"] == "no-store"
    assert f'filename="{quote.number}.pdf"' in response.headers["Content-Disposition"]
    text = pdf_text(response.data)
    assert quote.number in text and "L-Serine" in text and "12,675.00" in text

    draft, _ = operations.draft_from_lead(db.session, lead=lead, actor=owner)
    db.session.commit()
    auth.login(owner)
    response = client.get(f"{builder(draft)}.pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF-")
    text = pdf_text(response.data)
    assert draft.number in text and "DRAFT" in text.upper()


# --- access and CSRF ---------------------------------------------------------------------------

def test_moderators_are_refused_and_anonymous_users_sent_to_login(client, auth, lead, owner):
    quote, _ = operations.draft_from_lead(db.session, lead=lead, actor=owner)
    db.session.commit()
    gets = [builder(quote), f"{builder(quote)}.pdf", f"/dashboard/leads/{lead.id}"]
    posts = [f"/dashboard/quotes/from-lead/{lead.id}", builder(quote),
             f"{builder(quote)}/send", f"{builder(quote)}/revise"]
    for path in gets:
        assert client.get(path).headers["Location"].startswith("/login"), path
    auth.login("moderator")
    for path in gets:
        assert client.get(path).status_code == 403, path
    for path in posts:
        assert client.post(path).status_code == 403, path
    assert db.session.scalar(select(func.count(Quote.id))) == 1
    assert db.session.get(Quote, quote.id).status is Q.DRAFT


def test_accepting_needs_the_forms_csrf_token(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    seed_catalog()
    owner = make_user(role="sales")
    quote, link = sent_quote(submit(quote_request()).lead, owner)
    answer = {"name": "Ana Formulator", "agree": "y"}
    response = client.post(f"{link}/accept", data=answer)
    assert response.status_code == 400
    assert db.session.get(Quote, quote.id).status is Q.SENT
    page = client.get(link).get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)[1]
    response = client.post(f"{link}/accept", data={**answer, "csrf_token": token})
    assert response.status_code == 303
    assert db.session.get(Quote, quote.id).status is Q.ACCEPTED
