"""Quote arithmetic in Decimal, rounded half-up to cents: totals are computed, never typed."""

from decimal import ROUND_HALF_UP, Decimal

from crm.catalog.formulation import MG_PER_KG, money


def line_total(quantity_kg: Decimal, price_per_kg: Decimal, discount_pct: Decimal) -> Decimal:
    gross = Decimal(quantity_kg) * Decimal(price_per_kg)
    return money(gross * (1 - Decimal(discount_pct or 0) / 100))


def net_price_per_kg(price_per_kg: Decimal, discount_pct: Decimal) -> Decimal:
    return Decimal(price_per_kg) * (1 - Decimal(discount_pct or 0) / 100)


PER_SERVING = Decimal("0.0001")  # a hundredth of a cent: a serving costs fractions of one


def _per_serving(line) -> Decimal | None:
    if not line.dose_mg:
        return None
    per_kg = net_price_per_kg(line.price_per_kg, line.discount_pct)
    return per_kg * Decimal(line.dose_mg) / MG_PER_KG


def cost_per_serving(line) -> Decimal | None:
    """What one serving of the customer's product costs in this ingredient (4 decimals)."""
    serving = _per_serving(line)
    return None if serving is None else serving.quantize(PER_SERVING, ROUND_HALF_UP)


def cost_per_unit(line) -> Decimal | None:
    """…and one unit (bottle, tub) of it, from the servings per unit: rounded once, from
    the exact cost of a serving."""
    serving = _per_serving(line)
    if serving is None or not line.servings_per_unit:
        return None
    return (serving * line.servings_per_unit).quantize(PER_SERVING, ROUND_HALF_UP)


def quote_total(lines) -> Decimal:
    return money(sum((line.line_total for line in lines), Decimal(0)))
