"""The lead page and the actions taken on it.

Every action is a thin view: form → operation → commit → flash → redirect. A form that does
not validate re-renders the page with its errors (and the text the user typed); a refusal
of the operation, or a save that lost a race with someone else's, is flashed and nothing
changes.
"""

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy.orm.exc import StaleDataError

from crm.auth.models import Role, User
from crm.auth.operations import team_today
from crm.core.database import commit_with_retries
from crm.extensions import db
from crm.intake import spam
from crm.leads import estimate, merging, operations, timeline
from crm.leads.blueprint import bp
from crm.leads.detail_forms import (
    ContactDetailsForm,
    EmailContactForm,
    EraseContactForm,
    LeadActionForm,
    MergeForm,
    NextActionForm,
    NoteForm,
    ReassignForm,
    StatusForm,
    ValueForm,
)
from crm.leads.models import ActivityKind, Lead, LeadStatus
from crm.leads.operations import TRANSITIONS, LeadConflict, LeadError

S = LeadStatus
# The button that moves a lead to each status ("lost" has a form of its own, with a reason).
STATUS_BUTTONS = {S.CONTACTED: "Mark contacted", S.QUALIFIED: "Mark qualified",
                  S.QUOTED: "Mark quoted", S.WON: "Mark won", S.SPAM: "Mark as spam"}
REOPEN_LABEL = "Reopen as qualified"
PAGE_HELPERS = {name: getattr(timeline, name) for name in (
    "kg", "kg_math", "product_plan", "documents_wanted", "first_response",
    "next_action_overdue", "country_name")}
MERGED = "This lead was merged into another one; work on that lead instead."


def status_actions(lead: Lead) -> list[tuple[LeadStatus, str]]:
    """The buttons the lead's status allows, from ``TRANSITIONS``: (status, label)."""
    allowed = TRANSITIONS[lead.status]
    return [(status, REOPEN_LABEL if lead.status is S.LOST else label)
            for status, label in STATUS_BUTTONS.items() if status in allowed]


def lead_or_404(lead_id: int) -> Lead:
    return timeline.load_lead(db.session, lead_id) or abort(404)


def _conflict_message(lead: Lead, version: int) -> str:
    """The "changed by X at T" message, for a save that lost a race (StaleDataError)."""
    try:
        operations.check_version(lead, version)  # the lead as saved now, against the form's
    except LeadConflict as exc:
        return str(exc)
    return "Someone else changed this lead at the same moment. Reload it and try again."


def save_change(lead: Lead, version: int, change, success) -> int | None:
    """Call ``change`` (one operation) and commit; flash what happened (``success``: the
    message, or a function giving it once saved). None when it was saved, else the status to
    answer with: 409 when someone else saved the lead first, 400 when the operation refused."""
    def run():
        if lead.merged_into_id is not None:  # its inquiries live on the other lead now
            raise LeadError(MERGED)
        change()

    try:
        # A unique value taken at the same moment (a contact's email): run again, and the
        # operation finds the other row and says so.
        commit_with_retries(db.session, run)
    except LeadError as exc:  # LeadConflict included: nothing was changed
        db.session.rollback()
        flash(str(exc), "error")
        return 409 if isinstance(exc, LeadConflict) else 400
    except StaleDataError:  # two saves raced; the other one won
        db.session.rollback()
        flash(_conflict_message(lead, version), "error")
        return 409
    flash(success() if callable(success) else success, "success")
    return None


def keep_typed(lead: Lead, status: int, **forms):
    """After a save that was refused or lost a race: the page as the lead is now, with what
    the person typed still in ``forms``, as of the lead's current version (sending it again
    is then a deliberate choice, made having seen the other change)."""
    kept = {name: type(form)(formdata=None, data={**form.data, "version": lead.version})
            for name, form in forms.items()}
    return render_lead_page(lead, status=status, **kept)


