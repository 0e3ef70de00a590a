"""A realistic bulk data set for benchmarks: ``flask crm seed-bulk --leads 100000``."""

import random
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import insert, select

from crm.auth.models import Role, User
from crm.auth.operations import create_user
from crm.catalog.formulation import kg_needed, round_to_packs
from crm.catalog.models import Ingredient
from crm.core.database import analyze
from crm.core.types import utcnow
from crm.intake.operations import REFERENCE_ALPHABET
from crm.leads.models import Company, Contact, Inquiry, Lead, LeadStatus, RequestedIngredient
from crm.notifications.models import EmailStatus, OutboxEmail

CHUNK = 2000
STATUSES = [(LeadStatus.NEW, 20), (LeadStatus.CONTACTED, 18), (LeadStatus.QUALIFIED, 14),
            (LeadStatus.QUOTED, 10), (LeadStatus.WON, 10), (LeadStatus.LOST, 23),
            (LeadStatus.SPAM, 5)]
COUNTRIES = ["US"] * 30 + ["DE"] * 10 + ["GB"] * 8 + ["FR"] * 6 + ["CA"] * 6 + ["NL", "IT",
             "ES", "PL", "SE", "AU", "JP", "KR", "IN", "BR", "MX", "CH", "BE", "DK", "IE"] * 2
WORDS = ["Nutra", "Vita", "Bio", "Pure", "Natura", "Alpine", "Coastal", "Prime", "Green",
         "Summit", "Nova", "Vital", "Core", "True", "Bright", "Evergreen", "Harbor", "Peak"]
SUFFIXES = ["Labs", "Nutrition", "Health", "Supplements", "Naturals", "Pharma", "Wellness",
            "Formulations", "Brands", "Manufacturing"]
FIRST = ["Ana", "Ben", "Chloé", "David", "Elif", "Farid", "Grace", "Hiro", "Ines", "Jonas",
         "Kai", "Lena", "Marco", "Nadia", "Omar", "Priya", "Quinn", "Rosa", "Sven", "Tara"]
LAST = ["Meyer", "Okafor", "Rossi", "Kowalski", "Nguyen", "Schmidt", "García", "Tanaka",
        "Dubois", "Larsen", "Patel", "Silva", "Kim", "Novak", "Brown", "Costa"]
FORMS = ["capsule", "tablet", "powder", "gummy", "liquid"]
STAGES = ["exploring", "sampling", "qualifying", "ready to order"]
BODY = "(bulk data set: the email as sent is not kept here)"


def _sales_users(session) -> dict[int, str]:
    """At least six active sales users (made when missing): their emails by id."""
    emails = dict(session.execute(select(User.id, User.email).where(
        User.role == Role.SALES, User.active.is_(True))).all())
    for n in range(len(emails), 6):
        user = create_user(session, email=f"bulk-sales{n}@example.com", name=f"Bulk Sales {n}",
                           role=Role.SALES, password="bulk-sales-password")
        emails[user.id] = user.email
    session.commit()
    return emails


def seed_bulk(session, *, leads: int, seed: int = 7, progress=lambda n: None) -> None:
    """Insert ``leads`` leads with their companies, contacts, inquiries and lines, and the two
    emails each request left in the outbox (sent; a few dead). Then run ``settle``."""
    rng = random.Random(seed)
    owner_emails = _sales_users(session)
    catalog = session.scalars(select(Ingredient)).all()
    taken = set(session.scalars(select(Lead.reference)))
    now = utcnow()
    statuses, weights = zip(*STATUSES, strict=True)
    done = 0
    while done < leads:
        size = min(CHUNK, leads - done)
        _chunk(session, rng, size, done, owner_emails, catalog, taken, now, statuses, weights)
        session.commit()
        done += size
        progress(size)


