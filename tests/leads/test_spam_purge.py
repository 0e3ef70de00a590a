"""Spam is not kept for ever: ``flask crm purge-spam`` deletes spam leads and spam or trashed
comments once ``CRM_SPAM_RETENTION_DAYS`` have passed since they were last touched, with the
contacts and companies only they named."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from crm.articles.models import Comment, CommentStatus
from crm.articles.moderation import purge_comments
from crm.audit.models import AuditEvent
from crm.core.types import utcnow
from crm.extensions import db
from crm.leads import operations as leads
from crm.leads.models import (
    Activity,
    Company,
    Contact,
    Inquiry,
    Lead,
    LeadStatus,
    RequestedIngredient,
)
from crm.leads.purge import purge_spam_leads
from crm.quotes import operations as quotes
from tests.factories import (
    make_article,
    make_comment,
    make_user,
    quote_request,
    seed_catalog,
    submit,
)

S = LeadStatus
LONG_AGO = timedelta(days=31)


def cutoff():
    return utcnow() - timedelta(days=30)


@pytest.fixture
def catalog(app):
    seed_catalog()


def count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def spam_lead(age=LONG_AGO, **request):
    """A request the screen held as spam ``age`` ago."""
    lead = submit(quote_request(**request), honeypot="http://bot.example").lead
    lead.created_at = lead.updated_at = utcnow() - age
    db.session.commit()
    return lead


def test_old_spam_leads_go_with_what_only_they_named(catalog):
    old = spam_lead(company="Botcorp", email="bot@botcorp.example")
    young = spam_lead(age=timedelta(days=3), company="Newbot", email="x@newbot.example")
    real = submit(quote_request(company="Realco", email="ana@realco.example")).lead
    real.created_at = real.updated_at = utcnow() - LONG_AGO * 2
    db.session.commit()
    old_id, old_reference, kept = old.id, old.reference, {young.id, real.id}

    assert purge_spam_leads(db.session, before=cutoff()) == 1
    db.session.commit()
    db.session.expunge_all()
    assert db.session.get(Lead, old_id) is None
    assert count(Inquiry, Inquiry.lead_id == old_id) == 0
    assert count(RequestedIngredient, RequestedIngredient.lead_id == old_id) == 0
    assert count(Activity, Activity.lead_id == old_id) == 0
    assert count(Contact, Contact.email == "bot@botcorp.example") == 0
    assert count(Company, Company.domain == "botcorp.example") == 0
    assert set(db.session.scalars(select(Lead.id))) == kept
    event = db.session.scalars(select(AuditEvent)
                               .where(AuditEvent.action == "leads.spam_purged")).one()
    assert event.detail == {"leads": 1, "references": [old_reference]}


def test_a_contact_or_company_with_real_requests_stays(catalog):
    make_user(role="sales")
    real = submit(quote_request(company="Sharedco", email="ana@sharedco.example")).lead
    spam = spam_lead(company="Sharedco", email="ana@sharedco.example")
    spam_colleague = spam_lead(company="Sharedco", email="bob@sharedco.example")
    purged = {spam.id, spam_colleague.id}
    purge_spam_leads(db.session, before=cutoff())
    db.session.commit()
    assert purged.isdisjoint(db.session.scalars(select(Lead.id)))
    assert count(Contact, Contact.email == "ana@sharedco.example") == 1  # Ana asked for real
    assert count(Contact, Contact.email == "bob@sharedco.example") == 0
    assert count(Company, Company.id == real.company_id) == 1


def test_spam_worked_on_lately_a_quoted_one_or_one_with_merged_leads_stays(catalog):
    seller = make_user(role="sales")
    lead = submit(quote_request(company="Quotedco")).lead
    quote, _ = quotes.draft_from_lead(db.session, lead=lead, actor=seller)
    leads.change_status(db.session, lead=lead, status=S.SPAM, actor=seller)
    lead.created_at = lead.updated_at = utcnow() - LONG_AGO
    marked_lately = spam_lead()
    marked_lately.updated_at = utcnow() - timedelta(days=2)  # someone looked at it
    host = spam_lead()
    merged = submit(quote_request(company="Mergedco")).lead
    merged.merged_into_id = host.id
    merged.status = S.LOST
    db.session.commit()
    assert purge_spam_leads(db.session, before=cutoff()) == 0


def test_old_spam_and_trashed_comments_go_and_their_replies_move_up(app):
    article = make_article()
    now = utcnow()
    spam = make_comment(article, status="spam")
    trashed = make_comment(article, status="trash")
    reply = make_comment(article, status="approved", parent_id=trashed.id, depth=1)
    pending = make_comment(article, status="pending")
    fresh_spam = make_comment(article, status="spam")
    for comment in (spam, trashed, pending):
        comment.created_at = now - LONG_AGO
    fresh_spam.created_at = now - LONG_AGO
    fresh_spam.moderated_at = now - timedelta(days=1)  # marked spam yesterday
    db.session.commit()

    assert purge_comments(db.session, before=cutoff()) == 2
    db.session.commit()
    left = set(db.session.scalars(select(Comment.id)))
    assert left == {reply.id, pending.id, fresh_spam.id}
    db.session.refresh(reply)
    assert reply.parent_id is None and reply.depth == 0
    assert reply.status is CommentStatus.APPROVED


def test_the_command_purges_and_says_how_much(catalog, runner):
    spam_lead()
    result = runner.invoke(args=["crm", "purge-spam", "--days", "30"])
    assert result.exit_code == 0, result.output
    assert "Deleted 1 spam lead and 0 comments older than 30 days." in result.output
    assert count(Lead) == 0


def test_the_spam_and_trash_tabs_say_when_comments_go(app, client, auth):
    app.config["CRM_SPAM_RETENTION_DAYS"] = 45
    auth.login("moderator")
    assert "Deleted for ever 45 days after being marked spam" in client.get(
        "/dashboard/moderation/?status=spam").get_data(as_text=True)
    assert "Deleted for ever" not in client.get(
        "/dashboard/moderation/?status=pending").get_data(as_text=True)
    auth.logout()
    auth.login("sales")
    assert "Spam leads untouched for 45 days are deleted" in client.get(
        "/dashboard/leads/?status=spam").get_data(as_text=True)


def test_a_backlog_goes_in_batches_and_what_they_share_goes_last(catalog, monkeypatch):
    monkeypatch.setattr("crm.leads.purge.BATCH", 2)
    for n in range(5):
        spam_lead(company="Botfarm", email=f"bot{n}@botfarm.example")
    assert purge_spam_leads(db.session, before=cutoff()) == 5
    db.session.commit()
    assert count(Lead) == count(Contact) == 0
    assert count(Company, Company.domain == "botfarm.example") == 0