def _can_reassign(lead: Lead) -> bool:
    """What ``operations.assign`` allows: admins always, sales their own leads, unowned
    ones and those whose owner left."""
    return current_user.role is Role.ADMIN or not operations.owned_by_someone_else(
        lead, current_user)


def _forms(lead: Lead, can_reassign: bool) -> dict:
    """The page's forms, empty (not bound to a posted form), carrying the lead's version."""
    blank = {"formdata": None, "version": lead.version}
    forms = {
        "note_form": NoteForm(**blank),
        "status_form": StatusForm(**blank),
        "release_form": LeadActionForm(**blank),
        "next_action_form": NextActionForm(**blank, on=lead.next_action_on,
                                           note=lead.next_action_note),
        "value_form": ValueForm(**blank, estimated_value=lead.estimated_value,
                                currency=lead.estimated_currency or "USD"),
        "merge_form": MergeForm(**blank),
        "email_form": EmailContactForm(**blank),
        "contact_form": ContactDetailsForm.for_lead(lead),
        "reassign_form": None,
        "erase_form": EraseContactForm(**blank) if current_user.role is Role.ADMIN else None,
    }
    if can_reassign:
        forms["reassign_form"] = ReassignForm(
            **blank, owners=timeline.sales_users(db.session), current_owner=lead.owner,
            owner=lead.owner_id or 0)
    return forms


def render_lead_page(lead: Lead, *, status: int = 200, **bound_forms):
    can_reassign = _can_reassign(lead)
    forms = {**_forms(lead, can_reassign), **bound_forms}
    list_url = (url_for("leads.index") if "leads.index" in current_app.view_functions
                else None)
    errors = [error for form in bound_forms.values() for error in form.error_list()]
    return render_template(
        "leads/show.html", lead=lead, page=timeline.lead_page(db.session, lead), errors=errors,
        is_admin=current_user.role is Role.ADMIN, can_reassign=can_reassign,
        status_actions=status_actions(lead), can_lose=S.LOST in TRANSITIONS[lead.status],
        list_url=list_url, posted_forms=set(bound_forms), team_today=team_today(), **forms,
        **PAGE_HELPERS,
    ), status


@bp.get("/<int:lead_id>")
def show(lead_id: int):
    return render_lead_page(lead_or_404(lead_id))


@bp.post("/<int:lead_id>/status")
def change_status(lead_id: int):
    lead = lead_or_404(lead_id)
    form = StatusForm()
    if not form.validate_on_submit():
        return render_lead_page(lead, status_form=form, status=400)
    status = LeadStatus(form.status.data)
    refused = save_change(lead, form.version.data, lambda: operations.change_status(
        db.session, lead=lead, status=status, actor=current_user,
        lost_reason=form.lost_reason.data or "", expected_version=form.version.data),
        f"{lead.reference} is now {status.label.lower()}.")
    if refused and form.lost_reason.data:  # keep the reason typed
        return keep_typed(lead, refused, status_form=form)
    return redirect(form.next_url(lead.id))


@bp.post("/<int:lead_id>/notes")
def add_note(lead_id: int):
    """A note adds to the timeline and overwrites nothing, so a stale page may still add one."""
    lead = lead_or_404(lead_id)
    form = NoteForm()
    if not form.validate_on_submit():
        return render_lead_page(lead, note_form=form, status=400)
    kind = ActivityKind(form.kind.data)
    save_change(lead, form.version.data, lambda: operations.add_note(
        db.session, lead=lead, body=form.body.data, actor=current_user, kind=kind),
        "Your note is added." if kind is ActivityKind.NOTE else f"The {kind.value} is logged.")
    return redirect(form.next_url(lead.id))


@bp.post("/<int:lead_id>/next-action")
def set_next_action(lead_id: int):
    lead = lead_or_404(lead_id)
    form = NextActionForm()
    if not form.validate_on_submit():
        return render_lead_page(lead, next_action_form=form, status=400)
    refused = save_change(lead, form.version.data, lambda: operations.set_next_action(
        db.session, lead=lead, on=form.on.data, note=form.note.data or "", actor=current_user,
        expected_version=form.version.data),
        "The next action is saved." if form.on.data else "The next action is cleared.")
    if refused:
        return keep_typed(lead, refused, next_action_form=form)
    return redirect(form.next_url(lead.id))


