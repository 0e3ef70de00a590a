"""The lead page over HTTP: what it shows, its actions, conflicts, access, escaping and its
query count."""

import re
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.core.types import utcnow
from crm.extensions import db
from crm.intake.requests import LineRequest
from crm.leads import operations
from crm.leads.models import Activity, ActivityKind, Lead, LeadStatus
from crm.notifications.models import OutboxEmail
from tests.conftest import error_summary, recorded_statements
from tests.factories import make_user, quote_request, seed_catalog, submit

S = LeadStatus


@pytest.fixture
def catalog(app):
    seed_catalog()


@pytest.fixture
def lead(catalog):
    """Ana's 500 mg × 60 × 10,000 × 5 % L-serine request, unassigned."""
    return submit().lead


def url(lead, action=""):
    return f"/dashboard/leads/{lead.id}" + (f"/{action}" if action else "")


def page_of(client, lead) -> str:
    response = client.get(url(lead))
    assert response.status_code == 200
    return response.get_data(as_text=True)


def post(client, lead, action, **data):
    data.setdefault("version", lead.version)
    return client.post(url(lead, action), data=data, follow_redirects=True)


# --- what the page shows ---------------------------------------------------------------------

def test_contact_company_and_facts(client, auth, lead):
    auth.login("sales")
    page = page_of(client, lead)
    contact = lead.contact
    assert "Ana Formulator" in page
    assert f'href="mailto:{contact.email}"' in page
    assert "+1 555 0100" in page and "Product developer" in page
    assert "United States (US)" in page
    assert "Acme Nutrition" in page and "acme.example" in page and "Brand owner" in page
    assert lead.reference in page and ">New</span>" in page
    assert f"{lead.score} / 100" in page and "+15 business email" in page
    assert "Unassigned" in page


def test_the_kilogram_math_is_spelled_out(client, auth, lead):
    auth.login("sales")
    page = page_of(client, lead)
    assert "500 mg × 60 × 10,000 × (1 + 5 %) = 315 kg → 13 × 25 kg = 325 kg" in page
    assert "315 kg" in page and "13 × 25 kg" in page


def test_a_given_quantity_a_free_text_line_and_warnings(client, auth, catalog):
    lead = submit(quote_request(lines=[
        LineRequest(ingredient_slug="glycine", grade="Pharma", form="Powder",
                    quantity_kg=Decimal("60")),
        LineRequest(free_text="Beta-alanine", quantity_kg=Decimal("12.5")),
    ])).lead
    auth.login("sales")
    page = page_of(client, lead)
    assert "given: 60 kg → 3 × 25 kg = 75 kg" in page
    assert "Beta-alanine" in page and "given: 12.5 kg" in page and "not in the catalog" in page
    warnings = re.search(r'<div class="alert alert-warning line-warnings".*?</div>', page, re.S)
    assert warnings, "warnings are shown in an alert"
    assert "grade “Pharma” is not in the catalog (USP, FCC, Feed)" in warnings.group(0)
    assert "below the MOQ of 100 kg" in warnings.group(0)


def test_the_inquiry_as_sent(client, auth, catalog):
    lead = submit(quote_request(
        message="We need it by spring.", source_page="https://shop.example/articles/serine",
        utm={"utm_source": "newsletter"},
        submitted={"company": ["Acme Nutrition"], "favourite_colour": ["teal"]})).lead
    auth.login("sales")
    page = page_of(client, lead)
    assert "Capsule · 500 mg per serving · 60 servings per unit · 10,000 units · 5 % overage" \
        in page
    assert "We need it by spring." in page
    assert "CoA · Spec sheet" in page and "Wanted" in page
    assert "https://shop.example/articles/serine" in page and "newsletter" in page
    details = re.search(r'<details class="inquiry-submitted.*?</details>', page, re.S).group(0)
    assert "favourite_colour" in details and "teal" in details


