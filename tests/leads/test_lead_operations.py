"""The lead operations, called directly (no HTTP): the state machine, locking, assignment,
first response, merging and emails to the contact."""

from datetime import date
from decimal import Decimal
from itertools import product

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from crm.auth.models import Role
from crm.extensions import db
from crm.intake.requests import LineRequest
from crm.leads import operations
from crm.leads.merging import merge
from crm.leads.models import Activity, ActivityKind, Inquiry, Lead, LeadStatus, RequestedIngredient
from crm.leads.operations import TRANSITIONS, LeadConflict, LeadError
from crm.notifications.models import OutboxEmail
from tests.factories import make_user, quote_request, seed_catalog, submit

S = LeadStatus


@pytest.fixture
def catalog(app):
    seed_catalog()


@pytest.fixture
def lead(catalog):
    """An unassigned new lead (no sales user exists when it comes in)."""
    return submit().lead


def _activities(lead, kind=None):
    query = select(func.count(Activity.id)).where(Activity.lead_id == lead.id)
    if kind is not None:
        query = query.where(Activity.kind == kind)
    return db.session.scalar(query)


def _emails(**where):
    query = select(OutboxEmail)
    for name, value in where.items():
        query = query.where(getattr(OutboxEmail, name) == value)
    return db.session.scalars(query).all()


# --- the state machine -----------------------------------------------------------------------

def test_every_pair_of_statuses_follows_the_transition_table(lead):
    actor = make_user(role="sales")
    for before, after in product(LeadStatus, LeadStatus):
        lead.status = before
        lead.lost_reason = "too small" if before is S.LOST else None
        db.session.commit()
        version, activities = lead.version, _activities(lead, ActivityKind.STATUS)
        if after in TRANSITIONS[before]:
            operations.change_status(db.session, lead=lead, status=after, actor=actor,
                                     lost_reason="price", expected_version=version)
            db.session.commit()
            assert lead.status is after, (before, after)
            assert _activities(lead, ActivityKind.STATUS) == activities + 1, (before, after)
            activity = db.session.scalars(select(Activity).where(
                Activity.lead_id == lead.id, Activity.kind == ActivityKind.STATUS)
                .order_by(Activity.id.desc())).first()
            assert activity.detail == {"before": before.value, "after": after.value}
            assert activity.actor_id == actor.id
        else:
            with pytest.raises(LeadError):
                operations.change_status(db.session, lead=lead, status=after, actor=actor,
                                         lost_reason="price", expected_version=version)
            db.session.rollback()
            assert lead.status is before, (before, after)
            assert lead.version == version, (before, after)
            assert _activities(lead, ActivityKind.STATUS) == activities, (before, after)


def test_the_table_is_the_documented_machine():
    assert TRANSITIONS[S.NEW] == {S.CONTACTED, S.LOST, S.SPAM}
    assert TRANSITIONS[S.LOST] == {S.QUALIFIED}
    assert TRANSITIONS[S.WON] == set() and TRANSITIONS[S.SPAM] == set()
    for status in (S.NEW, S.CONTACTED, S.QUALIFIED, S.QUOTED):
        assert S.SPAM in TRANSITIONS[status] and S.LOST in TRANSITIONS[status]


@pytest.mark.parametrize("reason", ["", "   "])
def test_lost_needs_a_reason(lead, reason):
    actor = make_user(role="sales")
    with pytest.raises(LeadError, match="why"):
        operations.change_status(db.session, lead=lead, status=S.LOST, actor=actor,
                                 lost_reason=reason)
    db.session.rollback()
    assert lead.status is S.NEW and lead.lost_reason is None


