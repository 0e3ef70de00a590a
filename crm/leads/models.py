"""Who asked (Company, Contact), what they sent (Inquiry, RequestedIngredient), and the Lead."""

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, ForeignKey, Index, Numeric, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.core.privacy import is_erased_address
from crm.core.types import StrEnum, utcnow
from crm.extensions import db


class LeadStatus(enum.Enum):
    NEW = "new"
    CONTACTED = "contacted"
    QUALIFIED = "qualified"
    QUOTED = "quoted"
    WON = "won"
    LOST = "lost"
    SPAM = "spam"

    @property
    def label(self) -> str:
        return self.value.capitalize()

    @property
    def is_open(self) -> bool:
        return self in OPEN_STATUSES


OPEN_STATUSES = (LeadStatus.NEW, LeadStatus.CONTACTED, LeadStatus.QUALIFIED, LeadStatus.QUOTED)
# No quote is drafted, sent or answered for these leads until sales reopen them.
LEAD_CLOSED_TO_ANSWERS = (LeadStatus.LOST, LeadStatus.SPAM)


class Company(db.Model):
    __tablename__ = "companies"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    # The name lower-cased, so matching by name is an index lookup, not a scan.
    name_key: Mapped[str] = mapped_column(String(200), index=True, default="")
    # The company's own email domain; None when its people write from free-mail addresses.
    domain: Mapped[str | None] = mapped_column(String(253), unique=True)
    country: Mapped[str | None] = mapped_column(String(2))
    company_type: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Contact(db.Model):
    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)  # stored lower-case
    name: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(40))
    job_title: Mapped[str | None] = mapped_column(String(100))
    country: Mapped[str | None] = mapped_column(String(2))
    company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    company: Mapped[Company | None] = relationship()

    @property
    def erased(self) -> bool:
        """Whether their personal data was erased at their request (``crm.leads.erasure``)."""
        return is_erased_address(self.email)


def _where(condition: str) -> dict:
    """A partial index's condition, on both databases."""
    return {"sqlite_where": text(condition), "postgresql_where": text(condition)}


UNMERGED = _where("merged_into_id IS NULL")