def test_the_timeline_is_newest_first_with_the_lead_emails(client, auth, catalog):
    owner = make_user(role="sales", name="Olga Owner")
    lead = submit().lead
    second = submit(quote_request(email=lead.contact.email, message="Second request.")).lead
    assert second.id == lead.id
    auth.login(owner)
    post(client, lead, "notes", body="First note")
    post(client, lead, "status", status="contacted")
    post(client, lead, "notes", body="Latest note")
    page = page_of(client, lead)
    timeline = page[page.index('id="timeline-heading"'):]
    expected = ("Latest note", "New → Contacted", "First note", "Second request.",
                "Capsule project.")
    order = [timeline.index(text) for text in expected]
    assert order == sorted(order)
    for template in ("inquiry_ack", "lead_alert"):
        assert f"<code>{template}</code>" in timeline
    assert owner.email in timeline
    assert "/dashboard/emails/" not in page  # the email log is for admins


def test_admins_get_links_to_the_email_log(client, auth, lead):
    auth.login("admin")
    page = page_of(client, lead)
    email = db.session.scalars(select(OutboxEmail).where(
        OutboxEmail.related_id == lead.id)).first()
    assert f'href="/dashboard/emails/{email.id}"' in page


def test_only_the_allowed_next_statuses_are_offered(client, auth, lead):
    auth.login("sales")
    page = page_of(client, lead)
    offered = set(re.findall(r'name="status" value="(\w+)"', page))
    assert offered == {"contacted", "lost", "spam"}
    lead.status = S.LOST
    lead.lost_reason = "price"
    db.session.commit()
    page = page_of(client, lead)
    assert set(re.findall(r'name="status" value="(\w+)"', page)) == {"qualified"}
    assert "Reopen as qualified" in page and "Why was it lost?" not in page
    lead.status = S.WON
    db.session.commit()
    assert 'name="status"' not in page_of(client, lead)


def test_the_reassign_form_is_offered_only_where_it_can_work(client, auth, catalog):
    ann = make_user(role="sales")
    lead = submit().lead
    assert lead.owner_id == ann.id
    auth.login(ann)
    assert 'id="lead-owner"' in page_of(client, lead)
    auth.logout()
    auth.login("sales")  # not theirs
    assert 'id="lead-owner"' not in page_of(client, lead)
    auth.logout()
    auth.login("admin")
    assert 'id="lead-owner"' in page_of(client, lead)


def test_an_owner_who_left_sales_is_shown_but_not_offered(client, auth, catalog):
    ann = make_user(role="sales", name="Ann Gone")
    lead = submit().lead
    ann.active = False
    db.session.commit()
    auth.login("admin")
    page = page_of(client, lead)
    assert f'<option value="{ann.id}" disabled selected>Ann Gone (current owner)</option>' in page


# --- the actions -----------------------------------------------------------------------------

def test_status_change_and_lost_with_its_reason(client, auth, lead):
    auth.login("sales")
    response = post(client, lead, "status", status="contacted")
    assert response.request.path == url(lead)
    assert f"{lead.reference} is now contacted." in response.get_data(as_text=True)
    assert lead.status is S.CONTACTED and lead.first_responded_at is not None
    page = post(client, lead, "status", status="lost", lost_reason="").get_data(as_text=True)
    assert "Say why the lead was lost." in page and lead.status is S.CONTACTED
    post(client, lead, "status", status="lost", lost_reason="Went with a local supplier")
    assert lead.status is S.LOST and lead.lost_reason == "Went with a local supplier"
    page = post(client, lead, "status", status="won").get_data(as_text=True)
    assert "A lost lead cannot become won." in page and lead.status is S.LOST


@pytest.mark.parametrize("next_url, safe", [
    ("/dashboard/leads/?status=new", True),
    ("//evil.example/x", False), ("https://evil.example/", False), ("/\\evil.example", False),
])
def test_an_action_returns_to_a_safe_next_page_only(client, auth, lead, next_url, safe):
    auth.login("sales")
    response = client.post(url(lead, "notes"), data={"version": lead.version, "body": "Hi",
                                                      "next": next_url})
    assert response.status_code == 302
    assert response.headers["Location"] == (next_url if safe else url(lead))


