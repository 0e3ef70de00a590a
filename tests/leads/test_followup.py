"""Digests of overdue and unanswered leads, and the bulk data set."""

from datetime import timedelta

from sqlalchemy import func, select, text

from crm.auth.models import Role
from crm.core.types import utcnow
from crm.extensions import db
from crm.leads.followup import send_digests
from crm.leads.models import Inquiry, Lead, LeadStatus, RequestedIngredient
from crm.leads.operations import add_note
from crm.notifications.models import OutboxEmail
from crm.notifications.queries import LogFilters, email_page
from crm.quotes.models import Quote, QuoteStatus
from crm.quotes.operations import draft_from_lead, send_quote
from tests.factories import make_user, seed_catalog, submit


def _digests():
    return db.session.scalars(select(OutboxEmail).where(OutboxEmail.template == "lead_digest")
                              ).all()


def test_digest_lists_each_owners_overdue_and_unanswered_leads(app):
    seed_catalog()
    alice = make_user(role="sales", name="Alice")
    unanswered = submit().lead
    unanswered.first_response_due_at = utcnow() - timedelta(hours=1)
    overdue = submit().lead
    overdue.next_action_on = utcnow().date() - timedelta(days=2)
    overdue.next_action_note = "Call about samples"
    overdue.first_responded_at = utcnow()
    fine = submit().lead
    for lead in (unanswered, overdue, fine):
        lead.owner_id = alice.id
    db.session.commit()
    assert send_digests(db.session) == 1
    db.session.commit()
    [digest] = _digests()
    assert digest.recipient == alice.email
    assert unanswered.reference in digest.body_text and overdue.reference in digest.body_text
    assert "Call about samples" in digest.body_text
    assert fine.reference not in digest.body_text
    assert "1 overdue, 1 unanswered" in digest.subject
    assert digest.headers["List-Unsubscribe"]
    # Once a day: a second run the same day queues nothing new.
    send_digests(db.session)
    db.session.commit()
    assert len(_digests()) == 1


def test_leads_of_an_owner_no_longer_active_reach_the_admins(app):
    """Nobody else would hear of them: only admins may reassign another's lead."""
    seed_catalog()
    gone = make_user(role="sales", name="Gone Seller")
    lead = submit().lead
    assert lead.owner_id == gone.id
    lead.first_response_due_at = utcnow() - timedelta(hours=1)
    gone.active = False
    admin = make_user(role="admin", name="Ada")
    make_user(role="sales")  # active, but owns nothing: no digest
    db.session.commit()
    assert send_digests(db.session) == 1
    db.session.commit()
    [digest] = _digests()
    assert digest.recipient == admin.email
    assert "1 without an active owner" in digest.subject
    for body in (digest.body_text, digest.body_html):
        assert "no longer active" in body and lead.reference in body and "Gone Seller" in body


def test_an_owner_away_gets_no_digest_and_the_admins_see_their_leads(app):
    """Their digest would wait in an inbox nobody reads: the admins answer or reassign."""
    from crm.auth.operations import team_today

    seed_catalog()
    away = make_user(role="sales", name="Vera Away")
    lead = submit().lead
    lead.first_response_due_at = utcnow() - timedelta(hours=1)
    away.away_until = team_today() + timedelta(days=4)
    admin = make_user(role="admin", name="Ada")
    db.session.commit()
    assert send_digests(db.session) == 1
    db.session.commit()
    [digest] = _digests()
    assert digest.recipient == admin.email and "1 whose owner is away" in digest.subject
    until = away.away_until.strftime("%-d %b")
    for body in (digest.body_text, digest.body_html):
        assert "Waiting on someone away" in body and lead.reference in body
        assert f"owner Vera Away, away until {until}" in body


