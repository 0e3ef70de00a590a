"""Tests of the ingredient catalog; ``make_ingredient`` saves one through the operation."""

from decimal import Decimal

from crm.catalog.operations import SpecLine, TierLine, save_ingredient
from crm.extensions import db

# Values that appear nowhere else: a page or PDF containing them leaks staff-only data.
SECRET_PRICE = Decimal("4817.63")
SECRET_DOSE = Decimal("73919.25")


def make_ingredient(**overrides):
    values = {
        "name": "Taurine", "slug": "taurine", "cas_number": "107-35-7",
        "description": "A sulfonic amino acid, white crystalline powder.",
        "grades": ["USP", "Food"], "forms": ["Powder"], "pack_size_kg": Decimal("25"),
        "moq_kg": Decimal("50"), "lead_time_days": 18, "max_daily_dose_mg": SECRET_DOSE,
        "featured": True, "active": True,
        "specs": [SpecLine("Assay", "98.5–101.5 %", "HPLC"),
                  SpecLine("Loss on drying", "≤ 0.2 %", "USP <731>")],
        "tiers": [TierLine("USP", Decimal("50"), SECRET_PRICE, "USD"),
                  TierLine("Food", Decimal("0"), Decimal("1234.56"), "EUR")],
        "actor": None,
    }
    values.update(overrides)
    ingredient = save_ingredient(db.session, **values)
    db.session.commit()
    return ingredient