def test_add_a_note(client, auth, lead):
    user = auth.login("sales")
    response = post(client, lead, "notes", body="Asked for a sample of the USP grade.")
    assert "Your note is added." in response.get_data(as_text=True)
    note = db.session.scalars(select(Activity).where(Activity.kind == ActivityKind.NOTE)).one()
    assert note.body == "Asked for a sample of the USP grade." and note.actor_id == user.id


def test_log_a_meeting_from_the_note_box(client, auth, lead):
    auth.login("sales")
    response = post(client, lead, "notes", kind="meeting", body="Visited their plant.")
    page = response.get_data(as_text=True)
    assert "The meeting is logged." in page and "Visited their plant." in page
    meeting = db.session.scalars(select(Activity).where(
        Activity.kind == ActivityKind.MEETING)).one()
    assert meeting.body == "Visited their plant."
    response = client.post(url(lead, "notes"), data={"version": lead.version, "kind": "status",
                                                      "body": "Sneaky."})
    assert response.status_code == 400 and "Not a valid choice" in response.get_data(
        as_text=True)


def test_a_note_that_is_too_long_is_kept_on_the_page_with_the_error(client, auth, lead):
    auth.login("sales")
    response = client.post(url(lead, "notes"), data={"version": lead.version,
                                                      "body": "x" * 5001})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Use at most 5,000 characters." in page and "x" * 5001 in page
    assert not db.session.scalars(select(Activity).where(Activity.kind == ActivityKind.NOTE)).all()


def test_set_and_clear_the_next_action(client, auth, lead):
    auth.login("sales")
    response = post(client, lead, "next-action", on="2031-03-02", note="Send the CoA")
    assert "The next action is saved." in response.get_data(as_text=True)
    assert lead.next_action_on == date(2031, 3, 2) and lead.next_action_note == "Send the CoA"
    assert "Send the CoA" in page_of(client, lead)
    page = post(client, lead, "next-action", on="not a date", note="").get_data(as_text=True)
    assert "Not a valid date value." in page and lead.next_action_on == date(2031, 3, 2)
    post(client, lead, "next-action", on="", note="")
    assert lead.next_action_on is None and lead.next_action_note is None


def test_reassign(client, auth, catalog):
    ann, bob = make_user(role="sales", name="Ann"), make_user(role="sales", name="Bob")
    lead = submit().lead
    owner = lead.owner
    other = bob if owner is ann else ann
    auth.login(owner)
    response = post(client, lead, "owner", owner=other.id)
    assert f"is now with {other.name}" in response.get_data(as_text=True)
    assert lead.owner_id == other.id
    assert db.session.scalars(select(OutboxEmail).where(
        OutboxEmail.template == "lead_assigned", OutboxEmail.recipient == other.email)).one()
    # No longer theirs: the operation refuses, the page says why.
    page = post(client, lead, "owner", owner=owner.id).get_data(as_text=True)
    assert "Only an admin can reassign" in page and lead.owner_id == other.id
    # Someone who is not an active sales user is not a choice at all.
    moderator = make_user(role="moderator")
    response = client.post(url(lead, "owner"), data={"version": lead.version,
                                                     "owner": moderator.id})
    assert response.status_code == 400 and lead.owner_id == other.id


def test_merge_another_lead_into_this_one(client, auth, catalog):
    target = submit().lead
    source = submit(quote_request(email="dup@acme-group.example", message="Duplicate.")).lead
    auth.login("sales")
    response = post(client, target, "merge", reference=source.reference.lower())
    assert f"{source.reference} is merged into this lead." in response.get_data(as_text=True)
    assert source.merged_into_id == target.id
    page = page_of(client, target)
    assert "Duplicate." in page and source.reference in page
    merged_page = page_of(client, source)
    assert "This lead was merged into" in merged_page and 'action="' not in merged_page.split(
        'class="row g-4 lead-page"')[1]
    # Its emails move with it to the lead it was merged into.
    ack = db.session.scalars(select(OutboxEmail).where(
        OutboxEmail.template == "inquiry_ack", OutboxEmail.related_id == target.id,
        OutboxEmail.subject.contains(source.reference))).one()
    assert ack.subject in page
    # Nothing more can be done to the merged lead.
    page = post(client, source, "status", status="qualified").get_data(as_text=True)
    assert "was merged into another one" in page and source.status is S.LOST


