"""The intake operation end to end, without HTTP."""

import threading
from collections import Counter
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from crm.auth.models import Role
from crm.catalog.models import Ingredient
from crm.extensions import db
from crm.intake import operations as intake
from crm.intake.requests import LineRequest
from crm.leads.merging import merge
from crm.leads.models import (
    Activity,
    ActivityKind,
    Company,
    Contact,
    Inquiry,
    Lead,
    LeadStatus,
    RequestedIngredient,
)
from crm.notifications.models import OutboxEmail
from crm.quotes.operations import draft_from_lead
from tests.conftest import recorded_statements
from tests.factories import make_user, quote_request, seed_catalog, submit


@pytest.fixture
def catalog(app):
    seed_catalog()


def _count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def test_a_request_becomes_a_scored_assigned_lead_with_both_emails(catalog):
    owner = make_user(role="sales")
    inquiry = submit()
    lead = inquiry.lead
    assert inquiry.reference.startswith("INQ-") and len(inquiry.reference) == 10
    assert lead.reference == inquiry.reference and lead.status is LeadStatus.NEW
    assert lead.owner_id == owner.id
    [line] = inquiry.lines
    assert (line.kg_needed, line.packs, line.pack_size_kg, line.kg_rounded) == (
        Decimal("315.000"), 13, Decimal("25.000"), Decimal("325.000"))
    assert lead.total_kg == Decimal("325.000") and lead.ingredients_summary == "L-Serine"
    assert lead.score > 0 and "+15 business email" in lead.score_reasons
    assert "+10 sample wanted" in lead.score_reasons
    emails = {(e.template, e.recipient, e.related_label)
              for e in db.session.scalars(select(OutboxEmail))}
    assert emails == {("inquiry_ack", inquiry.contact.email, lead.reference),
                      ("lead_alert", owner.email, lead.reference)}
    ack = db.session.scalar(select(OutboxEmail).where(OutboxEmail.template == "inquiry_ack"))
    assert inquiry.reference in ack.subject and "325 kg" in ack.body_text
    assert "score" not in ack.body_text.lower()  # internal details stay internal
    assert [a.kind for a in db.session.scalars(select(Activity))] == [
        ActivityKind.CREATED, ActivityKind.ASSIGNED]
    assert lead.first_response_due_at > lead.created_at


def test_the_response_time_promised_is_the_one_configured(app, catalog, client):
    """The form, the thank-you page and the acknowledgement say what the clock counts."""
    make_user(role="sales")
    assert "replies within one working day." in client.get("/contact").get_data(as_text=True)
    app.config["CRM_FIRST_RESPONSE_HOURS"] = 48
    assert "replies within 2 working days." in client.get("/contact").get_data(as_text=True)
    submit()
    ack = db.session.scalar(select(OutboxEmail).where(OutboxEmail.template == "inquiry_ack"))
    assert "answers within 2 working days," in ack.body_html
    assert "answers within\n2 working days," in ack.body_text


def test_the_inquiry_keeps_what_was_sent(catalog):
    request = quote_request(submitted={"company": ["Acme <b>"], "lines-0-dose_mg": ["500"]},
                            utm={"utm_source": "newsletter"}, source_page="https://x.example/a")
    inquiry = submit(request)
    assert inquiry.submitted == {"company": ["Acme <b>"], "lines-0-dose_mg": ["500"]}
    assert inquiry.utm == {"utm_source": "newsletter"}
    assert inquiry.source_page == "https://x.example/a" and inquiry.consent_at is not None
    inquiry = submit(quote_request(email="b@other.example"), user_agent="Mozilla\x00\n" + "x" * 400)
    assert inquiry.user_agent == ("Mozilla" + "x" * 400)[:300]  # NUL: PostgreSQL refuses it


def test_staff_warnings_for_grade_form_dose_and_moq(catalog):
    request = quote_request(
        dose_mg=Decimal("20000"), units=10,
        lines=[LineRequest(ingredient_slug="l-serine", grade="Pharma+", form="Gel", compute=True)])
    [line] = submit(request).lines
    text = " | ".join(line.warnings)
    assert "grade “Pharma+” is not in the catalog" in text
    assert "form “Gel” is not in the catalog" in text
    assert "above the reference maximum daily dose of 15,000 mg" in text
    assert "below the MOQ" in text
    ack = db.session.scalar(select(OutboxEmail).where(OutboxEmail.template == "inquiry_ack"))
    assert "maximum" not in ack.body_text and "MOQ" not in ack.body_text


