"""The catalog's rules: what a valid ingredient, spec row and price tier look like.

Pure checks on plain values; ``crm.catalog.operations.save_ingredient`` applies them.
"""

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal

from slugify import slugify
from sqlalchemy import select

from crm.catalog.models import Ingredient

SLUG_MAX_LENGTH = 120
SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
CAS_PATTERN = re.compile(r"^([0-9]{2,7})-([0-9]{2})-([0-9])$")  # \d would take any script's
NAME_MAX_LENGTH = 120
DESCRIPTION_MAX_LENGTH = 5000
GRADE_MAX_LENGTH = 40  # PriceTier.grade
FORM_MAX_LENGTH = 60
MAX_LIST_ITEMS = 20
SPEC_CELL_MAX_LENGTH = 120
MAX_SPEC_ROWS = 40
MAX_PRICE_TIERS = 40
MAX_KG = Decimal(1_000_000)
MAX_LEAD_TIME_DAYS = 365
MAX_DAILY_DOSE_MG = Decimal(1_000_000)
MAX_PRICE_PER_KG = Decimal(1_000_000)
CURRENCIES = ("USD", "EUR", "GBP")
KG_PLACES = 3  # Numeric(12, 3)
MONEY_PLACES = 2  # Numeric(12, 2)
_AUDITED_FIELDS = ("name", "slug", "cas_number", "description", "grades", "forms",
                   "pack_size_kg", "moq_kg", "lead_time_days", "max_daily_dose_mg", "featured",
                   "active")


@dataclass(frozen=True)
class SpecLine:
    """One spec row as typed; a line with an empty parameter is dropped."""

    parameter: str
    limit: str = ""
    method: str = ""


@dataclass(frozen=True)
class TierLine:
    """One price tier as typed; a line with no grade, minimum or price is dropped."""

    grade: str
    min_kg: Decimal | None
    price_per_kg: Decimal | None
    currency: str = "USD"

    @property
    def is_blank(self) -> bool:
        return not (self.grade or "").strip() and self.min_kg is None and self.price_per_kg is None


@dataclass(frozen=True)
class Problem:
    """What is wrong, and where: ``field`` names a form field; ``row`` a spec or tier line."""

    field: str
    message: str
    row: int | None = None
    column: str | None = None