def test_merge_refusals(client, auth, lead):
    auth.login("sales")
    page = post(client, lead, "merge", reference="INQ-ZZZZZZ").get_data(as_text=True)
    assert "No lead has the reference INQ-ZZZZZZ." in page
    page = post(client, lead, "merge", reference="nonsense").get_data(as_text=True)
    assert "A reference looks like INQ-7Q4K2M." in page
    page = post(client, lead, "merge", reference=lead.reference).get_data(as_text=True)
    assert "cannot be merged into itself" in page and lead.merged_into_id is None


def test_email_the_contact(client, auth, lead):
    auth.login("sales")
    response = post(client, lead, "email", subject="Your quote", body="Hello Ana,\n\nSoon.")
    assert f"Your email to {lead.contact_email} is queued" in response.get_data(as_text=True)
    email = db.session.scalars(select(OutboxEmail).where(
        OutboxEmail.template == "lead_message")).one()
    assert email.recipient == lead.contact_email and email.related_id == lead.id
    page = page_of(client, lead)
    timeline = page[page.index('id="timeline-heading"'):]
    assert "wrote to the contact" in timeline and "Hello Ana," in timeline
    # The activity that recorded the email and the outbox row are one entry.
    assert timeline.count(f"Your quote [{lead.reference}]") == 1