def test_a_grade_or_form_typed_in_another_case_is_the_catalogs(catalog):
    """"usp" is USP: no false warning for staff, and the quote finds USP's price tier."""
    request = quote_request(lines=[LineRequest(ingredient_slug="l-serine", grade="usp",
                                               form="powder", compute=True)])
    [line] = submit(request).lines
    assert (line.grade, line.form, line.warnings) == ("USP", "Powder", [])
    quote, warnings = draft_from_lead(db.session, lead=line.lead, actor=None)
    assert quote.lines[0].list_price_per_kg is not None
    assert not any("price tier" in warning for warning in warnings)


def test_the_plans_dose_is_checked_only_on_the_lines_computed_from_it(catalog):
    """500 mg is the L-serine capsule's dose; the 30 kg of B6 given beside it is not dosed
    at 500 mg (B6's reference maximum is 100 mg), and staff get no false alarm about it."""
    serine, b6 = submit(quote_request(lines=[
        LineRequest(ingredient_slug="l-serine", compute=True),
        LineRequest(ingredient_slug="pyridoxine-hydrochloride", quantity_kg=Decimal("30")),
    ])).lines
    assert not any("maximum daily dose" in warning for warning in b6.warnings)
    [computed] = submit(quote_request(lines=[
        LineRequest(ingredient_slug="pyridoxine-hydrochloride", compute=True)])).lines
    assert any("maximum daily dose of 100 mg" in warning for warning in computed.warnings)


def test_a_given_quantity_and_a_free_text_line(catalog):
    request = quote_request(lines=[
        LineRequest(ingredient_slug="glycine", quantity_kg=Decimal("60")),
        LineRequest(free_text="Beta-alanine", quantity_kg=Decimal("10")),
    ])
    glycine, other = submit(request).lines
    assert (glycine.packs, glycine.kg_rounded) == (3, Decimal("75.000"))
    assert other.free_text == "Beta-alanine" and other.packs is None
    assert other.kg_rounded == Decimal("10.000")


def test_the_emails_give_the_kilograms_as_computed(catalog):
    make_user(role="sales")
    inquiry = submit(quote_request(lines=[
        LineRequest(free_text="Beta-alanine", quantity_kg=Decimal("12.5")),
        LineRequest(ingredient_slug="glycine", quantity_kg=Decimal("60"))]))
    for email in db.session.scalars(select(OutboxEmail)):
        for body in (email.body_text, email.body_html):
            assert "Beta-alanine: 12.5 kg" in body or "12.5 kg" in body, email.template
            assert "25.000" not in body and "12 kg" not in body
    ack = db.session.scalar(select(OutboxEmail).where(OutboxEmail.template == "inquiry_ack"))
    assert "75 kg (3 × 25 kg)" in ack.body_text, inquiry.reference


def test_same_contact_same_open_lead(catalog):
    make_user(role="sales")
    first = submit(quote_request(email="Ana@Acme.example"))
    second = submit(quote_request(email="ana@acme.EXAMPLE", lines=[
        LineRequest(ingredient_slug="glycine", quantity_kg=Decimal("100"))]))
    assert second.lead_id == first.lead_id
    assert _count(Lead) == 1 and _count(Contact) == 1 and _count(Inquiry) == 2
    lead = db.session.get(Lead, first.lead_id)
    assert lead.ingredients_summary == "L-Serine, Glycine"
    assert lead.total_kg == Decimal("425.000")
    kinds = [a.kind for a in db.session.scalars(select(Activity).order_by(Activity.id))]
    assert kinds[-1] is ActivityKind.INQUIRY