class CatalogError(ValueError):
    """An ingredient that cannot be saved as given; the messages are for the user."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__(" ".join(problem.message for problem in problems))


class CatalogConflict(CatalogError):
    """Someone else saved the ingredient after this user opened it; nothing was changed."""

    def __init__(self, message: str):
        super().__init__([Problem("", message)])


def cas_check_digit_ok(cas: str) -> bool:
    """True when ``cas`` reads ``NN…N-NN-N`` (ASCII digits) and its last digit checks out.

    The check digit is the sum of the other digits, each times its position counted from the
    right (1, 2, 3…), modulo 10: 56-45-1 → 5×1 + 4×2 + 6×3 + 5×4 = 51 → 1.
    """
    match = CAS_PATTERN.fullmatch(cas or "")
    if match is None:
        return False
    digits = (match[1] + match[2])[::-1]
    total = sum(int(digit) * position for position, digit in enumerate(digits, start=1))
    return total % 10 == int(match[3])


def make_slug(name: str) -> str:
    """``"Pyridoxine HCl (B6)"`` → ``"pyridoxine-hcl-b6"``."""
    return slugify(name or "", max_length=SLUG_MAX_LENGTH, word_boundary=True)


def clean_list(values) -> list[str]:
    """Trimmed, non-empty items without repeats (ignoring case), in the order given."""
    seen, items = set(), []
    for value in values or ():
        item = " ".join(str(value).split())
        if item and item.casefold() not in seen:
            seen.add(item.casefold())
            items.append(item)
    return items


def _amount_problem(value, *, label: str, low: Decimal, inclusive: bool, high: Decimal,
                    places: int) -> str | None:
    if value is None:
        return f"Enter the {label}."
    value = Decimal(value)
    if not value.is_finite():
        return f"Enter the {label} as a number."
    too_low = value < low if inclusive else value <= low
    if too_low or value > high:
        floor = f"from {low:,}" if inclusive else f"above {low:,}"
        return f"Enter a {label} {floor} and up to {high:,}."
    # Not normalize(): it rounds to the context's 28 digits, and 1E-9999999 came out as 0.
    if value != value.quantize(Decimal(1).scaleb(-places)):
        return f"Use at most {places} decimal places for the {label}."
    return None


class _Checker:
    """Collects the problems of one submission, so the person sees them all at once."""

    def __init__(self):
        self.problems: list[Problem] = []

    def add(self, field: str, message: str | None, row: int | None = None,
            column: str | None = None) -> None:
        if message:
            self.problems.append(Problem(field, message, row, column))


def _checked_slug(session, check: _Checker, *, slug: str | None, name: str,
                  ingredient: Ingredient | None) -> str:
    given = (slug or "").strip()
    slug = given or make_slug(name)
    if not slug:
        check.add("slug", "No slug can be made from this name; enter one.")
        return slug
    if len(slug) > SLUG_MAX_LENGTH or not SLUG_PATTERN.fullmatch(slug):
        check.add("slug", "Use only lower-case letters a–z, digits and single hyphens "
                          f"(at most {SLUG_MAX_LENGTH} characters), e.g. l-serine.")
        return slug
    query = select(Ingredient).where(Ingredient.slug == slug)
    if ingredient is not None and ingredient.id is not None:
        query = query.where(Ingredient.id != ingredient.id)
    other = session.scalar(query)
    if other is not None:
        made = "" if given else " (made from the name)"
        check.add("slug", f"The slug “{slug}”{made} is already used by “{other.name}”. "
                          "Choose another.")
    return slug


def _checked_cas(check: _Checker, cas_number: str | None) -> str | None:
    # NFKC turns full-width digits and hyphens (pasted from CJK documents) into ASCII.
    cas = unicodedata.normalize("NFKC", cas_number or "").strip() or None
    if cas is None:
        return None
    if not CAS_PATTERN.fullmatch(cas):
        check.add("cas_number", "Write the CAS number as digits in three groups, e.g. 56-45-1.")
    elif not cas_check_digit_ok(cas):
        check.add("cas_number", f"“{cas}” is not a valid CAS number: its check digit (the "
                                "last one) does not match. Check for a typing error.")
    return cas


def _kg(value: Decimal) -> str:
    """``Decimal("25.000")`` → ``"25"``: how a person writes a weight in a message."""
    return f"{Decimal(value).normalize():f}"


def _check_packs(check: _Checker, pack_size_kg, moq_kg) -> None:
    kg = {"low": Decimal(0), "inclusive": False, "high": MAX_KG, "places": KG_PLACES}
    pack_problem = _amount_problem(pack_size_kg, label="pack size in kg", **kg)
    moq_problem = _amount_problem(moq_kg, label="minimum order in kg", **kg)
    check.add("pack_size_kg", pack_problem)
    check.add("moq_kg", moq_problem)
    if pack_problem or moq_problem:
        return
    pack, moq = Decimal(pack_size_kg), Decimal(moq_kg)
    if moq < pack:
        check.add("moq_kg", f"The minimum order must be at least one pack ({_kg(pack)} kg).")
    elif moq % pack:
        check.add("moq_kg", f"The minimum order must be a whole number of {_kg(pack)} kg "
                            f"packs, e.g. {_kg(pack * (moq // pack + 1))} kg.")


def _checked_specs(check: _Checker, specs) -> list[SpecLine]:
    kept = []
    for row, line in enumerate(specs):
        cells = {name: " ".join((getattr(line, name) or "").split())
                 for name in ("parameter", "limit", "method")}
        if not cells["parameter"]:
            continue
        for name, value in cells.items():
            if len(value) > SPEC_CELL_MAX_LENGTH:
                check.add("specs", f"Use at most {SPEC_CELL_MAX_LENGTH} characters.", row, name)
        if not cells["limit"]:
            check.add("specs", f"Give the limit for “{cells['parameter']}”.", row, "limit")
        kept.append(SpecLine(**cells))
    if len(kept) > MAX_SPEC_ROWS:
        check.add("specs", f"A spec sheet holds at most {MAX_SPEC_ROWS} rows.")
    return kept


def _checked_tiers(check: _Checker, tiers, grades: list[str]) -> list[TierLine]:
    offered = {grade.casefold(): grade for grade in grades}
    kept, seen = [], {}
    for row, line in enumerate(tiers):
        if line.is_blank:
            continue
        grade = offered.get((line.grade or "").strip().casefold())
        if not (line.grade or "").strip():
            check.add("tiers", "Choose the grade this price is for.", row, "grade")
        elif grade is None:
            check.add("tiers", f"“{line.grade.strip()}” is not one of this ingredient's grades "
                               f"({', '.join(grades) or 'none yet'}).", row, "grade")
        min_problem = _amount_problem(
            line.min_kg, label="minimum kg", low=Decimal(0), inclusive=True, high=MAX_KG,
            places=KG_PLACES)
        price_problem = _amount_problem(
            line.price_per_kg, label="price per kg", low=Decimal(0), inclusive=False,
            high=MAX_PRICE_PER_KG, places=MONEY_PLACES)
        check.add("tiers", min_problem, row, "min_kg")
        check.add("tiers", price_problem, row, "price_per_kg")
        if line.currency not in CURRENCIES:
            check.add("tiers", f"Choose one of {', '.join(CURRENCIES)}.", row, "currency")
        if grade is None or min_problem or price_problem:  # no arithmetic on a refused number
            continue
        key = (grade, Decimal(line.min_kg).normalize(), line.currency)
        if key in seen:
            check.add("tiers", f"Row {seen[key] + 1} already prices {grade} from "
                               f"{_kg(key[1])} kg in {line.currency}.", row, "min_kg")
            continue
        seen[key] = row
        kept.append(TierLine(grade, Decimal(line.min_kg),
                             Decimal(line.price_per_kg).quantize(Decimal("0.01")),
                             line.currency))
    if len(kept) > MAX_PRICE_TIERS:
        check.add("tiers", f"An ingredient holds at most {MAX_PRICE_TIERS} price tiers.")
    _check_tier_order(check, kept, seen)
    return kept


def _check_tier_order(check: _Checker, tiers: list[TierLine], rows: dict) -> None:
    """Within a grade and currency, a tier from a larger quantity costs no more per kg:
    otherwise an order just past a threshold costs more in all than one just below it."""
    ladders: dict[tuple, list[TierLine]] = {}
    for tier in tiers:
        ladders.setdefault((tier.grade, tier.currency), []).append(tier)
    for ladder in ladders.values():
        ladder.sort(key=lambda tier: tier.min_kg)
        for smaller, larger in zip(ladder, ladder[1:], strict=False):
            if larger.price_per_kg > smaller.price_per_kg:
                row = rows[(larger.grade, larger.min_kg.normalize(), larger.currency)]
                check.add("tiers", f"{larger.grade} from {_kg(larger.min_kg)} kg would cost "
                                   f"more per kg ({larger.price_per_kg} {larger.currency}) than "
                                   f"from {_kg(smaller.min_kg)} kg ({smaller.price_per_kg} "
                                   f"{smaller.currency}): a larger order cannot cost more per "
                                   "kg.", row, "price_per_kg")
