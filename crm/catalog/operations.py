"""Everything that writes an ingredient: its facts, its spec rows and its price tiers.

``save_ingredient`` checks the whole submission first and changes nothing unless all of it is
valid, so a refused save leaves the ingredient (and the session) as it was.
"""

from decimal import Decimal

from sqlalchemy import delete

from crm.audit.operations import changed_since_message, record_event
from crm.catalog.models import Ingredient, IngredientOldSlug, PriceTier, SpecRow
from crm.catalog.rules import (  # noqa: F401  (CatalogError, SpecLine, TierLine: the API)
    _AUDITED_FIELDS,
    DESCRIPTION_MAX_LENGTH,
    FORM_MAX_LENGTH,
    GRADE_MAX_LENGTH,
    MAX_DAILY_DOSE_MG,
    MAX_LEAD_TIME_DAYS,
    MAX_LIST_ITEMS,
    NAME_MAX_LENGTH,
    CatalogConflict,
    CatalogError,
    SpecLine,
    TierLine,
    _amount_problem,
    _check_packs,
    _checked_cas,
    _checked_slug,
    _checked_specs,
    _checked_tiers,
    _Checker,
    clean_list,
)
from crm.core.types import utcnow


def _apply_specs(ingredient: Ingredient, specs: list[SpecLine]) -> bool:
    """Rewrite the spec rows in place (reusing rows keeps their ids); True if any changed."""
    before = [(s.parameter, s.limit, s.method) for s in ingredient.specs]
    rows = list(ingredient.specs[: len(specs)])
    rows += [SpecRow() for _ in range(len(specs) - len(rows))]
    for position, (row, line) in enumerate(zip(rows, specs, strict=True)):
        row.position, row.parameter, row.limit, row.method = (
            position, line.parameter, line.limit, line.method)
    ingredient.specs = rows
    return before != [(s.parameter, s.limit, s.method) for s in specs]


def _tier_key(grade: str, min_kg: Decimal, currency: str) -> tuple:
    return grade, Decimal(min_kg).normalize(), currency


def _apply_tiers(ingredient: Ingredient, tiers: list[TierLine]) -> bool:
    """Replace the price tiers, updating those whose (grade, min kg, currency) stays.

    A kept key must be updated, not deleted and inserted: the unit of work inserts before it
    deletes, and the unique constraint would see the old and the new row at once.
    """
    existing = {_tier_key(t.grade, t.min_kg, t.currency): t for t in ingredient.price_tiers}
    before = {key: tier.price_per_kg for key, tier in existing.items()}
    kept = []
    for line in tiers:
        key = _tier_key(line.grade, line.min_kg, line.currency)
        tier = existing.get(key) or PriceTier(grade=line.grade, min_kg=line.min_kg,
                                              currency=line.currency)
        tier.price_per_kg = line.price_per_kg
        kept.append(tier)
    ingredient.price_tiers = kept
    after = {_tier_key(line.grade, line.min_kg, line.currency): line.price_per_kg
             for line in tiers}
    return before != after


def _retire_slug(session, ingredient: Ingredient | None, new_slug: str) -> None:
    """Keep the slug ``ingredient`` gives up as an old address that redirects to it (spec
    sheets already sent print it). A slug taken live is no longer anyone's old address."""
    session.execute(delete(IngredientOldSlug).where(IngredientOldSlug.slug == new_slug))
    if ingredient is not None and ingredient.id is not None and ingredient.slug:
        session.merge(IngredientOldSlug(slug=ingredient.slug, ingredient_id=ingredient.id,
                                        retired_at=utcnow()))