def settle(engine) -> None:
    """What the databases do by themselves soon after a bulk load, now. PostgreSQL: VACUUM
    ANALYZE of the tables ``seed_bulk`` fills (fresh statistics, the visibility map, and the
    GIN search index's pending entries merged: until then every search reads them all).
    SQLite: the FTS5 search indexes' segments merged into one, and ANALYZE (which SQLite never
    runs by itself: see ``crm.core.database.analyze``). Outside any transaction."""
    if engine.dialect.name == "sqlite":
        with engine.begin() as connection:
            for index in ("leads_fts", "outbox_fts"):
                connection.exec_driver_sql(f"INSERT INTO {index}({index}) VALUES ('optimize')")
        analyze(engine)
        return
    tables = ", ".join(model.__tablename__ for model in (
        Company, Contact, Lead, Inquiry, RequestedIngredient, OutboxEmail)) + ", quotes"
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql(f"VACUUM ANALYZE {tables}")


def _reference(rng, taken: set) -> str:
    while True:
        reference = "INQ-" + "".join(rng.choice(REFERENCE_ALPHABET) for _ in range(6))
        if reference not in taken:
            taken.add(reference)
            return reference


def _insert_ids(session, model, rows) -> list[int]:
    """Insert many rows in one round trip; their new ids, in the order of ``rows``."""
    table = model.__table__  # Core, not the ORM's bulk path: one batched INSERT ... RETURNING
    statement = insert(table).returning(table.c.id, sort_by_parameter_order=True)
    return session.execute(statement, rows).scalars().all()