def test_a_contact_whose_lead_was_merged_writes_to_the_lead_kept(catalog):
    """Staff merged Lee's gmail request into the lead of Lee's work address: Lee writing
    again from gmail adds to that lead, not to a third one staff must merge again."""
    kept = submit(quote_request(email="lee@iota.example")).lead
    merged = submit(quote_request(email="lee.iota@gmail.com")).lead
    merge(db.session, source=merged, target=kept, actor=None)
    db.session.commit()
    again = submit(quote_request(email="lee.iota@gmail.com"))
    assert again.lead_id == kept.id
    assert _count(Lead) == 2


def test_a_closed_lead_does_not_take_new_inquiries(catalog):
    first = submit(quote_request(email="ana@acme.example"))
    first.lead.status = LeadStatus.WON
    db.session.commit()
    second = submit(quote_request(email="ana@acme.example"))
    assert second.lead_id != first.lead_id


def test_company_by_domain_but_never_by_free_mail_domain(catalog):
    a = submit(quote_request(email="ana@acme.example", company="Acme Nutrition"))
    b = submit(quote_request(email="bob@acme.example", company="ACME Nutrition Inc."))
    assert a.contact.company_id == b.contact.company_id  # same business domain
    c = submit(quote_request(email="carol@gmail.com", company="Carol Labs"))
    d = submit(quote_request(email="dave@gmail.com", company="Dave Supplements"))
    assert c.contact.company_id != d.contact.company_id  # gmail.com says nothing
    assert c.contact.company.domain is None
    e = submit(quote_request(email="erin@hotmail.com", company="carol labs"))
    assert e.contact.company_id == c.contact.company_id  # then by name
    assert "+15 business email" not in e.lead.score_reasons


def test_the_domain_wins_over_a_name_match_and_details_are_kept(catalog):
    by_name = submit(quote_request(email="fay@gmail.com", company="Zeta Foods"))
    by_domain = submit(quote_request(email="gil@zeta.example", company="Zeta Labs"))
    later = submit(quote_request(email="hal@zeta.example", company="Zeta Foods", phone="",
                                 job_title=""))
    assert later.contact.company_id == by_domain.contact.company_id
    assert by_name.contact.company_id != by_domain.contact.company_id
    # A known contact writing again: new name and country, phone and job title kept.
    again = submit(quote_request(email="GIL@zeta.example", name="Gil Updated", phone="",
                                 job_title="", country="DE"))
    contact = again.contact
    assert (contact.id, contact.name, contact.country) == (by_domain.contact_id, "Gil Updated",
                                                           "DE")
    assert (contact.phone, contact.job_title) == ("+1 555 0100", "Product developer")


def test_a_new_lead_takes_a_fixed_number_of_statements(catalog):
    make_user(role="sales")
    submit()  # the assignment cursor exists from here on
    with recorded_statements() as statements:
        submit()
    # submission key, catalog, company, company insert, contact upsert, open lead, owner,
    # cursor; then lead, inquiry, lines, two activities, two emails.
    assert len(statements) <= 15, "\n".join(statements)


def test_the_form_post_skips_the_look_ups_it_does_not_need(catalog):
    """The form's post has the active catalog loaded already and a key issued with the form:
    neither is looked up again (a resent form fails the key's unique index instead)."""
    make_user(role="sales")
    submit()
    active = db.session.scalars(select(Ingredient).where(Ingredient.active.is_(True))).all()
    with recorded_statements() as statements:
        submit(catalog=active, new_key=True)
    assert len(statements) <= 13, "\n".join(statements)
    assert not [s for s in statements
                if "FROM ingredients" in s or "inquiries.submission_key = " in s]


def test_a_new_key_that_was_used_fails_its_unique_index_and_the_lookup_finds_it(catalog):
    first = submit(key="twice")
    with pytest.raises(IntegrityError):
        submit(key="twice", new_key=True)
    db.session.rollback()
    assert submit(key="twice").id == first.id
    assert db.session.scalar(select(func.count()).select_from(Inquiry)) == 1


def test_territory_rule_then_round_robin_then_unassigned(catalog):
    german = make_user(role="sales", territories=["DE"])
    assert submit(quote_request(country="DE")).lead.owner_id == german.id
    other = make_user(role="sales")
    owners = [submit(quote_request(country="FR")).lead.owner_id for _ in range(4)]
    assert Counter(owners) == {german.id: 2, other.id: 2}
    for user in (german, other):
        user.active = False
    db.session.commit()
    lead = submit(quote_request(country="FR")).lead
    assert lead.owner_id is None
    alert = db.session.scalars(select(OutboxEmail).where(
        OutboxEmail.template == "lead_alert", OutboxEmail.related_id == lead.id)).all()
    assert alert == []  # nobody active in sales: the queue shows it, no email to anyone