def save_ingredient(
    session, *, ingredient: Ingredient | None = None, name: str, slug: str | None,
    cas_number: str | None, description: str, grades: list[str], forms: list[str],
    pack_size_kg: Decimal | None, moq_kg: Decimal | None, lead_time_days: int | None,
    max_daily_dose_mg: Decimal | None, featured: bool, active: bool,
    specs: list[SpecLine], tiers: list[TierLine], actor, expected_version: int | None = None,
) -> Ingredient:
    """Create (``ingredient=None``) or update an ingredient with its spec rows and price tiers.

    An empty slug is made from the name. Raises CatalogError, listing every problem, and
    changes nothing when any value breaks a rule: CAS check digit, MOQ a whole number of packs
    of at least one, tier grades among the ingredient's grades, one price per (grade, min kg,
    currency). Records an ``ingredient.created`` or ``ingredient.updated`` audit event.
    Raises CatalogConflict when ``expected_version`` (the version the form was opened at) is
    not the ingredient's any more: someone else saved it since.
    """
    if (ingredient is not None and expected_version is not None
            and ingredient.version != expected_version):
        raise CatalogConflict(changed_since_message(session, ingredient, "ingredient"))
    check = _Checker()
    name = " ".join((name or "").split())
    if not name or len(name) > NAME_MAX_LENGTH:
        check.add("name", f"Enter a name of at most {NAME_MAX_LENGTH} characters.")
    slug = _checked_slug(session, check, slug=slug, name=name, ingredient=ingredient)
    cas_number = _checked_cas(check, cas_number)
    description = (description or "").strip()
    if len(description) > DESCRIPTION_MAX_LENGTH:
        check.add("description", f"Use at most {DESCRIPTION_MAX_LENGTH:,} characters.")
    grades, forms = clean_list(grades), clean_list(forms)
    for field, items, limit in (("grades", grades, GRADE_MAX_LENGTH),
                                ("forms", forms, FORM_MAX_LENGTH)):
        if len(items) > MAX_LIST_ITEMS:
            check.add(field, f"List at most {MAX_LIST_ITEMS}.")
        if any(len(item) > limit for item in items):
            check.add(field, f"Keep each one to at most {limit} characters.")
    _check_packs(check, pack_size_kg, moq_kg)
    if lead_time_days is None or not 0 <= lead_time_days <= MAX_LEAD_TIME_DAYS:
        check.add("lead_time_days",
                  f"Enter a lead time from 0 to {MAX_LEAD_TIME_DAYS} days.")
    if max_daily_dose_mg is not None:
        check.add("max_daily_dose_mg", _amount_problem(
            max_daily_dose_mg, label="maximum daily dose in mg", low=Decimal(0), inclusive=False,
            high=MAX_DAILY_DOSE_MG, places=2))
    specs = _checked_specs(check, specs)
    tiers = _checked_tiers(check, tiers, grades)
    if check.problems:
        raise CatalogError(check.problems)

    if ingredient is None or ingredient.slug != slug:
        _retire_slug(session, ingredient, slug)
    created = ingredient is None
    if created:
        ingredient = Ingredient()
        session.add(ingredient)
    values = {
        "name": name, "slug": slug, "cas_number": cas_number, "description": description,
        "grades": grades, "forms": forms, "pack_size_kg": Decimal(pack_size_kg),
        "moq_kg": Decimal(moq_kg), "lead_time_days": lead_time_days,
        "max_daily_dose_mg": None if max_daily_dose_mg is None else Decimal(max_daily_dose_mg),
        "featured": bool(featured), "active": bool(active),
    }
    changed = [field for field in _AUDITED_FIELDS if getattr(ingredient, field) != values[field]]
    for field, value in values.items():
        setattr(ingredient, field, value)
    if _apply_specs(ingredient, specs):
        changed.append("specs")
    if _apply_tiers(ingredient, tiers):
        changed.append("price_tiers")
    if changed and not created:
        ingredient.version += 1  # also when only rows changed: the UPDATE checks the old one
    session.flush()
    if created:
        record_event(session, actor=actor, action="ingredient.created", obj=ingredient,
                     slug=ingredient.slug, specs=len(specs), price_tiers=len(tiers))
    elif changed:
        record_event(session, actor=actor, action="ingredient.updated", obj=ingredient,
                     slug=ingredient.slug, changed=changed)
    return ingredient