def test_a_form_with_errors_is_summed_up_at_the_top_of_the_page(client, auth, lead):
    """The forms sit low on a long page: the summary is where the page opens, with the focus."""
    auth.login("sales")
    response = client.post(url(lead, "email"), data={"version": lead.version, "subject": "",
                                                     "body": "My message"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    summary = error_summary(page)
    assert "autofocus" in summary and '<a href="#email-subject">Subject: Write a subject.</a>' \
        in summary
    assert page.index('id="error-summary"') < page.index('id="timeline-heading"')
    assert "My message" in page
    response = client.post(url(lead, "status"), data={"version": lead.version,
                                                      "status": "lost", "lost_reason": ""})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert '<a href="#lost-reason">Why was it lost?: Say why the lead was lost.</a>' in page
    assert 'id="lost-reason"' in page and 'aria-invalid="true"' in page
    assert 'id="error-summary"' not in page_of(client, lead)


def test_a_subject_must_be_one_line(client, auth, lead):
    auth.login("sales")
    response = client.post(url(lead, "email"), data={"version": lead.version,
                                                     "subject": "Hi\r\nBcc: x@evil.example",
                                                     "body": "Hello"})
    assert response.status_code == 400
    assert not db.session.scalars(select(OutboxEmail).where(
        OutboxEmail.template == "lead_message")).all()


# --- conflicts -------------------------------------------------------------------------------

def test_a_stale_form_is_refused_and_changes_nothing(client, auth, lead):
    sam = make_user(role="sales", name="Sam Seller")
    loaded = lead.version
    operations.set_next_action(db.session, lead=lead, on=date(2031, 1, 1), note="call",
                               actor=sam)
    db.session.commit()
    auth.login("sales")
    for action, data in (("status", {"status": "contacted"}),
                         ("owner", {"owner": sam.id}),
                         ("merge", {"reference": submit(quote_request(
                             email="y@other.example")).lead.reference})):
        response = post(client, lead, action, version=loaded, **data)
        page = response.get_data(as_text=True)
        assert response.request.path == url(lead), action
        assert "This lead was changed by Sam Seller at" in page, action
        assert "Reload to see the changes" in page, action
    # What was typed comes back, as of the current version: saving it again is deliberate.
    for action, data, typed in (
            ("next-action", {"on": "2032-02-02", "note": "Call about samples"},
             ['value="2032-02-02"', 'value="Call about samples"']),
            ("status", {"status": "lost", "lost_reason": "Went local"}, ['value="Went local"'])):
        response = post(client, lead, action, version=loaded, **data)
        assert response.status_code == 409, action
        page = response.get_data(as_text=True)
        assert "This lead was changed by Sam Seller at" in page, action
        assert all(value in page for value in typed), action
        assert f'name="version" type="hidden" value="{lead.version}"' in page
    assert lead.status is S.NEW and lead.next_action_note == "call" and lead.owner_id is None
    assert not db.session.scalars(select(Lead).where(Lead.merged_into_id.is_not(None))).all()


def test_a_stale_email_is_kept_for_a_second_look(client, auth, lead):
    sam = make_user(role="sales", name="Sam Seller")
    loaded = lead.version
    operations.add_note(db.session, lead=lead, body="Phoned them.", actor=sam)
    db.session.commit()
    auth.login("sales")
    response = client.post(url(lead, "email"), data={"version": loaded, "subject": "Hello",
                                                     "body": "My long message"})
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "This lead was changed by Sam Seller" in page and "My long message" in page
    assert f'name="version" type="hidden" value="{lead.version}"' in page
    assert not db.session.scalars(select(OutboxEmail).where(
        OutboxEmail.template == "lead_message")).all()


def test_a_save_that_loses_a_race_gets_the_conflict_message(client, auth, lead, monkeypatch):
    """Both requests passed the version check; the database refuses the second UPDATE."""
    sam = make_user(role="sales", name="Sam Seller")
    real = operations.change_status

    def racing_change_status(session, *, lead, **kwargs):
        real(session, lead=lead, **kwargs)
        with Session(db.engine) as other:  # Sam saves first, in another transaction
            theirs = other.get(Lead, lead.id)
            theirs.next_action_note = "Sam's plan"
            theirs.updated_by_id = sam.id
            theirs.updated_at = utcnow()
            other.commit()

    monkeypatch.setattr(operations, "change_status", racing_change_status)
    auth.login("sales")
    response = post(client, lead, "status", status="contacted")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "This lead was changed by Sam Seller at" in page
    assert lead.status is S.NEW and lead.next_action_note == "Sam's plan"
    assert not db.session.scalars(select(Activity).where(
        Activity.kind == ActivityKind.STATUS)).all()


def test_a_form_without_its_version_is_refused(client, auth, lead):
    auth.login("sales")
    response = client.post(url(lead, "status"), data={"status": "contacted"})
    assert response.status_code == 400
    assert "This form is out of date." in response.get_data(as_text=True)
    assert lead.status is S.NEW


# --- access ----------------------------------------------------------------------------------

ACTIONS = ("status", "notes", "next-action", "owner", "merge", "email")


def test_moderators_are_refused_and_anonymous_users_sent_to_login(client, auth, lead):
    for path in [url(lead)] + [url(lead, action) for action in ACTIONS]:
        method = client.get if path == url(lead) else client.post
        response = method(path)
        assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    auth.login("moderator")
    assert client.get(url(lead)).status_code == 403
    for action in ACTIONS:
        assert post(client, lead, action, body="x", status="spam").status_code == 403
    assert lead.status is S.NEW


def test_an_unknown_lead_is_404(client, auth, lead):
    auth.login("sales")
    assert client.get("/dashboard/leads/999999").status_code == 404
    assert client.post("/dashboard/leads/999999/notes", data={"version": 1}).status_code == 404


# --- escaping --------------------------------------------------------------------------------

def test_everything_people_wrote_is_escaped(client, auth, catalog):
    evil = "<script>alert(1)</script>"
    lead = submit(quote_request(
        company=f"Evil {evil} Corp", name=f"Mallory {evil}", message=f"Hi {evil}",
        job_title=evil, lines=[LineRequest(free_text=f"Other {evil}", grade=evil,
                                           quantity_kg=Decimal("5"))],
        source_page=f"https://x.example/{evil}", utm={"utm_source": evil},
        submitted={"company": [f"Evil {evil} Corp"], f"field{evil}": [evil]})).lead
    auth.login("sales")
    post(client, lead, "notes", body=f"Note {evil}")
    post(client, lead, "next-action", on="2031-01-01", note=f"Call {evil}")
    post(client, lead, "email", subject=f"Re {evil}", body=f"Body {evil}")
    page = page_of(client, lead)
    assert "<script>alert" not in page
    assert page.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 10


# --- cost ------------------------------------------------------------------------------------

def _busy_lead(inquiries: int, actors) -> Lead:
    """A lead with ``inquiries`` inquiries, several lines each, notes by several people and
    an email to the contact."""
    email = f"busy{inquiries}@busy{inquiries}.example"
    slugs = ["l-serine", "glycine", "l-theanine", "magnesium-bisglycinate"]
    leads = {submit(quote_request(email=email, lines=[
        LineRequest(ingredient_slug=slugs[n % 4], grade="USP", compute=True),
        LineRequest(free_text=f"Extract {n}", quantity_kg=Decimal("3")),
    ])).lead for n in range(inquiries)}
    [lead] = leads
    for actor in actors:
        operations.add_note(db.session, lead=lead, body=f"Note by {actor.name}", actor=actor)
    operations.email_contact(db.session, lead=lead, subject="Hello", body="Hi.", actor=actors[0])
    db.session.commit()
    return lead


def test_the_page_costs_the_same_for_one_inquiry_and_for_six(client, auth, catalog):
    make_user(role="sales")
    make_user(role="sales")
    actors = [make_user(role="sales") for _ in range(3)]
    small = _busy_lead(1, actors[:1])
    big = _busy_lead(6, actors)
    assert len(big.inquiries) == 6 and len(small.inquiries) == 1
    auth.login("admin")
    page_of(client, small)  # warm up: the first request of a session may do more
    counts = {}
    for name, path in (("small", url(small)), ("big", url(big))):
        with recorded_statements() as statements:
            response = client.get(path)
        counts[name] = len(statements)
        assert response.status_code == 200 and "Note by" in response.get_data(as_text=True)
    assert counts["small"] == counts["big"], counts
    # The signed-in user, the lead, the owner choices, activities, inquiries, emails.
    assert counts["big"] <= 8, counts


def test_the_contact_and_company_s_other_leads_are_listed(client, auth, catalog):
    """The customer's history beside the lead: the contact's other leads and their
    colleagues', newest first, whatever their status; not leads merged away."""
    ana = "ana@acmevita.example"
    first = submit(quote_request(company="Acmevita", email=ana)).lead
    operations.change_status(db.session, lead=first, status=S.LOST,
                             actor=make_user(role="sales"), lost_reason="Too early")
    db.session.commit()
    current = submit(quote_request(company="Acmevita", email=ana)).lead  # a new lead: the
    assert current.id != first.id                                      # first one is lost
    colleague = submit(quote_request(company="Acmevita", email="bob@acmevita.example")).lead
    merged = submit(quote_request(company="Acmevita", email="cy@acmevita.example")).lead
    merged.merged_into_id = colleague.id
    stranger = submit(quote_request(company="Otherco", email="di@otherco.example")).lead
    db.session.commit()
    auth.login("sales")
    page = page_of(client, current)
    panel = page[page.index('id="related-heading"'):]
    panel = panel[:panel.index("</section>")]
    assert re.findall(r'class="inquiry-reference"[^>]*>([^<]+)<', panel) == [
        colleague.reference, first.reference]
    assert "Lost" in panel and "New" in panel
    assert merged.reference not in panel and stranger.reference not in panel
    assert "No other leads" in page_of(client, stranger)


def test_past_ten_other_leads_the_panel_points_to_the_list(client, auth, catalog, monkeypatch):
    monkeypatch.setattr("crm.leads.timeline.RELATED_SHOWN", 2)
    leads = [submit(quote_request(company="Manyco", email=f"p{n}@manyco.example")).lead
             for n in range(4)]
    auth.login("sales")
    page = page_of(client, leads[0])
    assert "and 1 older:" in page
    assert "/dashboard/leads/?q=Manyco&amp;status=all" in page