def test_leads_of_an_owner_who_moved_out_of_sales_reach_the_admins(app):
    """A moderator cannot open leads: their digest would list leads they cannot work."""
    seed_catalog()
    moved = make_user(role="sales", name="Moved Seller")
    lead = submit().lead
    assert lead.owner_id == moved.id
    lead.first_response_due_at = utcnow() - timedelta(hours=1)
    moved.role = Role.MODERATOR
    admin = make_user(role="admin")
    db.session.commit()
    assert send_digests(db.session) == 1
    db.session.commit()
    [digest] = _digests()
    assert digest.recipient == admin.email
    assert lead.reference in digest.body_text and "Moved Seller" in digest.body_text


def test_answered_leads_leave_the_digest(app, runner):
    seed_catalog()
    bob = make_user(role="sales")
    lead = submit().lead
    lead.owner_id = bob.id
    lead.first_response_due_at = utcnow() - timedelta(hours=1)
    add_note(db.session, lead=lead, body="Called them.", actor=bob)
    db.session.commit()
    result = runner.invoke(args=["crm", "send-digests", "--any-day"])
    assert result.exit_code == 0 and "Queued 0 digests." in result.output
    assert _digests() == []


def test_no_digest_is_sent_on_a_day_off(app, runner, monkeypatch):
    """Cron runs the digests daily; on a day off they wait for the next working day."""
    from datetime import UTC, datetime

    import crm.core.types

    seed_catalog()
    bob = make_user(role="sales")
    lead = submit().lead
    lead.owner_id = bob.id
    lead.first_response_due_at = utcnow() - timedelta(hours=1)
    db.session.commit()
    saturday = datetime(2026, 11, 28, 7, tzinfo=UTC)
    monkeypatch.setattr(crm.core.types, "utcnow", lambda: saturday)
    result = runner.invoke(args=["crm", "send-digests"])
    assert result.exit_code == 0 and "not a working day" in result.output
    assert _digests() == []
    app.config["CRM_WORKING_DAYS"] = frozenset({5})  # a team that works on Saturdays
    result = runner.invoke(args=["crm", "send-digests"])
    assert "Queued 1 digest." in result.output and len(_digests()) == 1


def test_seed_bulk_fills_a_consistent_data_set(app, runner):
    result = runner.invoke(args=["crm", "seed-bulk", "--leads", "300"])
    assert result.exit_code == 0, result.output
    assert "Added 300 leads and " in result.output
    count = db.session.scalar(select(func.count()).select_from(Lead))
    assert count == 300
    assert db.session.scalar(select(func.count()).select_from(Inquiry)) == 300
    assert db.session.scalar(select(func.count()).select_from(RequestedIngredient)) >= 300
    lead = db.session.scalar(select(Lead).order_by(Lead.id).limit(1))
    assert lead.reference.lower() in lead.search_text and lead.total_kg > 0
    # Each request's acknowledgement and alert, in the outbox as the worker left them.
    emails = db.session.execute(select(OutboxEmail.template, OutboxEmail.recipient).where(
        OutboxEmail.related_type == "leads", OutboxEmail.related_id == lead.id)).all()
    assert sorted(emails) == [("inquiry_ack", lead.contact_email),
                              ("lead_alert", lead.owner.email if lead.owner else emails[1][1])]
    assert db.session.scalar(select(func.count()).select_from(OutboxEmail)) == 600
    assert email_page(db.session, filters=LogFilters(recipient=lead.contact_email)).items
    if db.engine.dialect.name == "postgresql":  # settled as autovacuum would: VACUUM ANALYZE
        assert db.session.scalar(text(
            "SELECT last_vacuum IS NOT NULL AND last_analyze IS NOT NULL FROM "
            "pg_stat_user_tables WHERE relname = 'leads' AND schemaname = current_schema()"))
    else:  # the search index merged into one segment, as FTS5's 'optimize' leaves it, and
        # the statistics the planner chooses indexes by (ANALYZE)
        assert db.session.scalar(text("SELECT count(DISTINCT segid) FROM leads_fts_idx")) == 1
        assert db.session.scalar(text(
            "SELECT stat FROM sqlite_stat1 WHERE idx = 'ix_leads_live_score'")).startswith("300 ")
    # The quotes its leads would have: awaiting an answer on quoted leads, accepted on won
    # ones, never on new or contacted ones; their numbers continue the year's counter.
    quotes = db.session.execute(select(Quote.status, Lead.status).join(Lead)).all()
    assert f"and {len(quotes)} quotes." in result.output
    pairs = set(quotes)
    assert {(QuoteStatus.ACCEPTED, LeadStatus.WON)} <= pairs
    assert {quote for quote, lead in pairs if lead is LeadStatus.QUOTED} <= {
        QuoteStatus.SENT, QuoteStatus.VIEWED}
    assert not {lead for _, lead in pairs} & {LeadStatus.NEW, LeadStatus.CONTACTED}
    # Intake and quoting still work on top of it (the id sequences and the quote counter
    # were advanced by the inserts).
    seed_catalog()
    newer = submit().lead
    assert newer.id > lead.id
    quote, _ = draft_from_lead(db.session, lead=newer, actor=None)
    db.session.commit()
    assert quote.number not in {number for (number,) in db.session.execute(
        select(Quote.number).where(Quote.id != quote.id))}


