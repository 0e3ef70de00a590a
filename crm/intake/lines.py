"""One requested ingredient line at intake: the kilogram math and the warnings staff see."""

from decimal import Decimal

from crm.catalog.formulation import kg_needed, round_to_packs
from crm.catalog.models import Ingredient
from crm.catalog.rules import MAX_KG
from crm.intake.requests import IntakeRejected, LineRequest, QuoteRequest
from crm.leads.models import RequestedIngredient


def _catalog_spelling(value: str | None, offered) -> str | None:
    """``value`` as the catalog writes it when it names one of ``offered`` in another case
    or spacing ("usp", "fine  powder"), else as typed."""
    if not value:
        return value
    key = " ".join(value.split()).casefold()
    return next((item for item in offered or () if item.casefold() == key), value)


def requested_line(request: QuoteRequest, line: LineRequest, position: int,
                   catalog: dict[str, Ingredient]) -> RequestedIngredient:
    """One line as recorded: its ingredient (from ``catalog``, the active ones by slug), the
    kilograms it comes to, whole packs, and the warnings staff see."""
    ingredient = None
    if line.ingredient_slug:
        ingredient = catalog.get(line.ingredient_slug)
        if ingredient is None:
            raise IntakeRejected("One of the ingredients is no longer in our catalog. "
                                 "Choose it again or describe it under “other”.")
    warnings = []
    dose = line.dose_mg or request.dose_mg
    grade, form = line.grade or None, line.form or None
    if ingredient is not None:  # "usp" is the catalog's USP (whose price tiers name it so)
        grade = _catalog_spelling(grade, ingredient.grades)
        form = _catalog_spelling(form, ingredient.forms)
    result = RequestedIngredient(
        position=position, ingredient=ingredient, ingredient_id=getattr(ingredient, "id", None),
        free_text=None if ingredient else (line.free_text or "").strip(), grade=grade,
        form=form, quantity_kg_given=line.quantity_kg,
        formulation_type=request.formulation_type, dose_mg=dose,
        servings_per_unit=request.servings_per_unit, units=request.units,
        overage_pct=request.overage_pct, warnings=warnings,
    )
    if line.compute:
        if not (dose and request.servings_per_unit and request.units):
            raise IntakeRejected("To compute a quantity we need the dose, servings per unit "
                                 "and number of units.")
        kg = kg_needed(dose, request.servings_per_unit, request.units,
                       request.overage_pct or Decimal(0))
        if kg > MAX_KG:  # each figure was within bounds, their product is not
            raise IntakeRejected(
                f"Your plan comes to {kg:,.0f} kg of ingredient {position + 1}, more than the "
                f"{MAX_KG:,} kg we quote online. Check the dose, servings and units, or give "
                "the quantity in kg.")
    else:
        kg = line.quantity_kg
    if kg is not None:
        quantity = round_to_packs(kg, ingredient.pack_size_kg if ingredient else None)
        result.kg_needed, result.packs = quantity.kg_needed, quantity.packs or None
        result.pack_size_kg = quantity.pack_size_kg or None
        result.kg_rounded = quantity.kg_rounded
    if ingredient is not None:
        if grade and grade not in ingredient.grades:
            warnings.append(f"grade “{grade}” is not in the catalog "
                            f"({', '.join(ingredient.grades)})")
        if form and form not in ingredient.forms:
            warnings.append(f"form “{form}” is not in the catalog "
                            f"({', '.join(ingredient.forms)})")
        # The plan's dose is this ingredient's only on a line computed from it: beside a
        # given quantity it is most likely another ingredient's (quotes read it so too).
        dosed = dose if line.compute else line.dose_mg
        if dosed and ingredient.max_daily_dose_mg and dosed > ingredient.max_daily_dose_mg:
            warnings.append(f"{dosed:,.0f} mg per serving is above the reference maximum "
                            f"daily dose of {ingredient.max_daily_dose_mg:,.0f} mg")
        if result.kg_needed is not None and result.kg_needed < ingredient.moq_kg:
            warnings.append(f"below the MOQ of {ingredient.moq_kg:,.0f} kg")
    return result
