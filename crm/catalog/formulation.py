"""The formulation math: kilograms from a product plan, whole packs, and the tier price.

kg needed = dose (mg) × servings per unit × units × (1 + overage) / 1,000,000, rounded up
to whole packs. Example: 500 mg × 60 × 10,000 × 1.05 = 315 kg → 13 drums of 25 kg = 325 kg.
"""

from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

MG_PER_KG = Decimal(1_000_000)
KG = Decimal("0.001")
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Quantity:
    kg_needed: Decimal
    packs: int
    pack_size_kg: Decimal
    kg_rounded: Decimal


def kg_needed(dose_mg: Decimal, servings_per_unit: int, units: int,
              overage_pct: Decimal = Decimal(0)) -> Decimal:
    """Kilograms of an ingredient for a production run, to the gram (rounded up)."""
    grams = Decimal(dose_mg) * servings_per_unit * units * (1 + Decimal(overage_pct) / 100)
    return (grams / MG_PER_KG).quantize(KG, rounding=ROUND_CEILING)


def round_to_packs(kg: Decimal, pack_size_kg: Decimal | None) -> Quantity:
    """Whole packs that hold at least ``kg``."""
    kg = Decimal(kg)
    if not pack_size_kg or pack_size_kg <= 0:
        return Quantity(kg, 0, Decimal(0), kg)
    packs = int((kg / pack_size_kg).to_integral_value(rounding=ROUND_CEILING))
    return Quantity(kg, packs, Decimal(pack_size_kg), (pack_size_kg * packs).quantize(KG))


def tier_price(tiers, *, grade: str | None, kg: Decimal, currency: str = "USD"):
    """The tier with the highest minimum that ``kg`` reaches, for that grade; None if none."""
    matching = [t for t in tiers if t.grade == grade and t.currency == currency
                and t.min_kg <= kg]
    return max(matching, key=lambda t: t.min_kg, default=None)


def money(value: Decimal) -> Decimal:
    """Round half-up to cents."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)