def _quote_sent(by, *, valid_days: int):
    """A quote sent by ``by`` on a new, answered lead (nothing else to chase on it), valid
    ``valid_days`` more days."""
    lead = submit().lead
    lead.first_responded_at = utcnow()
    quote, _ = draft_from_lead(db.session, lead=lead, actor=by)
    quote.valid_until = utcnow().date() + timedelta(days=valid_days)
    db.session.commit()
    send_quote(db.session, quote=quote, actor=by)
    db.session.commit()
    return quote


def test_the_digest_lists_the_owners_quotes_about_to_expire(app):
    """Quotes awaiting an answer that lapse within a week are worth a call: each owner's
    digest lists theirs, soonest first; not those further off, nor a lost lead's."""
    from crm.leads.operations import change_status

    seed_catalog()
    alice = make_user(role="sales", name="Alice")
    quotes = {name: _quote_sent(alice, valid_days=days)
              for name, days in (("soon", 2), ("later", 20), ("closed", 3), ("sooner", 1))}
    change_status(db.session, lead=quotes["closed"].lead, status=LeadStatus.LOST, actor=alice,
                  lost_reason="Went quiet")
    db.session.commit()

    assert send_digests(db.session) == 1
    db.session.commit()
    [digest] = _digests()
    assert "2 quotes expiring" in digest.subject
    text = digest.body_text
    assert text.index(quotes["sooner"].label) < text.index(quotes["soon"].label)
    assert quotes["later"].label not in text and quotes["closed"].label not in text
    assert quotes["soon"].label in digest.body_html


def test_a_quote_about_to_expire_with_no_active_owner_reaches_the_admins(app):
    seed_catalog()
    admin = make_user(role="admin", name="Ada Admin")
    gone = make_user(role="sales", name="Gone Seller")
    quote = _quote_sent(gone, valid_days=2)
    gone.active = False
    db.session.commit()
    assert send_digests(db.session) == 1
    db.session.commit()
    [digest] = _digests()
    assert digest.recipient == admin.email
    assert quote.label in digest.body_text and "Gone Seller" in digest.body_text
    assert quote.label in digest.body_html


def test_the_first_response_clock_counts_working_days_only(app, monkeypatch):
    """A request sent on Friday evening is due on Monday evening, not on Saturday; with every
    day a working day, on Saturday."""
    from datetime import UTC, datetime

    import crm.intake.operations

    seed_catalog()
    make_user(role="sales")
    friday_evening = datetime(2026, 11, 27, 18, 5, tzinfo=UTC)
    monkeypatch.setattr(crm.intake.operations, "utcnow", lambda: friday_evening)
    lead = submit().lead
    assert lead.created_at == friday_evening
    assert lead.first_response_due_at == datetime(2026, 11, 30, 18, 5, tzinfo=UTC)

    app.config["CRM_WORKING_DAYS"] = frozenset(range(7))
    assert submit().lead.first_response_due_at == friday_evening + timedelta(hours=24)