def _chunk(session, rng, size, offset, owner_emails, catalog, taken, now, statuses, weights):
    tag = f"{rng.getrandbits(32):08x}"  # keeps domains and emails unique across runs
    owners = list(owner_emails)
    company_rows = []
    for n in range(size):
        name = f"{rng.choice(WORDS)}{rng.choice(WORDS).lower()} {rng.choice(SUFFIXES)}"
        company_rows.append({"name": name, "name_key": name.lower(),
                             "domain": f"c{offset + n}-{tag}.example",
                             "country": rng.choice(COUNTRIES), "created_at": now})
    company_ids = _insert_ids(session, Company, company_rows)
    contact_rows = []
    for n, company_id in enumerate(company_ids):
        name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        contact_rows.append({"email": f"{name.split()[0].lower()}.{offset + n}@"
                                      f"{company_rows[n]['domain']}",
                             "name": name, "company_id": company_id,
                             "country": company_rows[n]["country"], "created_at": now})
    contact_ids = _insert_ids(session, Contact, contact_rows)
    lead_rows, plans = [], []
    for n, contact_id in enumerate(contact_ids):
        created = now - timedelta(minutes=rng.randint(0, 730 * 24 * 60))
        status = rng.choices(statuses, weights)[0]
        lines = rng.sample(catalog, rng.randint(1, min(3, len(catalog))))
        plan = (Decimal(rng.choice([100, 250, 500, 750, 1000])), rng.choice([30, 60, 90, 120]),
                rng.choice([1000, 5000, 10000, 25000, 50000]), Decimal(rng.choice([0, 3, 5])))
        quantities = [round_to_packs(kg_needed(*plan), i.pack_size_kg) for i in lines]
        total = sum((q.kg_rounded for q in quantities), Decimal(0))
        contact = contact_rows[n]
        company = company_rows[n]
        reference = _reference(rng, taken)
        lead_rows.append({
            "reference": reference, "contact_id": contact_id, "company_id": company_ids[n],
            "owner_id": rng.choice(owners) if rng.random() < 0.9 else None,
            "status": status.value, "score": rng.randint(0, 100), "score_reasons": [],
            "lost_reason": "price" if status is LeadStatus.LOST else None,
            "next_action_on": (created + timedelta(days=rng.randint(1, 30))).date()
            if rng.random() < 0.4 else None,
            "first_response_due_at": created + timedelta(hours=24),
            "first_responded_at": created + timedelta(hours=rng.randint(1, 48))
            if rng.random() < 0.8 else None,
            "created_at": created, "updated_at": created, "version": 1,
            "company_name": company["name"], "company_key": company["name"].lower(),
            "contact_name": contact["name"],
            "contact_email": contact["email"], "country": company["country"],
            "ingredients_summary": ", ".join(i.name for i in lines), "total_kg": total,
            "search_text": " ".join((reference, company["name"], contact["name"],
                                     contact["email"])).lower(),
        })
        plans.append((lines, plan, quantities, created))
    lead_ids = _insert_ids(session, Lead, lead_rows)
    inquiry_rows = [{
        "reference": lead_rows[n]["reference"], "lead_id": lead_id, "contact_id": contact_ids[n],
        "submitted": {}, "formulation_type": rng.choice(FORMS), "dose_mg": plans[n][1][0],
        "servings_per_unit": plans[n][1][1], "units": plans[n][1][2],
        "overage_pct": plans[n][1][3], "project_stage": rng.choice(STAGES), "documents": [],
        "sample_wanted": rng.random() < 0.3, "message": "", "utm": {}, "consent_at": plans[n][3],
        "spam_score": 0, "spam_reasons": [], "submission_key": f"bulk-{lead_rows[n]['reference']}",
        "created_at": plans[n][3],
    } for n, lead_id in enumerate(lead_ids)]
    inquiry_ids = _insert_ids(session, Inquiry, inquiry_rows)
    line_rows = []
    for n, inquiry_id in enumerate(inquiry_ids):
        lines, plan, quantities, _ = plans[n]
        for position, (ingredient, quantity) in enumerate(zip(lines, quantities, strict=True)):
            line_rows.append({
                "inquiry_id": inquiry_id, "lead_id": lead_ids[n], "position": position,
                "ingredient_id": ingredient.id, "grade": ingredient.grades[0],
                "form": ingredient.forms[0],
                "formulation_type": inquiry_rows[n]["formulation_type"],
                "dose_mg": plan[0], "servings_per_unit": plan[1], "units": plan[2],
                "overage_pct": plan[3], "kg_needed": quantity.kg_needed, "packs": quantity.packs,
                "pack_size_kg": quantity.pack_size_kg, "kg_rounded": quantity.kg_rounded,
                "warnings": [],
            })
    session.execute(insert(RequestedIngredient.__table__), line_rows)
    session.execute(insert(OutboxEmail.__table__), [
        email for n, lead_id in enumerate(lead_ids)
        for email in _emails(rng, lead_id, lead_rows[n], owner_emails, plans[n][3])])


def _emails(rng, lead_id: int, lead: dict, owner_emails: dict, created) -> list[dict]:
    """The acknowledgement and the owner's alert of one request, as the worker left them."""
    if rng.random() < 0.002:  # the mail server refused it, eight times
        outcome = {"status": EmailStatus.DEAD.value, "attempts": 8, "sent_at": None,
                   "last_error": "550 mailbox unavailable"}
    else:
        outcome = {"status": EmailStatus.SENT.value, "attempts": 1, "sent_at": created,
                   "last_error": None}
    common = {"created_at": created, "next_attempt_at": created, "headers": {}, "resends": 0,
              "related_type": "leads", "related_id": lead_id,
              "related_label": lead["reference"], "body_text": BODY,
              "body_html": f"<p>{BODY}</p>", **outcome}
    reference = lead["reference"]
    return [
        {**common, "idempotency_key": f"bulk-ack:{lead_id}", "template": "inquiry_ack",
         "recipient": lead["contact_email"],
         "subject": f"We received your quote request {reference}"},
        {**common, "idempotency_key": f"bulk-alert:{lead_id}", "template": "lead_alert",
         "recipient": owner_emails.get(lead["owner_id"]) or min(owner_emails.values()),
         "subject": f"New lead {reference}: {lead['company_name']}"},
    ]
