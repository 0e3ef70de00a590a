"""A quote request as plain values: what the form hands to the intake operation."""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

FORMULATION_TYPES = ["capsule", "tablet", "powder", "liposomal", "time-release", "gummy",
                     "liquid", "other"]
COMPANY_TYPES = ["brand owner", "contract manufacturer", "distributor", "other"]
PROJECT_STAGES = ["exploring", "sampling", "qualifying", "ready to order"]
DOCUMENTS = {
    "coa": "Certificate of analysis (CoA)",
    "spec": "Specification sheet",
    "sds": "Safety data sheet (SDS)",
    "allergen": "Allergen statement",
    "non_gmo": "Non-GMO statement",
    "halal": "Halal certificate",
    "kosher": "Kosher certificate",
}


class IntakeRejected(ValueError):
    """The request cannot be taken; the message is for the person who sent it."""


@dataclass
class LineRequest:
    """One ingredient line: a catalog slug, or ``free_text`` for "other"."""

    ingredient_slug: str | None = None
    free_text: str | None = None
    grade: str | None = None
    form: str | None = None
    quantity_kg: Decimal | None = None  # given by the customer...
    compute: bool = False  # ...or computed from the product plan
    dose_mg: Decimal | None = None  # this line's dose per serving, when not the plan's


@dataclass
class QuoteRequest:
    company: str
    name: str
    email: str
    country: str
    consent: bool
    phone: str | None = None
    company_type: str | None = None
    job_title: str | None = None
    formulation_type: str | None = None
    dose_mg: Decimal | None = None
    servings_per_unit: int | None = None
    units: int | None = None
    overage_pct: Decimal | None = None
    target_market: str | None = None
    project_stage: str | None = None
    target_launch: date | None = None
    lines: list[LineRequest] = field(default_factory=list)
    documents: list[str] = field(default_factory=list)
    sample_wanted: bool = False
    message: str = ""
    source_page: str | None = None
    utm: dict = field(default_factory=dict)
    submitted: dict = field(default_factory=dict)  # every field exactly as sent
