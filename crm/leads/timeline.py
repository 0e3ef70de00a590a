"""The read side of the lead page: the lead, its merged timeline and its requested lines.

Everything is loaded with a fixed number of queries (the lead with its people; activities
with their actors; inquiries with their lines and ingredients; the lead's emails; its
quotes), so the page costs the same for one inquiry as for fifty.
"""

from dataclasses import dataclass, field
from datetime import date, datetime

import pycountry
from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload, load_only

from crm.auth.models import Role, User
from crm.core.templating import format_number as number
from crm.core.types import utcnow
from crm.leads.models import (
    Activity,
    ActivityKind,
    Inquiry,
    Lead,
    RequestedIngredient,
)
from crm.notifications.models import OutboxEmail

# Short names of the documents a customer can ask for (the intake form's keys).
RELATED_SHOWN = 10  # other leads of the contact and company, on the lead page
DOCUMENT_LABELS = {
    "coa": "CoA", "spec": "Spec sheet", "sds": "SDS", "allergen": "Allergen statement",
    "non_gmo": "Non-GMO statement", "halal": "Halal certificate", "kosher": "Kosher certificate",
}
# Activities that only repeat an inquiry shown in full on the timeline.
_INQUIRY_KINDS = (ActivityKind.CREATED, ActivityKind.INQUIRY)


@dataclass(frozen=True)
class TimelineEntry:
    """One row of the timeline: an activity, an inquiry as sent, or an email of the outbox.

    An email written from the lead page carries the activity that recorded it (who wrote
    it and the message), so it appears once.
    """

    kind: str  # "activity", "inquiry" or "email"
    at: datetime
    activity: Activity | None = None
    inquiry: Inquiry | None = None
    email: OutboxEmail | None = None

    @property
    def sort_key(self) -> tuple:
        item = self.activity or self.inquiry or self.email
        return (self.at, self.kind, item.id)


@dataclass
class LeadPage:
    lead: Lead
    timeline: list[TimelineEntry]
    inquiries: list[Inquiry]  # newest first, with their lines
    merged_into: Lead | None = None
    quotes: list = field(default_factory=list)  # newest first (Quote: a higher feature)
    related: list = field(default_factory=list)  # the contact's and company's other leads
    related_total: int = 0
    lines: list[RequestedIngredient] = field(init=False)

    def __post_init__(self):
        self.lines = [line for inquiry in self.inquiries for line in inquiry.lines]

    @property
    def warning_count(self) -> int:
        return sum(len(line.warnings or []) for line in self.lines)


def load_lead(session, lead_id: int) -> Lead | None:
    """The lead with its contact, company, owner and last editor, in one query."""
    return session.scalar(
        select(Lead).where(Lead.id == lead_id).options(
            joinedload(Lead.contact), joinedload(Lead.company), joinedload(Lead.owner),
            joinedload(Lead.updated_by))
    )


def lead_page(session, lead: Lead) -> LeadPage:
    """Everything the lead page shows besides the lead itself."""
    activities = session.scalars(
        select(Activity).where(Activity.lead_id == lead.id)
        .options(joinedload(Activity.actor))
    ).all()
    inquiries = session.scalars(
        select(Inquiry).where(Inquiry.lead_id == lead.id)
        .options(joinedload(Inquiry.lines).joinedload(RequestedIngredient.ingredient))
        .order_by(Inquiry.created_at.desc(), Inquiry.id.desc())
    ).unique().all()
    emails = session.scalars(
        select(OutboxEmail).where(OutboxEmail.related_type == "leads",
                                  OutboxEmail.related_id.in_(_lead_and_merged_ids(lead.id)))
        .options(load_only(OutboxEmail.created_at, OutboxEmail.idempotency_key,
                           OutboxEmail.template, OutboxEmail.recipient, OutboxEmail.subject,
                           OutboxEmail.status, OutboxEmail.sent_at, OutboxEmail.related_id))
    ).all()
    merged_into = (session.get(Lead, lead.merged_into_id) if lead.merged_into_id else None)
    related = related_leads(session, lead)
    return LeadPage(lead=lead, timeline=build_timeline(activities, inquiries, emails),
                    inquiries=list(inquiries), merged_into=merged_into,
                    quotes=list(lead.quotes),  # one query, through the relationship
                    related=related, related_total=related[0].total if related else 0)


def related_leads(session, lead: Lead) -> list:
    """The other leads of the lead's contact and of its company (not those merged away),
    newest first: the first ``RELATED_SHOWN``, each row with ``total``, how many in all."""
    same = Lead.contact_id == lead.contact_id
    if lead.company_id is not None:
        same = or_(same, Lead.company_id == lead.company_id)
    return session.execute(
        select(Lead.id, Lead.reference, Lead.status, Lead.created_at, Lead.contact_name,
               Lead.contact_id, Lead.total_kg, func.count().over().label("total"))
        .where(same, Lead.id != lead.id, Lead.merged_into_id.is_(None))
        .order_by(Lead.created_at.desc(), Lead.id.desc()).limit(RELATED_SHOWN)).all()


