"""Demo quote requests for a first run, sent through the real intake pipeline and then worked a
little (a status change, a note, a next action, a quote sent), so the sales dashboard is not
empty."""

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import func, select

from crm.auth.models import User
from crm.core.types import utcnow
from crm.core.urls import external_url
from crm.demo import ARTICLE_SLUG
from crm.intake.operations import submit_inquiry
from crm.intake.requests import LineRequest, QuoteRequest
from crm.leads import operations as leads
from crm.leads.models import ActivityKind, Lead, LeadStatus
from crm.quotes import operations as quotes

L = LineRequest
# (company, name, email, country, plan, lines, what sales did with it). Invented companies; the
# .example domain never resolves, so the acknowledgements only ever reach the mail files.
REQUESTS = [
    ("Brightleaf Nutrition", "Maya Ortiz", "maya.ortiz@brightleaf.example", "US",
     dict(formulation_type="capsule", dose_mg=Decimal(500), servings_per_unit=60, units=20000,
          overage_pct=Decimal(5), project_stage="sampling", target_market="US retail",
          sample_wanted=True, documents=["coa", "spec"],
          message="Sleep support capsule, 500 mg L-serine per capsule. Samples of USP grade?"),
     [L(ingredient_slug="l-serine", grade="USP", form="Powder", compute=True),
      L(ingredient_slug="glycine", grade="USP", form="Powder", compute=True,
        dose_mg=Decimal(1000))],
     "contacted"),
    ("Nordkap Vitaminwerk", "Jonas Berger", "j.berger@nordkap-vitamin.example", "DE",
     dict(formulation_type="tablet", dose_mg=Decimal(150), servings_per_unit=90, units=50000,
          overage_pct=Decimal(8), project_stage="qualifying", documents=["coa", "sds"],
          message="Bilayer B-complex tablet; we need the EP grade documentation."),
     [L(ingredient_slug="pyridoxine-hydrochloride", grade="EP", form="Fine powder",
        compute=True)],
     "quoted"),
    ("Coastline Sports Labs", "Priya Nair", "priya@coastline-sports.example", "GB",
     dict(formulation_type="powder", dose_mg=Decimal(3000), servings_per_unit=30, units=8000,
          project_stage="ready to order", message="Recovery powder, launch in spring."),
     [L(ingredient_slug="magnesium-bisglycinate", grade="Food", form="Powder", compute=True),
      L(ingredient_slug="l-theanine", quantity_kg=Decimal(40))],
     "new"),
    ("Hana Wellness", "Hana Sato", "hana.sato.formulation@gmail.com", "CA",
     dict(formulation_type="gummy", dose_mg=Decimal(200), servings_per_unit=60, units=5000,
          project_stage="exploring", message="Calm gummy; is a microencapsulated form needed?"),
     [L(ingredient_slug="l-theanine", grade="Food", compute=True),
      L(free_text="Chamomile extract 4:1", quantity_kg=Decimal(15))],
     "new"),
    ("Meridian Contract Manufacturing", "Tomás Silva", "tsilva@meridian-cm.example", "BR",
     dict(formulation_type="liquid", project_stage="sampling",
          company_type="contract manufacturer",
          message="Omega-3 for a fortified drink; quantities per batch below."),
     [L(ingredient_slug="omega-3-powder", grade="Food", form="Microencapsulated powder",
        quantity_kg=Decimal(600))],
     "new"),
]


# The page each request was sent from (the overview's "where requests come from"): the demo
# article, an ingredient's page, a search engine, or none.
SOURCES = [f"/articles/{ARTICLE_SLUG}", "/ingredients/pyridoxine-hydrochloride", None,
           "https://www.google.com/", f"/articles/{ARTICLE_SLUG}"]


def seed_demo_leads(session) -> int:
    """Send the demo requests once (none if any lead exists); return how many were sent."""
    if session.scalar(select(func.count()).select_from(Lead)):
        return 0
    sales = session.scalar(select(User).where(User.email == "sales@example.com"))
    for n, (company, name, email, country, plan, lines, status) in enumerate(REQUESTS):
        source = SOURCES[n]
        request = QuoteRequest(company=company, name=name, email=email, country=country,
                               consent=True, lines=lines, **plan, source_page=source and (
                                   external_url(source) if source.startswith("/") else source))
        request.submitted = {"company": [company], "name": [name], "email": [email]}
        inquiry = submit_inquiry(session, request=request, submission_key=f"demo-{n}",
                                 seconds_to_fill=60.0, honeypot="", ip=None,
                                 user_agent="demo data", min_fill_seconds=0)
        lead = inquiry.lead
        if sales is None or status == "new":
            continue
        leads.change_status(session, lead=lead, status=LeadStatus.CONTACTED, actor=sales)
        leads.add_note(session, lead=lead, actor=sales, kind=ActivityKind.CALL,
                       body=f"{name.split()[0]}: volumes confirmed, sending documents.")
        next_step = "Send the quote"
        if status == "quoted":
            leads.change_status(session, lead=lead, status=LeadStatus.QUALIFIED, actor=sales)
            quote, _ = quotes.draft_from_lead(session, lead=lead, actor=sales)
            quotes.send_quote(session, quote=quote, actor=sales)
            next_step = "Ask whether the quote works for them"
        leads.set_next_action(session, lead=lead, on=(utcnow() + timedelta(days=2)).date(),
                              note=next_step, actor=sales)
    return len(REQUESTS)