def test_lost_keeps_its_reason_and_reopening_clears_it(lead):
    actor = make_user(role="sales")
    operations.change_status(db.session, lead=lead, status=S.LOST, actor=actor,
                             lost_reason="  chose a cheaper supplier ")
    db.session.commit()
    assert lead.status is S.LOST and lead.lost_reason == "chose a cheaper supplier"
    operations.change_status(db.session, lead=lead, status=S.QUALIFIED, actor=actor)
    db.session.commit()
    assert lead.status is S.QUALIFIED and lead.lost_reason is None
    bodies = db.session.scalars(select(Activity.body).where(
        Activity.lead_id == lead.id, Activity.kind == ActivityKind.STATUS)
        .order_by(Activity.id)).all()
    assert bodies == ["New → Lost: chose a cheaper supplier", "Lost → Qualified"]


# --- optimistic locking ----------------------------------------------------------------------

def test_a_stale_version_is_refused_naming_who_and_when(lead):
    sam = make_user(role="sales", name="Sam Seller")
    other = make_user(role="sales")
    loaded = lead.version
    operations.set_next_action(db.session, lead=lead, on=date(2031, 5, 4), note="call",
                               actor=sam, expected_version=loaded)
    db.session.commit()
    assert lead.version > loaded
    with pytest.raises(LeadConflict) as refused:
        operations.change_status(db.session, lead=lead, status=S.CONTACTED, actor=other,
                                 expected_version=loaded)
    message = str(refused.value)
    assert "Sam Seller" in message
    assert lead.updated_at.strftime("%-d %b %H:%M UTC") in message
    assert "Reload" in message
    db.session.rollback()
    assert lead.status is S.NEW and lead.next_action_note == "call"
    for call in (
        lambda: operations.set_next_action(db.session, lead=lead, on=None, note="", actor=other,
                                           expected_version=loaded),
        lambda: operations.assign(db.session, lead=lead, owner=other, actor=other,
                                  expected_version=loaded),
    ):
        with pytest.raises(LeadConflict):
            call()
        db.session.rollback()
    assert lead.owner_id is None and lead.next_action_on == date(2031, 5, 4)


def test_a_stale_version_after_a_new_inquiry_names_no_one(catalog):
    """A new inquiry changes the lead (its lines, kilograms, score) by itself: the refusal
    must not name whoever saved the lead before it, perhaps the person being refused."""
    sam = make_user(role="sales", name="Sam Seller")
    lead = submit(quote_request(email="kim@theta.example")).lead
    operations.add_note(db.session, lead=lead, body="Called Kim.", actor=sam)
    db.session.commit()
    loaded = lead.version
    submit(quote_request(email="kim@theta.example"))
    db.session.refresh(lead)
    with pytest.raises(LeadConflict) as refused:
        operations.change_status(db.session, lead=lead, status=S.CONTACTED, actor=sam,
                                 expected_version=loaded)
    assert "Sam Seller" not in str(refused.value)
    assert lead.updated_at.strftime("%-d %b %H:%M UTC") in str(refused.value)


def test_two_sessions_saving_the_same_lead_the_second_fails(lead):
    lead_id, version = lead.id, lead.version
    db.session.commit()
    db.session.close()
    with Session(db.engine) as one, Session(db.engine) as two:
        first, second = one.get(Lead, lead_id), two.get(Lead, lead_id)
        assert first.version == second.version == version
        first.next_action_note = "from one"
        one.commit()
        second.next_action_note = "from two"
        with pytest.raises(StaleDataError):
            two.commit()
        two.rollback()
    saved = db.session.get(Lead, lead_id)
    assert saved.next_action_note == "from one" and saved.version == version + 1


# --- assignment ------------------------------------------------------------------------------

def test_sales_take_unassigned_leads_and_pass_on_their_own(lead):
    ann, bob = make_user(role="sales", name="Ann"), make_user(role="sales", name="Bob")
    assert lead.owner_id is None
    operations.assign(db.session, lead=lead, owner=ann, actor=ann)
    db.session.commit()
    assert lead.owner_id == ann.id
    assert not _emails(template="lead_assigned")  # she took it herself
    operations.assign(db.session, lead=lead, owner=bob, actor=ann)
    db.session.commit()
    assert lead.owner_id == bob.id
    [email] = _emails(template="lead_assigned")
    assert email.recipient == bob.email and email.related_id == lead.id
    assert lead.reference in email.subject and "Ann passed" in email.body_text
    assigned = db.session.scalars(select(Activity.body).where(
        Activity.lead_id == lead.id, Activity.kind == ActivityKind.ASSIGNED)
        .order_by(Activity.id)).all()
    assert assigned == ["Assigned to Ann", "Assigned to Bob"]