@bp.post("/<int:lead_id>/value")
def set_estimated_value(lead_id: int):
    lead = lead_or_404(lead_id)
    form = ValueForm()
    if not form.validate_on_submit():
        return render_lead_page(lead, value_form=form, status=400)
    value = form.estimated_value.data
    refused = save_change(lead, form.version.data, lambda: estimate.set_estimated_value(
        db.session, lead=lead, value=value, currency=form.currency.data, actor=current_user,
        expected_version=form.version.data),
        "The estimated value is saved." if value is not None else
        "The estimated value is cleared.")
    if refused:
        return keep_typed(lead, refused, value_form=form)
    return redirect(form.next_url(lead.id))


@bp.post("/<int:lead_id>/not-spam")
def release_from_spam(lead_id: int):
    lead = lead_or_404(lead_id)
    form = LeadActionForm()
    if not form.validate_on_submit():
        return render_lead_page(lead, release_form=form, status=400)
    now_on = []  # the lead the request is on: this one, or the contact's open lead it joined
    refused = save_change(lead, form.version.data, lambda: now_on.append(spam.release(
        db.session, lead=lead, actor=current_user, expected_version=form.version.data)),
        lambda: f"{lead.reference} is released from spam and is now "
                f"{lead.status.label.lower()}." if now_on[-1] is lead else
                f"{lead.reference} is released from spam and joined {now_on[-1].reference}, "
                "the contact’s open lead.")
    return redirect(form.next_url(lead.id if refused else now_on[-1].id))


@bp.post("/<int:lead_id>/owner")
def reassign(lead_id: int):
    lead = lead_or_404(lead_id)
    form = ReassignForm(owners=timeline.sales_users(db.session), current_owner=lead.owner)
    if not form.validate_on_submit():
        return render_lead_page(lead, reassign_form=form, status=400)
    owner = db.session.get(User, form.owner.data) if form.owner.data else None
    save_change(lead, form.version.data, lambda: operations.assign(
        db.session, lead=lead, owner=owner, actor=current_user,
        expected_version=form.version.data),
        f"{lead.reference} is now with {owner.name}." if owner else
        f"{lead.reference} is back in the unassigned queue.")
    return redirect(form.next_url(lead.id))


@bp.post("/<int:lead_id>/merge")
def merge(lead_id: int):
    """Fold another lead (named by its reference) into this one."""
    lead = lead_or_404(lead_id)
    form = MergeForm()
    if not form.validate_on_submit():
        return render_lead_page(lead, merge_form=form, status=400)
    source = form.source

    def merge_into_this_lead():
        operations.check_version(lead, form.version.data)
        merging.merge(db.session, source=source, target=lead, actor=current_user)

    save_change(lead, form.version.data, merge_into_this_lead,
          f"{source.reference} is merged into this lead.")
    return redirect(form.next_url(lead.id))


@bp.post("/<int:lead_id>/email")
def email_contact(lead_id: int):
    """Write to the contact. On a stale page the message is kept and the page shown again,
    so the writer sees what changed (perhaps a colleague's email) before sending."""
    lead = lead_or_404(lead_id)
    form = EmailContactForm()
    if not form.validate_on_submit():
        return render_lead_page(lead, email_form=form, status=400)
    refused = save_change(lead, form.version.data, lambda: operations.email_contact(
        db.session, lead=lead, subject=form.subject.data, body=form.body.data,
        actor=current_user, expected_version=form.version.data),
        f"Your email to {lead.contact_email} is queued; it goes out within a minute.")
    if refused:
        return keep_typed(lead, refused, email_form=form)
    return redirect(form.next_url(lead.id))
