"""Ingredients the supplier sells, their specifications and price tiers."""

from datetime import datetime
from decimal import Decimal

from sqlalchemy import JSON, ForeignKey, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.core.types import utcnow
from crm.extensions import db

Kilograms = Numeric(12, 3)
Money = Numeric(12, 2)


class Ingredient(db.Model):
    __tablename__ = "ingredients"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    cas_number: Mapped[str | None] = mapped_column(String(20))
    description: Mapped[str] = mapped_column(Text, default="")
    grades: Mapped[list[str]] = mapped_column(JSON, default=list)
    forms: Mapped[list[str]] = mapped_column(JSON, default=list)
    pack_size_kg: Mapped[Decimal] = mapped_column(Kilograms)
    moq_kg: Mapped[Decimal] = mapped_column(Kilograms)
    lead_time_days: Mapped[int] = mapped_column(default=14)
    # For a warning to staff only, never shown to customers.
    max_daily_dose_mg: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    featured: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Bumped by each save that changes something, spec rows and tiers included; the edit
    # form carries it, so a save made over someone else's newer one is refused.
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}

    specs: Mapped[list["SpecRow"]] = relationship(
        back_populates="ingredient", cascade="all, delete-orphan", order_by="SpecRow.position"
    )
    price_tiers: Mapped[list["PriceTier"]] = relationship(
        back_populates="ingredient",
        cascade="all, delete-orphan",
        order_by="(PriceTier.grade, PriceTier.min_kg)",
    )

    def __repr__(self) -> str:
        return f"<Ingredient {self.slug}>"


class SpecRow(db.Model):
    """One line of a specification sheet: parameter, limit, test method."""

    __tablename__ = "spec_rows"

    id: Mapped[int] = mapped_column(primary_key=True)
    ingredient_id: Mapped[int] = mapped_column(
        ForeignKey("ingredients.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(default=0)
    parameter: Mapped[str] = mapped_column(String(120))
    limit: Mapped[str] = mapped_column(String(120))
    method: Mapped[str] = mapped_column(String(120), default="")

    ingredient: Mapped[Ingredient] = relationship(back_populates="specs")


class PriceTier(db.Model):
    """Price per kg for a grade from a minimum quantity up."""

    __tablename__ = "price_tiers"
    __table_args__ = (UniqueConstraint("ingredient_id", "grade", "min_kg", "currency"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ingredient_id: Mapped[int] = mapped_column(ForeignKey("ingredients.id", ondelete="CASCADE"))
    grade: Mapped[str] = mapped_column(String(40))
    min_kg: Mapped[Decimal] = mapped_column(Kilograms)
    price_per_kg: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3), default="USD")

    ingredient: Mapped[Ingredient] = relationship(back_populates="price_tiers")


class IngredientOldSlug(db.Model):
    """An address an ingredient had before its slug changed: ``/ingredients/<slug>`` (and its
    PDF) redirect to the current one. A slug is live on one ingredient or old for one."""

    __tablename__ = "ingredient_old_slugs"

    slug: Mapped[str] = mapped_column(String(120), primary_key=True)
    ingredient_id: Mapped[int] = mapped_column(
        ForeignKey("ingredients.id", ondelete="CASCADE"), index=True
    )
    retired_at: Mapped[datetime] = mapped_column(default=utcnow)