def test_a_new_inquiry_for_an_owner_who_left_alerts_the_sales_team(catalog):
    gone = make_user(role="sales")
    lead = submit(quote_request(email="buyer@zeta.example")).lead
    gone.active = False
    team = [make_user(role="sales"), make_user(role="sales")]
    db.session.commit()
    inquiry = submit(quote_request(email="buyer@zeta.example"))
    assert inquiry.lead_id == lead.id
    alerts = db.session.scalars(select(OutboxEmail.recipient).where(
        OutboxEmail.template == "lead_alert", OutboxEmail.created_at >= inquiry.created_at)).all()
    assert sorted(alerts) == sorted(user.email for user in team)


def test_a_new_inquiry_for_an_owner_who_moved_out_of_sales_alerts_the_sales_team(catalog):
    moved = make_user(role="sales")
    lead = submit(quote_request(email="buyer@eta.example")).lead
    assert lead.owner_id == moved.id
    moved.role = Role.MODERATOR  # moderators see no leads: the alert's link would be a 403
    team = [make_user(role="sales"), make_user(role="sales")]
    db.session.commit()
    inquiry = submit(quote_request(email="buyer@eta.example"))
    assert inquiry.lead_id == lead.id
    alerts = db.session.scalars(select(OutboxEmail.recipient).where(
        OutboxEmail.template == "lead_alert", OutboxEmail.created_at >= inquiry.created_at)).all()
    assert sorted(alerts) == sorted(user.email for user in team)


def test_each_territory_takes_its_own_turns(catalog):
    """Requests for a territory and for everyone else alternate: each group is shared out
    evenly among its own people (one turn counter would hand every German lead to one)."""
    anna = make_user(role="sales", territories=["DE"])
    bert = make_user(role="sales", territories=["DE"])
    make_user(role="sales")
    german = []
    for _ in range(6):
        german.append(submit(quote_request(country="DE")).lead.owner_id)
        submit(quote_request(country="FR"))
    assert Counter(german) == {anna.id: 3, bert.id: 3}


def test_nobody_away_is_given_new_leads_until_their_last_day_away_has_passed(catalog):
    """The territory passes its member on leave by, then the round-robin does; their open
    lead stays theirs and still takes its contact's news. Back the day after."""
    from crm.auth.operations import set_away, team_today

    anna = make_user(role="sales", territories=["DE"])
    bert = make_user(role="sales", territories=["DE"])
    carl = make_user(role="sales")
    hers = submit(quote_request(email="buyer@theta.example", country="DE")).lead
    assert hers.owner_id == anna.id
    set_away(db.session, user=anna, until=team_today(), actor=anna)
    db.session.commit()
    assert {submit(quote_request(country="DE")).lead.owner_id for _ in range(3)} == {bert.id}
    assert submit(quote_request(email="buyer@theta.example")).lead_id == hers.id
    set_away(db.session, user=bert, until=team_today() + timedelta(days=14), actor=anna)
    db.session.commit()
    assert submit(quote_request(country="DE")).lead.owner_id == carl.id  # the whole team's turn
    anna.away_until = team_today() - timedelta(days=1)  # her leave is over
    db.session.commit()
    assert submit(quote_request(country="DE")).lead.owner_id == anna.id