def test_sales_cannot_take_a_lead_from_someone_else_but_an_admin_can(lead):
    ann, bob = make_user(role="sales"), make_user(role="sales")
    admin = make_user(role="admin")
    operations.assign(db.session, lead=lead, owner=bob, actor=bob)
    db.session.commit()
    version = lead.version
    for owner in (ann, None):
        with pytest.raises(LeadError, match="Only an admin"):
            operations.assign(db.session, lead=lead, owner=owner, actor=ann)
        db.session.rollback()
        assert lead.owner_id == bob.id and lead.version == version
    operations.assign(db.session, lead=lead, owner=ann, actor=admin)
    db.session.commit()
    assert lead.owner_id == ann.id
    [email] = _emails(template="lead_assigned")
    assert email.recipient == ann.email


def test_a_lead_whose_owner_left_is_anyones_to_take(lead):
    gone, ann = make_user(role="sales"), make_user(role="sales")
    operations.assign(db.session, lead=lead, owner=gone, actor=None)
    gone.active = False
    db.session.commit()
    operations.assign(db.session, lead=lead, owner=ann, actor=ann)
    db.session.commit()
    assert lead.owner_id == ann.id


def test_a_lead_whose_owner_moved_out_of_sales_is_anyones_to_take(lead):
    """A salesperson made a moderator can no longer open the lead: like one who left, it is
    anyone's in sales to take, not stuck until an admin notices."""
    moved, ann = make_user(role="sales"), make_user(role="sales")
    operations.assign(db.session, lead=lead, owner=moved, actor=None)
    moved.role = Role.MODERATOR
    db.session.commit()
    assert not operations.owned_by_someone_else(lead, ann)
    operations.assign(db.session, lead=lead, owner=ann, actor=ann)
    db.session.commit()
    assert lead.owner_id == ann.id


def test_leads_go_only_to_active_sales_users(lead):
    admin = make_user(role="admin")
    moderator = make_user(role="moderator")
    retired = make_user(role="sales", active=False)
    for owner in (moderator, retired):
        with pytest.raises(LeadError, match="active sales"):
            operations.assign(db.session, lead=lead, owner=owner, actor=admin)
        db.session.rollback()
    assert lead.owner_id is None


# --- first response --------------------------------------------------------------------------

ACTIONS = {
    "note": lambda lead, actor: operations.add_note(db.session, lead=lead, body="Called.",
                                                    actor=actor),
    "status": lambda lead, actor: operations.change_status(db.session, lead=lead,
                                                           status=S.CONTACTED, actor=actor),
    "email": lambda lead, actor: operations.email_contact(db.session, lead=lead, subject="Hi",
                                                          body="Hello.", actor=actor),
}


@pytest.mark.parametrize("action", ACTIONS)
def test_the_first_staff_action_answers_the_lead_once(lead, action):
    actor = make_user(role="sales")
    assert lead.first_responded_at is None
    ACTIONS[action](lead, actor)
    db.session.commit()
    answered = lead.first_responded_at
    assert answered is not None
    ACTIONS["note"](lead, actor)
    ACTIONS["email"](lead, actor)
    db.session.commit()
    assert lead.first_responded_at == answered


def test_reassigning_or_planning_does_not_answer_the_lead(lead):
    """The customer is still waiting: the lead stays in the breaches and the digests."""
    admin, sam = make_user(role="admin"), make_user(role="sales")
    operations.assign(db.session, lead=lead, owner=sam, actor=admin)
    operations.set_next_action(db.session, lead=lead, on=date(2031, 1, 9), note="Call",
                               actor=sam)
    db.session.commit()
    assert lead.first_responded_at is None


