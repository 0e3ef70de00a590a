"""Forms of the lead page. Each carries the lead's ``version`` as the page loaded it."""

from flask import url_for
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    HiddenField,
    IntegerField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
    Optional,
    Regexp,
    ValidationError,
)
from wtforms.widgets import HiddenInput

from crm.auth.forms import COUNTRY_CHOICES
from crm.auth.operations import team_today
from crm.core.forms import Amount, DecimalField, Form, SelectField, fixed_select_field
from crm.core.urls import is_safe_next
from crm.extensions import db
from crm.intake.requests import COMPANY_TYPES
from crm.leads.estimate import MAX_VALUE
from crm.leads.models import ActivityKind, LeadStatus
from crm.leads.timeline import find_lead
from crm.quotes.models import CURRENCIES

STALE_FORM = "This form is out of date. Reload the page and try again."


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _at_most(limit: int) -> Length:
    return Length(max=limit, message=f"Use at most {limit:,} characters.")


class LeadActionForm(Form):
    """The base of every form posted from the lead page."""

    version = IntegerField(widget=HiddenInput(), validators=[InputRequired(STALE_FORM)])
    next = HiddenField()

    def next_url(self, lead_id: int) -> str:
        """Where to go after the action: ``next`` when it is a path on this site, else the
        lead page (a board or list may post here too)."""
        target = self.next.data
        return target if is_safe_next(target) else url_for("leads.show", lead_id=lead_id)


class NoteForm(LeadActionForm):
    """A note, or a call or meeting with the contact: what was said, for the timeline."""

    kind = SelectField("Log", id="note-kind", default=ActivityKind.NOTE.value, choices=[
        SelectChoice(ActivityKind.NOTE.value, "A note"),
        SelectChoice(ActivityKind.CALL.value, "A call with the contact"),
        SelectChoice(ActivityKind.MEETING.value, "A meeting with the contact")])
    body = TextAreaField("Note", id="note-body", filters=[_strip],
                         validators=[DataRequired("Write the note first."), _at_most(5000)],
                         description="Staff only: never sent to the customer.")


class StatusForm(LeadActionForm):
    status = SelectField("New status", validators=[InputRequired("Choose a status.")],
                         choices=[SelectChoice(s.value, s.label) for s in LeadStatus])
    lost_reason = StringField("Why was it lost?", id="lost-reason", filters=[_strip],
                              validators=[_at_most(300)])

    def validate_lost_reason(self, field):
        if self.status.data == LeadStatus.LOST.value and not field.data:
            raise ValidationError("Say why the lead was lost.")


class NextActionForm(LeadActionForm):
    on = DateField("Next action on", id="next-action-on",
                   validators=[Optional()], description="Leave empty to clear it.")
    note = StringField("What to do", id="next-action-note", filters=[_strip],
                       validators=[_at_most(200)])


class ValueForm(LeadActionForm):
    estimated_value = DecimalField(
        "Estimated value", id="estimated-value", places=None,
        invalid_value_message="Enter an amount, e.g. 25000 or 1250.50.",
        validators=[Optional(), Amount(at_least=0, at_most=MAX_VALUE, places=2,
                                       message=f"Enter an amount from 0 up to {MAX_VALUE:,}.")],
        description="What the deal may be worth; empty clears it. Each quote sent sets it to "
                    "its total.")
    currency = fixed_select_field("Currency", [SelectChoice(c, c) for c in CURRENCIES],
                                  id="estimated-currency")


class ReassignForm(LeadActionForm):
    """``owner`` 0 means nobody: the lead goes back to the unassigned queue."""

    owner = SelectField("Owner", id="lead-owner", coerce=int,
                        validators=[InputRequired("Choose an owner.")])

    def __init__(self, *args, owners=(), current_owner=None, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [SelectChoice(0, "Unassigned")]
        today = team_today()
        choices += [SelectChoice(user.id, user.owner_label(today)) for user in owners]
        if current_owner is not None and current_owner not in owners:
            # An owner who is no longer an active sales user: shown, but not offered.
            choices.append(SelectChoice(current_owner.id, f"{current_owner.name} (current owner)",
                                        render_kw={"disabled": True}))
        self.owner.choices = choices


class MergeForm(LeadActionForm):
    """Another lead's reference, to fold that lead into the one on the page."""

    reference = StringField(
        "Reference of the other lead", id="merge-reference", filters=[_strip],
        validators=[DataRequired("Give the other lead's reference."),
                    Regexp(r"(?i)^INQ-[0-9A-Z]{6}$", message="A reference looks like INQ-7Q4K2M.")],
        description="Its inquiries, ingredients and timeline move here; it is then hidden.")

    source = None  # the lead found by ``validate_reference``

    def validate_reference(self, field):
        if field.errors:
            return
        self.source = find_lead(db.session, field.data)
        if self.source is None:
            raise ValidationError(f"No lead has the reference {field.data.upper()}.")


class EmailContactForm(LeadActionForm):
    subject = StringField("Subject", id="email-subject", filters=[_strip],
                          validators=[DataRequired("Write a subject."), _at_most(200)])
    body = TextAreaField("Message", id="email-body", filters=[_strip],
                         validators=[DataRequired("Write the message."), _at_most(10_000)],
                         description="Sent from the CRM with the lead's reference in the subject.")


class ContactDetailsForm(LeadActionForm):
    """Who asked, as staff correct it: the contact and their company."""

    name = StringField("Name", id="contact-name", filters=[_strip],
                       validators=[DataRequired("Enter the contact's name."), _at_most(100)])
    email = EmailField("Email", id="contact-email", filters=[_strip], validators=[
        DataRequired("Enter the contact's email address."), _at_most(254),
        Email("Enter a valid email address, e.g. ana@company.com.")])
    phone = StringField("Phone", id="contact-phone", filters=[_strip], validators=[_at_most(40)])
    job_title = StringField("Job title", id="contact-job-title", filters=[_strip],
                            validators=[_at_most(100)])
    country = fixed_select_field("Country", [SelectChoice("", "Not known"), *COUNTRY_CHOICES],
                                 id="contact-country", validators=[Optional()])
    company_name = StringField("Company", id="company-name", filters=[_strip], validators=[
        DataRequired("Enter the company's name."), _at_most(200)])
    company_type = SelectField(
        "Company type", id="company-type", validators=[Optional()],
        choices=[SelectChoice("", "Not known")] + [SelectChoice(kind, kind.capitalize())
                                                    for kind in COMPANY_TYPES])

    move_company = BooleanField(
        "Move the contact instead", id="move-company",
        description="To the company of this name (found, or made), with all their leads; "
                    "their colleagues stay.")

    @classmethod
    def for_lead(cls, lead) -> "ContactDetailsForm":
        """The form filled in with the contact and company as they are, unbound."""
        contact, company = lead.contact, lead.company
        return cls(formdata=None, version=lead.version, name=contact.name, email=contact.email,
                   phone=contact.phone or "", job_title=contact.job_title or "",
                   country=contact.country or "", company_name=company.name if company else "",
                   company_type=(company.company_type or "") if company else "")

    def details(self) -> dict:
        """The fields as ``contacts.update_contact`` takes them."""
        return {**{name: getattr(self, name).data or "" for name in (
            "name", "email", "phone", "job_title", "country", "company_name", "company_type")},
            "move_company": self.move_company.data}


class EraseContactForm(LeadActionForm):
    """The contact's email address typed again: erasing their personal data has no undo."""

    confirm_email = StringField(
        "Their email address, to confirm", id="erase-confirm", filters=[_strip],
        validators=[DataRequired("Type the contact's email address to confirm.")])