def _lead_and_merged_ids(lead_id: int):
    """This lead's id and those of every lead merged into it, however deep: merging moves
    inquiries and activities but leaves the emails related to the lead they were sent for."""
    tree = select(Lead.id).where(Lead.id == lead_id).cte("merged_leads", recursive=True)
    tree = tree.union_all(select(Lead.id).where(Lead.merged_into_id == tree.c.id))
    return select(tree.c.id)


def build_timeline(activities, inquiries, emails) -> list[TimelineEntry]:
    """One list, newest first."""
    shown_inquiries = {inquiry.reference for inquiry in inquiries}
    email_activities = {}
    entries = [TimelineEntry("inquiry", inquiry.created_at, inquiry=inquiry)
               for inquiry in inquiries]
    for activity in activities:
        if activity.kind in _INQUIRY_KINDS and \
                (activity.detail or {}).get("inquiry") in shown_inquiries:
            continue
        if activity.kind is ActivityKind.EMAIL:
            email_activities[f"lead-message:{activity.id}"] = activity
            continue
        entries.append(TimelineEntry("activity", activity.created_at, activity=activity))
    for email in emails:
        entries.append(TimelineEntry("email", email.created_at, email=email,
                                     activity=email_activities.pop(email.idempotency_key,
                                                                   None)))
    # An email activity whose outbox row is gone (or was never queued) is still history.
    entries += [TimelineEntry("activity", a.created_at, activity=a)
                for a in email_activities.values()]
    return sorted(entries, key=lambda entry: entry.sort_key, reverse=True)


def sales_users(session) -> list[User]:
    """Who may own a lead: active sales users, by name."""
    return session.scalars(select(User).where(User.active.is_(True), User.role == Role.SALES)
                           .order_by(User.name, User.id)).all()


def find_lead(session, reference: str) -> Lead | None:
    """The lead with this reference, or the lead that an inquiry with this reference fed."""
    reference = reference.strip().upper()
    return session.scalar(
        select(Lead).where(or_(
            Lead.reference == reference,
            Lead.id.in_(select(Inquiry.lead_id).where(Inquiry.reference == reference)),
        )).limit(1)
    )


# --- what the page says --------------------------------------------------------------------

def kg(value) -> str:
    return f"{number(value)} kg"


def kg_math(line: RequestedIngredient) -> str:
    """The kilogram figure of one line, spelled out:
    ``500 mg × 60 × 10,000 × (1 + 5 %) = 315 kg → 13 × 25 kg = 325 kg`` or
    ``given: 60 kg → 3 × 25 kg = 75 kg``."""
    packs = (f" → {line.packs} × {kg(line.pack_size_kg)} = {kg(line.kg_rounded)}"
             if line.packs and line.pack_size_kg else "")
    if line.quantity_kg_given is not None:
        return f"given: {kg(line.quantity_kg_given)}{packs}"
    if line.kg_needed is None:
        return "No quantity given"
    if not (line.dose_mg and line.servings_per_unit and line.units):
        return f"{kg(line.kg_needed)}{packs}"
    factors = [f"{number(line.dose_mg)} mg", number(line.servings_per_unit), number(line.units)]
    if line.overage_pct:
        factors.append(f"(1 + {number(line.overage_pct)} %)")
    return " × ".join(factors) + f" = {kg(line.kg_needed)}{packs}"


def product_plan(inquiry: Inquiry) -> str:
    """``Capsule · 500 mg per serving · 60 servings per unit · 10,000 units · 5 % overage``."""
    parts = []
    if inquiry.formulation_type:
        parts.append(inquiry.formulation_type.capitalize())
    if inquiry.dose_mg:
        parts.append(f"{number(inquiry.dose_mg)} mg per serving")
    if inquiry.servings_per_unit:
        parts.append(f"{number(inquiry.servings_per_unit)} servings per unit")
    if inquiry.units:
        parts.append(f"{number(inquiry.units)} units")
    if inquiry.overage_pct:
        parts.append(f"{number(inquiry.overage_pct)} % overage")
    return " · ".join(parts)


def documents_wanted(inquiry: Inquiry) -> list[str]:
    return [DOCUMENT_LABELS.get(key, key) for key in inquiry.documents or []]


def first_response(lead: Lead, now: datetime | None = None) -> str:
    """``"answered"``, ``"answered late"``, ``"overdue"``, ``"due"`` or ``"none"``."""
    due = lead.first_response_due_at
    if lead.first_responded_at is not None:
        return "answered late" if due and lead.first_responded_at > due else "answered"
    if due is None:
        return "none"
    return "overdue" if (now or utcnow()) > due else "due"


def next_action_overdue(lead: Lead, today: date | None = None) -> bool:
    return lead.next_action_on is not None and lead.next_action_on < (today or utcnow().date())


def country_name(code: str | None) -> str:
    """``"US"`` → ``"United States (US)"``; the code alone when unknown."""
    if not code:
        return ""
    country = pycountry.countries.get(alpha_2=code)
    return f"{country.name} ({code})" if country else code