def test_intake_itself_does_not_answer_the_lead(catalog):
    make_user(role="sales")
    lead = submit().lead  # assigned by the system, acknowledged by email
    assert lead.owner_id is not None and lead.first_responded_at is None


# --- notes and next action -------------------------------------------------------------------

def test_notes_are_trimmed_and_empty_ones_refused(lead):
    actor = make_user(role="sales")
    note = operations.add_note(db.session, lead=lead, body="  Wants samples first.\n", actor=actor)
    db.session.commit()
    assert note.body == "Wants samples first." and note.kind is ActivityKind.NOTE
    with pytest.raises(LeadError):
        operations.add_note(db.session, lead=lead, body=" \n ", actor=actor)


def test_next_action_is_set_and_cleared(lead):
    actor = make_user(role="sales")
    operations.set_next_action(db.session, lead=lead, on=date(2031, 1, 9), note=" Send CoA ",
                               actor=actor)
    db.session.commit()
    assert lead.next_action_on == date(2031, 1, 9) and lead.next_action_note == "Send CoA"
    operations.set_next_action(db.session, lead=lead, on=None, note="", actor=actor)
    db.session.commit()
    assert lead.next_action_on is None and lead.next_action_note is None
    bodies = db.session.scalars(select(Activity.body).where(
        Activity.lead_id == lead.id, Activity.kind == ActivityKind.NEXT_ACTION)
        .order_by(Activity.id)).all()
    assert bodies == ["Next action on 9 Jan 2031: Send CoA", "Next action cleared"]


# --- merging ---------------------------------------------------------------------------------

def test_merge_moves_inquiries_lines_and_activities_and_hides_the_source(catalog):
    actor = make_user(role="sales")
    target = submit().lead  # 325 kg of L-serine
    source_inquiry = submit(quote_request(email="buyer@other.example", lines=[
        LineRequest(ingredient_slug="glycine", grade="USP", form="Powder",
                    quantity_kg=Decimal("60")),
        LineRequest(free_text="Beta-alanine", quantity_kg=Decimal("12")),
    ]))
    source = source_inquiry.lead
    operations.add_note(db.session, lead=source, body="Same group as Acme.", actor=actor)
    db.session.commit()
    source_activities = _activities(source)
    target_activities = _activities(target)

    merge(db.session, source=source, target=target, actor=actor)
    db.session.commit()

    assert source.merged_into_id == target.id
    assert source.status is S.LOST and source.lost_reason == f"Merged into {target.reference}"
    assert db.session.get(Inquiry, source_inquiry.id).lead_id == target.id
    assert db.session.scalar(select(func.count(Inquiry.id))
                             .where(Inquiry.lead_id == source.id)) == 0
    lines = db.session.scalars(select(RequestedIngredient)
                               .where(RequestedIngredient.lead_id == target.id)).all()
    assert len(lines) == 3
    assert _activities(source) == 0
    assert _activities(target) == target_activities + source_activities + 1
    assert _activities(target, ActivityKind.MERGED) == 1
    assert target.total_kg == Decimal("325") + Decimal("75") + Decimal("12")
    moved = db.session.scalars(select(OutboxEmail).where(
        OutboxEmail.related_id == target.id)).all()
    assert len(moved) == 4 and {e.related_label for e in moved} == {target.reference}
    assert target.ingredients_summary == "L-Serine, Glycine, Beta-alanine"
    # Hidden: a new request from the source's contact joins the lead kept, which holds
    # their inquiries now (not a new lead that staff would have to merge again).
    again = submit(quote_request(email="buyer@other.example"))
    assert again.lead_id == target.id


def test_merge_refuses_itself_and_merged_leads(catalog):
    actor = make_user(role="sales")
    first = submit().lead
    second = submit(quote_request(email="x@second.example")).lead
    third = submit(quote_request(email="x@third.example")).lead
    with pytest.raises(LeadError, match="itself"):
        merge(db.session, source=first, target=first, actor=actor)
    merge(db.session, source=second, target=first, actor=actor)
    db.session.commit()
    for source, target in ((second, third), (third, second)):
        with pytest.raises(LeadError, match="already merged"):
            merge(db.session, source=source, target=target, actor=actor)
        db.session.rollback()