class Lead(db.Model):
    """A sales opportunity. List columns are copied here so the list needs no joins."""

    __tablename__ = "leads"
    __table_args__ = (
        Index("ix_leads_owner_status", "owner_id", "status", "created_at"),
        Index("ix_leads_country_created", "country", "created_at"),
        Index("ix_leads_next_action", "next_action_on"),
        # Every list leaves merged leads out: these partial indexes hold the rest only, so
        # the overview counts per status and per week from the index alone, and a list of
        # some statuses reads each status's newest leads from it.
        Index("ix_leads_live_created", "created_at", **UNMERGED),
        Index("ix_leads_live_status", "status", "created_at", **UNMERGED),
        # The overview's counts per status and sums of the open leads' values per currency.
        Index("ix_leads_live_value", "status", "estimated_currency", "estimated_value",
              **UNMERGED),
        # The list's other orders, walked until the page is full instead of sorting every
        # lead (planners with statistics choose them: ANALYZE; PostgreSQL's autovacuum).
        Index("ix_leads_live_score", "score", **UNMERGED),
        Index("ix_leads_live_kg", "total_kg", **UNMERGED),
        Index("ix_leads_live_company", "company_key", **UNMERGED),
        # The unassigned queue, newest first, however few leads wait in it.
        Index("ix_leads_unassigned", "created_at",
              **_where("owner_id IS NULL AND merged_into_id IS NULL")),
        # The leads merged into one (a lead's page shows their emails): merged leads only.
        Index("ix_leads_merged_into", "merged_into_id", **_where("merged_into_id IS NOT NULL")),
        # The overview's first-response breaches, newest first: unanswered leads only.
        Index("ix_leads_unanswered", "created_at", **_where("first_responded_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(12), unique=True)  # its first inquiry's
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"), index=True)
    company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id"), index=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    status: Mapped[LeadStatus] = mapped_column(StrEnum(LeadStatus), default=LeadStatus.NEW)
    lost_reason: Mapped[str | None] = mapped_column(String(300))
    score: Mapped[int] = mapped_column(default=0)
    score_reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    # What the deal may be worth: set by sales, or the total of the last quote sent.
    estimated_value: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    estimated_currency: Mapped[str | None] = mapped_column(String(3))
    next_action_on: Mapped[date | None]
    next_action_note: Mapped[str | None] = mapped_column(String(200))
    first_response_due_at: Mapped[datetime | None]
    first_responded_at: Mapped[datetime | None]
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("leads.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    version: Mapped[int] = mapped_column(default=1)
    # Copies for the list and its search (kept current by the operations).
    company_name: Mapped[str] = mapped_column(String(200), default="")
    # company_name in lower case (Python's, which folds every script): the order by company.
    company_key: Mapped[str] = mapped_column(String(200), default="", server_default="")
    contact_name: Mapped[str] = mapped_column(String(100), default="")
    contact_email: Mapped[str] = mapped_column(String(254), default="")
    country: Mapped[str | None] = mapped_column(String(2))
    ingredients_summary: Mapped[str] = mapped_column(String(500), default="")
    total_kg: Mapped[Decimal] = mapped_column(Numeric(14, 3), default=Decimal("0"))
    search_text: Mapped[str] = mapped_column(Text, default="")

    __mapper_args__ = {"version_id_col": version}

    contact: Mapped[Contact] = relationship()
    company: Mapped[Company | None] = relationship()
    owner = relationship("User", foreign_keys=[owner_id])
    updated_by = relationship("User", foreign_keys=[updated_by_id])
    inquiries: Mapped[list["Inquiry"]] = relationship(
        back_populates="lead", order_by="Inquiry.created_at.desc()"
    )
    # Quotes live in a higher feature; named by string so leads never imports it.
    quotes = relationship("Quote", back_populates="lead", order_by="Quote.id.desc()")

    @property
    def log_label(self) -> str:
        """What the email log calls the lead."""
        return self.reference

    def __repr__(self) -> str:
        return f"<Lead {self.reference} {self.status.value}>"


class Inquiry(db.Model):
    """A quote request exactly as it was sent; never edited afterwards."""

    __tablename__ = "inquiries"
    # The overview's "where requests come from": a stretch of dates, grouped by page.
    __table_args__ = (Index("ix_inquiries_sources", "created_at", "spam_score", "source_page"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(12), unique=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"), index=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"), index=True)
    submitted: Mapped[dict] = mapped_column(JSON)  # every field as sent
    company_type: Mapped[str | None] = mapped_column(String(40))
    formulation_type: Mapped[str | None] = mapped_column(String(40))
    dose_mg: Mapped[Decimal | None] = mapped_column(Numeric(12, 3))
    servings_per_unit: Mapped[int | None]
    units: Mapped[int | None]
    overage_pct: Mapped[Decimal | None] = mapped_column(Numeric(6, 2))
    target_market: Mapped[str | None] = mapped_column(String(100))
    project_stage: Mapped[str | None] = mapped_column(String(40))
    target_launch: Mapped[date | None]
    documents: Mapped[list[str]] = mapped_column(JSON, default=list)
    sample_wanted: Mapped[bool] = mapped_column(default=False)
    message: Mapped[str] = mapped_column(Text, default="")
    source_page: Mapped[str | None] = mapped_column(String(500))
    utm: Mapped[dict] = mapped_column(JSON, default=dict)
    consent_at: Mapped[datetime]
    ip: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str | None] = mapped_column(String(300))
    spam_score: Mapped[int] = mapped_column(default=0)
    spam_reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    submission_key: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    lead: Mapped[Lead] = relationship(back_populates="inquiries")
    contact: Mapped[Contact] = relationship()
    lines: Mapped[list["RequestedIngredient"]] = relationship(
        back_populates="inquiry", order_by="RequestedIngredient.position",
        cascade="all, delete-orphan",
    )


class RequestedIngredient(db.Model):
    """One ingredient line of an inquiry, with the kilogram math done at intake."""

    __tablename__ = "requested_ingredients"

    id: Mapped[int] = mapped_column(primary_key=True)
    inquiry_id: Mapped[int] = mapped_column(ForeignKey("inquiries.id", ondelete="CASCADE"),
                                            index=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    ingredient_id: Mapped[int | None] = mapped_column(ForeignKey("ingredients.id"), index=True)
    free_text: Mapped[str | None] = mapped_column(String(200))
    grade: Mapped[str | None] = mapped_column(String(40))
    form: Mapped[str | None] = mapped_column(String(60))
    quantity_kg_given: Mapped[Decimal | None] = mapped_column(Numeric(14, 3))
    formulation_type: Mapped[str | None] = mapped_column(String(40))
    dose_mg: Mapped[Decimal | None] = mapped_column(Numeric(12, 3))
    servings_per_unit: Mapped[int | None]
    units: Mapped[int | None]
    overage_pct: Mapped[Decimal | None] = mapped_column(Numeric(6, 2))
    kg_needed: Mapped[Decimal | None] = mapped_column(Numeric(14, 3))
    pack_size_kg: Mapped[Decimal | None] = mapped_column(Numeric(12, 3))
    packs: Mapped[int | None]
    kg_rounded: Mapped[Decimal | None] = mapped_column(Numeric(14, 3))
    warnings: Mapped[list[str]] = mapped_column(JSON, default=list)  # staff only

    inquiry: Mapped[Inquiry] = relationship(back_populates="lines")
    lead: Mapped[Lead] = relationship()
    ingredient = relationship("Ingredient")

    @property
    def display_name(self) -> str:
        return self.ingredient.name if self.ingredient is not None else (self.free_text or "?")


class ActivityKind(enum.Enum):
    CREATED = "created"
    INQUIRY = "inquiry"
    STATUS = "status"
    ASSIGNED = "assigned"
    NOTE = "note"
    NEXT_ACTION = "next_action"
    EMAIL = "email"
    MERGED = "merged"
    QUOTE = "quote"
    CONTACT = "contact"  # the contact's or company's details corrected
    VALUE = "value"  # the estimated value set, changed or cleared
    CALL = "call"  # a phone call with the contact, as staff logged it
    MEETING = "meeting"


NOTE_KINDS = (ActivityKind.NOTE, ActivityKind.CALL, ActivityKind.MEETING)  # the note box's


class Activity(db.Model):
    """One entry of a lead's timeline."""

    __tablename__ = "activities"
    __table_args__ = (Index("ix_activities_lead_created", "lead_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"))
    kind: Mapped[ActivityKind] = mapped_column(StrEnum(ActivityKind))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text, default="")
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    lead: Mapped[Lead] = relationship()
    actor = relationship("User")


class AssignmentCursor(db.Model):
    """Round-robin position of one pool of salespeople (``all``, or a country's territory
    owners: each pool takes its own turns). Advanced with one atomic UPDATE, so concurrent
    intakes each take the next turn (the row lock serialises them on PostgreSQL, the single
    writer on SQLite)."""

    __tablename__ = "assignment_cursor"

    id: Mapped[int] = mapped_column(primary_key=True)
    pool: Mapped[str] = mapped_column(String(40), unique=True, default="all")
    turn: Mapped[int] = mapped_column(default=0)
