"""What bench/intake.py serves: the application plus a bare-insert baseline, and a naive twin.

    gunicorn "bench.intake_app:app"        # crm.create_app() + POST /bench/bare-insert
    gunicorn "bench.intake_app:naive_app"  # the same, with the lead search left unindexed

``POST /bench/bare-insert`` is the least a form post can do on this stack: a one-field form
with its CSRF token, one row inserted into ``bench_rows``, a commit and a 303.

``POST /bench/quote-form-only`` takes the quote request as ``/contact`` does (its form, ticket,
CSRF token, validation and parsing into a ``QuoteRequest``) and answers 303 without running the
intake pipeline: what the form alone costs, beside the whole request.

``naive_app`` is the lead list as the bare stack writes it (``make_naive``): the search an
ILIKE ``'%term%'`` over four columns, which no index serves, and the total an exact count of
every match, as ``db.paginate`` counts: the baseline the issue names, a search that scans every
row. The replacement holds for the whole process, so serve each app from its own gunicorn.
Each is built when first looked up, so importing this module (for ``bench_rows``) builds
neither.
"""

from flask import redirect, render_template_string, request, url_for
from sqlalchemy import Column, Integer, MetaData, String, Table, or_
from wtforms import StringField
from wtforms.validators import InputRequired, Length

from crm import create_app
from crm.core.forms import Form, read_form_ticket
from crm.core.types import UTCDateTime, utcnow
from crm.extensions import db
from crm.intake import views as intake_views
from crm.intake.forms import QuoteRequestForm
from crm.leads import queries
from crm.leads.models import Lead

metadata = MetaData()
bench_rows = Table(
    "bench_rows", metadata,
    Column("id", Integer, primary_key=True),
    Column("value", String(200), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
)
PAGE = '<form method="post">{{ form.csrf_token }}{{ form.value() }}</form>'


class BareForm(Form):
    value = StringField("Value", validators=[InputRequired(), Length(max=200)])


def bare_insert():
    form = BareForm()
    if form.validate_on_submit():
        db.session.execute(bench_rows.insert().values(value=form.value.data,
                                                      created_at=utcnow()))
        db.session.commit()
        return redirect(url_for("bare_insert"), 303)
    return render_template_string(PAGE, form=form), 400 if request.method == "POST" else 200


def quote_form_only():
    """``crm.intake.views.contact`` up to the pipeline: form, ticket, validation, parsing."""
    form = QuoteRequestForm(ingredients=intake_views._active_ingredients())
    if read_form_ticket(form.ticket.data) is None or not form.validate_on_submit():
        return "", 400
    form.to_request(request.form)
    return redirect(url_for("quote_form_only"), 303)


def naive_search_condition(session, q: str, *, status=None, walk_order: bool = False):
    """What a search without an index looks like: every lead's four columns, scanned."""
    term = q.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    pattern = f"%{term}%"
    return or_(*(column.ilike(pattern, escape="\\") for column in (
        Lead.company_name, Lead.contact_name, Lead.contact_email, Lead.reference)))


NAIVE = {"search_condition": naive_search_condition,  # what make_naive sets in crm.leads.queries
         "COUNT_CAP": 10**12}  # no cap: the count goes through every match


def make_naive() -> dict:
    """Turn ``crm.leads.queries`` naive in this process; return what it replaced."""
    replaced = {name: getattr(queries, name) for name in NAIVE}
    for name, value in NAIVE.items():
        setattr(queries, name, value)
    return replaced


def add_routes(app) -> None:
    """The two bench forms, on ``app``."""
    app.add_url_rule("/bench/bare-insert", "bare_insert", bare_insert, methods=["GET", "POST"])
    app.add_url_rule("/bench/quote-form-only", "quote_form_only", quote_form_only,
                     methods=["POST"])


def build(*, naive: bool = False):
    if naive:
        make_naive()
    app = create_app()
    add_routes(app)
    with app.app_context():
        metadata.create_all(db.engine, checkfirst=True)  # the benchmark made it already
    return app


def __getattr__(name: str):
    """``app`` and ``naive_app``, built on first use (gunicorn looks up one of them)."""
    if name not in ("app", "naive_app"):
        raise AttributeError(name)
    try:
        built = build(naive=name == "naive_app")
    except AttributeError as exc:  # gunicorn would report it as "no attribute 'app'"
        raise RuntimeError(f"building {name} failed") from exc
    globals()[name] = built
    return built
