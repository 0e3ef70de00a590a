"""Lead score from what an inquiry tells us; each point comes with its reason."""

from decimal import Decimal

from crm.intake.freemail import is_free_mail
from crm.intake.requests import QuoteRequest

STAGE_POINTS = {"exploring": 0, "sampling": 5, "qualifying": 10, "ready to order": 20}


def score_inquiry(request: QuoteRequest, total_kg: Decimal) -> tuple[int, list[str]]:
    """(score 0–100, reasons such as "+15 business email")."""
    points: list[tuple[int, str]] = []
    if not is_free_mail(request.email):
        points.append((15, "business email"))
    filled = sum(bool(value) for value in (request.phone, request.job_title, request.company_type,
                                           request.formulation_type, request.target_market,
                                           request.target_launch, request.message))
    if filled >= 5:
        points.append((15, "complete request"))
    elif filled >= 3:
        points.append((8, "fairly complete request"))
    if total_kg >= 1000:
        points.append((25, f"{total_kg:,.0f} kg"))
    elif total_kg >= 100:
        points.append((15, f"{total_kg:,.0f} kg"))
    elif total_kg > 0:
        points.append((5, f"{total_kg:,.0f} kg"))
    stage = STAGE_POINTS.get(request.project_stage or "", 0)
    if stage:
        points.append((stage, f"stage: {request.project_stage}"))
    if request.sample_wanted:
        points.append((10, "sample wanted"))
    if request.units and request.servings_per_unit:
        points.append((5, "product plan given"))
    score = min(100, sum(p for p, _ in points))
    return score, [f"+{p} {reason}" for p, reason in points]