def test_only_an_admin_merges_away_a_lead_that_belongs_to_someone_else(catalog):
    ann, bob, admin = make_user(role="sales"), make_user(role="sales"), make_user(role="admin")
    anns = submit().lead
    bobs = submit(quote_request(email="buyer@bob.example")).lead
    unowned = submit(quote_request(email="buyer@nobody.example")).lead
    operations.assign(db.session, lead=anns, owner=ann, actor=admin)
    operations.assign(db.session, lead=bobs, owner=bob, actor=admin)
    operations.assign(db.session, lead=unowned, owner=None, actor=admin)
    db.session.commit()
    with pytest.raises(LeadError, match="Only an admin"):
        merge(db.session, source=bobs, target=anns, actor=ann)  # taking it over
    db.session.rollback()
    assert bobs.merged_into_id is None and bobs.status is S.NEW
    merge(db.session, source=unowned, target=anns, actor=ann)
    merge(db.session, source=anns, target=bobs, actor=ann)  # passing hers on
    db.session.commit()
    assert unowned.merged_into_id == anns.id and anns.merged_into_id == bobs.id
    third = submit(quote_request(email="buyer@third.example")).lead
    operations.assign(db.session, lead=third, owner=ann, actor=admin)
    merge(db.session, source=third, target=bobs, actor=admin)
    db.session.commit()
    assert third.merged_into_id == bobs.id


# --- email to the contact --------------------------------------------------------------------

def test_email_to_the_contact_goes_through_the_outbox_without_internal_data(lead):
    actor = make_user(role="sales", name="Sam Seller")
    operations.add_note(db.session, lead=lead, body="Internal: price-sensitive buyer",
                        actor=actor)
    operations.email_contact(db.session, lead=lead, subject=" Your L-serine quote ",
                             body="Hello Ana,\n\nThe CoA is attached.", actor=actor)
    db.session.commit()
    [email] = _emails(template="lead_message")
    assert email.recipient == lead.contact.email
    assert email.related_type == "leads" and email.related_id == lead.id
    assert email.subject == f"Your L-serine quote [{lead.reference}]"
    assert "The CoA is attached." in email.body_text and "Sam Seller" in email.body_text
    for secret in ["price-sensitive", "score", *lead.score_reasons]:
        assert secret not in email.body_text and secret not in email.body_html, secret
    activity = db.session.scalars(select(Activity).where(
        Activity.lead_id == lead.id, Activity.kind == ActivityKind.EMAIL)).one()
    assert activity.detail == {"subject": "Your L-serine quote"}
    assert email.idempotency_key == f"lead-message:{activity.id}"


@pytest.mark.parametrize("subject, body", [("", "Hello"), ("Hello", " "), (" ", "")])
def test_email_needs_a_subject_and_a_message(lead, subject, body):
    with pytest.raises(LeadError):
        operations.email_contact(db.session, lead=lead, subject=subject, body=body,
                                 actor=make_user(role="sales"))
    db.session.rollback()
    assert not _emails(template="lead_message")


def test_a_call_or_meeting_is_logged_with_what_was_said_and_answers_the_lead(catalog):
    owner = make_user(role="sales")
    lead = submit().lead
    assert lead.first_responded_at is None
    call = operations.add_note(db.session, lead=lead, body=" Agreed on USP grade. ", actor=owner,
                          kind=ActivityKind.CALL)
    db.session.commit()
    assert (call.kind, call.body, call.actor_id) == (ActivityKind.CALL, "Agreed on USP grade.",
                                                     owner.id)
    assert lead.first_responded_at is not None  # a call is a first response, as a note is
    with pytest.raises(LeadError, match="Log a note, a call or a meeting"):
        operations.add_note(db.session, lead=lead, body="x", actor=owner, kind=ActivityKind.STATUS)