def test_news_of_an_away_owner_s_lead_reaches_the_team_too(catalog):
    """A new inquiry on the lead of a salesperson on leave alerts them and the colleagues not
    away, who are told they stand in; with nobody owning a lead, nobody away is alerted."""
    from crm.auth.operations import team_today

    owner = make_user(role="sales", name="Olga Owner")
    lead = submit(quote_request(email="buyer@iota.example")).lead
    colleague, away = make_user(role="sales"), make_user(role="sales")
    owner.away_until = away.away_until = team_today() + timedelta(days=7)
    db.session.commit()
    inquiry = submit(quote_request(email="buyer@iota.example"))
    assert inquiry.lead_id == lead.id
    alerts = {email.recipient: email for email in db.session.scalars(select(OutboxEmail).where(
        OutboxEmail.template == "lead_alert", OutboxEmail.created_at >= inquiry.created_at))}
    assert set(alerts) == {owner.email, colleague.email}
    assert "Olga Owner owns this lead and is away until" in alerts[colleague.email].body_text
    assert "owns this lead" not in alerts[owner.email].body_text
    owner.active = False
    db.session.commit()
    inquiry = submit(quote_request(email="buyer@iota.example"))
    alerts = db.session.scalars(select(OutboxEmail.recipient).where(
        OutboxEmail.template == "lead_alert", OutboxEmail.created_at >= inquiry.created_at)).all()
    assert alerts == [colleague.email]


def test_round_robin_is_fair_under_concurrent_submissions(app, catalog):
    users = [make_user(role="sales") for _ in range(3)]
    errors = []

    def worker(n):
        with app.app_context():
            try:
                for _ in range(n):
                    submit(quote_request(country="FR"))
            except Exception as exc:  # pragma: no cover - reported below
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker, args=(6,)) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    owners = Counter(db.session.scalars(select(Lead.owner_id)))
    assert owners == {user.id: 6 for user in users}


def test_resent_form_creates_one_inquiry_and_one_set_of_emails(catalog):
    make_user(role="sales")
    first = submit(key="same-key")
    second = submit(quote_request(), key="same-key")
    assert first.id == second.id
    assert _count(Inquiry) == 1 and _count(OutboxEmail) == 2


def test_a_failure_after_the_lead_insert_leaves_nothing(catalog, monkeypatch):
    make_user(role="sales")

    def explode(*args, **kwargs):
        raise RuntimeError("mail template broke")

    monkeypatch.setattr(intake, "queue_emails", explode)
    with pytest.raises(RuntimeError):
        submit()
    db.session.rollback()
    for model in (Inquiry, Lead, Contact, Company, RequestedIngredient, Activity, OutboxEmail):
        assert _count(model) == 0, model


def test_spam_is_recorded_as_spam_without_emails_or_owner(catalog):
    make_user(role="sales")
    inquiry = submit(honeypot="http://bot.example")
    assert inquiry.lead.status is LeadStatus.SPAM and inquiry.lead.owner_id is None
    assert "honeypot" in inquiry.spam_reasons[0]
    assert _count(OutboxEmail) == 0


def test_spam_changes_nobody_it_names(catalog):
    """Anyone can type a customer's email into the form: what is held as spam is kept on the
    spam lead, and the contact and company stay as the customer left them."""
    make_user(role="sales")
    real = submit(quote_request(email="ivy@gmail.com", name="Ivy Real", company="Ivy Labs",
                                phone="+1 555 0199", country="US"))
    contact, company = real.contact, real.contact.company
    spam = submit(quote_request(email="IVY@gmail.com", name="Bot", company="Spam Corp",
                                phone="+7 000", country="RU"), honeypot="x")
    unknown = submit(quote_request(email="bot@ivy-labs.example", company="Ivy Labs"),
                     honeypot="x")
    db.session.expire_all()
    assert spam.lead.status is LeadStatus.SPAM and spam.contact_id == contact.id
    assert (contact.name, contact.phone, contact.country, contact.company_id) == (
        "Ivy Real", "+1 555 0199", "US", company.id)
    assert company.domain is None  # a spammer's domain does not become Ivy Labs'
    assert unknown.contact.email == "bot@ivy-labs.example"  # a new address is still recorded
    assert real.lead.contact_name == "Ivy Real"


def test_unknown_ingredient_and_missing_plan_are_refused(catalog):
    with pytest.raises(intake.IntakeRejected, match="no longer in our catalog"):
        submit(quote_request(lines=[LineRequest(ingredient_slug="unobtainium", compute=True)]))
    db.session.rollback()
    with pytest.raises(intake.IntakeRejected, match="dose, servings per unit"):
        submit(quote_request(units=None))
    db.session.rollback()
    # Each figure within its field's bounds, the product beyond what a quantity may be
    # (and beyond what PostgreSQL's column holds: a 500 there, once).
    with pytest.raises(intake.IntakeRejected, match="200,000,000,000 kg of ingredient 1"):
        submit(quote_request(dose_mg=Decimal(100_000), servings_per_unit=10_000,
                             units=100_000_000, overage_pct=Decimal(100)))
    db.session.rollback()
    assert _count(Inquiry) == 0


