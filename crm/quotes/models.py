"""Quotes, their lines, and the per-year counter behind their numbers."""

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, Numeric, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.core.types import StrEnum, utcnow
from crm.extensions import db

Money = Numeric(14, 2)
Kilograms = Numeric(14, 3)
MAX_MONEY = Decimal(10) ** (Money.precision - Money.scale) - Decimal(10) ** -Money.scale


class QuoteStatus(enum.Enum):
    DRAFT = "draft"
    SENT = "sent"
    VIEWED = "viewed"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    EXPIRED = "expired"
    SUPERSEDED = "superseded"

    @property
    def label(self) -> str:
        return self.value.capitalize()


INCOTERMS = ["EXW", "FCA", "FOB", "CIF", "DAP", "DDP"]
CURRENCIES = ["USD", "EUR", "GBP"]


class Quote(db.Model):
    __tablename__ = "quotes"
    __table_args__ = (
        UniqueConstraint("number", "revision"),
        # The quotes list's views, each in the order it reads; the first two hold what the
        # overview's quotes card sums (currency, total) and filters by (lead_closed), so it
        # reads no quote.
        Index("ix_quotes_status_valid_total", "status", "valid_until", "currency", "total",
              "lead_closed"),
        Index("ix_quotes_status_accepted_total", "status", "accepted_at", "currency", "total"),
        Index("ix_quotes_status_created", "status", "created_at"),
        Index("ix_quotes_status_declined", "status", "declined_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(12))  # Q-2026-0001, shared by its revisions
    revision: Mapped[int] = mapped_column(default=1)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"), index=True)
    status: Mapped[QuoteStatus] = mapped_column(StrEnum(QuoteStatus), default=QuoteStatus.DRAFT)
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    incoterm: Mapped[str] = mapped_column(String(3), default="EXW")
    incoterm_place: Mapped[str] = mapped_column(String(100), default="")
    payment_terms: Mapped[str] = mapped_column(String(200), default="30 days net")
    valid_until: Mapped[date]
    notes: Mapped[str] = mapped_column(Text, default="")  # to the customer
    total: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    # Only a hash of the customer's link is kept; the link itself is in their email.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    sent_at: Mapped[datetime | None]
    viewed_at: Mapped[datetime | None]
    accepted_at: Mapped[datetime | None]
    accepted_by_name: Mapped[str | None] = mapped_column(String(100))
    accepted_ip: Mapped[str | None] = mapped_column(String(45))
    declined_at: Mapped[datetime | None]
    decline_reason: Mapped[str | None] = mapped_column(String(500))
    superseded_by_id: Mapped[int | None] = mapped_column(ForeignKey("quotes.id"))
    # Whether the lead is lost or spam, when no one can answer the quote (a copy of the lead's
    # status, kept by crm.leads.operations, so that lists need not join the leads to leave
    # these quotes out of those awaiting an answer).
    lead_closed: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Every change writes the row and checks this: of two changes made at once (a save and
    # a send, an acceptance and a refusal), the second finds the row changed and does nothing.
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    lead = relationship("Lead", back_populates="quotes")
    lines: Mapped[list["QuoteLine"]] = relationship(
        back_populates="quote", order_by="QuoteLine.position", cascade="all, delete-orphan"
    )
    created_by = relationship("User")

    @property
    def label(self) -> str:
        return self.number if self.revision == 1 else f"{self.number} rev. {self.revision}"

    @property
    def log_label(self) -> str:
        """What the email log calls the quote (as migration 0017 does for older emails)."""
        return f"Quote {self.label}"

    def __repr__(self) -> str:
        return f"<Quote {self.label} {self.status.value}>"


class QuoteLine(db.Model):
    __tablename__ = "quote_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    quote_id: Mapped[int] = mapped_column(ForeignKey("quotes.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    ingredient_id: Mapped[int | None] = mapped_column(ForeignKey("ingredients.id"))
    requested_ingredient_id: Mapped[int | None] = mapped_column(
        ForeignKey("requested_ingredients.id", ondelete="SET NULL"))
    description: Mapped[str] = mapped_column(String(200))
    grade: Mapped[str | None] = mapped_column(String(40))
    quantity_kg: Mapped[Decimal] = mapped_column(Kilograms)
    pack_size_kg: Mapped[Decimal | None] = mapped_column(Kilograms)
    packs: Mapped[int | None]
    list_price_per_kg: Mapped[Decimal | None] = mapped_column(Money)  # from the price tier
    price_per_kg: Mapped[Decimal] = mapped_column(Money)  # what the customer pays
    override_reason: Mapped[str | None] = mapped_column(String(200))  # staff only
    discount_pct: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=Decimal("0"))
    line_total: Mapped[Decimal] = mapped_column(Money)
    # From the product plan, for the cost per serving and per unit of the customer's product.
    dose_mg: Mapped[Decimal | None] = mapped_column(Numeric(12, 3))
    servings_per_unit: Mapped[int | None]

    quote: Mapped[Quote] = relationship(back_populates="lines")
    ingredient = relationship("Ingredient")


class QuoteCounter(db.Model):
    """The last number given out in a year; advanced by one atomic UPDATE."""

    __tablename__ = "quote_counters"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last: Mapped[int] = mapped_column(default=0)