def test_a_terse_follow_up_keeps_the_lead_s_score_and_a_richer_one_raises_it(catalog):
    """A lead is as promising as its best request: "any news?" from the same contact does
    not undo what the first request told us; a follow-up that tells more counts."""
    make_user(role="sales")
    rich = submit(quote_request(email="ana@acme.example"))
    lead = rich.lead
    first_score, first_reasons = lead.score, list(lead.score_reasons)
    terse = quote_request(email="ana@acme.example", phone=None, job_title=None,
                          company_type=None, target_market=None, project_stage=None,
                          sample_wanted=False, message="Any news?",
                          lines=[LineRequest(ingredient_slug="l-serine", quantity_kg=Decimal(1))])
    assert submit(terse).lead_id == lead.id
    assert (lead.score, lead.score_reasons) == (first_score, first_reasons)
    keen = quote_request(email="ana@acme.example", project_stage="ready to order")
    assert submit(keen).lead_id == lead.id
    assert lead.score > first_score and "+20 stage: ready to order" in lead.score_reasons


def test_a_known_contact_stays_with_the_company_staff_moved_them_to(catalog):
    """Staff moved Ana to her group's company: her next request, still naming the company of
    her email's domain, neither moves her back nor makes a company for the name she typed."""
    from crm.leads.contacts import update_contact

    first = submit(quote_request(email="ana@acme.example", company="Acme Nutrition"))
    update_contact(db.session, lead=first.lead, actor=None, name="Ana Formulator",
                   email="ana@acme.example", phone="+1 555 0100", job_title="Product developer",
                   country="US", company_name="Acme Group", company_type="brand owner",
                   move_company=True)
    first.lead.status = LeadStatus.WON
    db.session.commit()
    group = first.lead.company
    companies = _count(Company)
    again = submit(quote_request(email="ana@acme.example", company="Acme Nutrition Labs"))
    assert again.lead_id != first.lead_id
    assert again.contact.company_id == group.id and again.lead.company_id == group.id
    assert again.lead.company_name == "Acme Group"
    assert _count(Company) == companies
    [note] = db.session.scalars(select(Activity.body).where(
        Activity.lead_id == again.lead_id, Activity.kind == ActivityKind.CONTACT)).all()
    assert "company given as “Acme Nutrition Labs”" in note and "“Acme Group”" in note


def test_a_known_contact_s_new_details_reach_every_lead_showing_them(catalog):
    old = submit(quote_request(email="ana@acme.example", name="Ana Formulator"))
    old.lead.status = LeadStatus.LOST
    old.lead.lost_reason = "price"
    db.session.commit()
    version = old.lead.version
    new = submit(quote_request(email="ana@acme.example", name="Ana Ortega",
                               phone="+1 555 0199", country="CA"))
    db.session.expire_all()
    for lead in (old.lead, new.lead):
        assert (lead.contact_name, lead.country) == ("Ana Ortega", "CA")
        assert "ana ortega" in lead.search_text
    assert old.lead.version == version + 1  # a contact form open on it is now out of date
    notes = db.session.scalars(select(Activity.body).where(
        Activity.kind == ActivityKind.CONTACT)).all()
    assert notes == [f"Details sent with {new.reference}: name “Ana Formulator” → “Ana Ortega”; "
                     "phone “+1 555 0100” → “+1 555 0199”; country “US” → “CA”"]


def test_a_known_contact_writing_again_unchanged_leaves_their_leads_alone(catalog):
    old = submit(quote_request(email="ana@acme.example"))
    old.lead.status = LeadStatus.WON
    db.session.commit()
    version = old.lead.version
    submit(quote_request(email="ana@acme.example", phone="", job_title=""))
    db.session.expire_all()
    assert old.lead.version == version
    assert not db.session.scalars(select(Activity).where(
        Activity.kind == ActivityKind.CONTACT)).all()
