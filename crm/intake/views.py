"""Public pages: the quote-request form, its thank-you page and the privacy notice."""

from flask import (
    Blueprint,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from sqlalchemy import select

from crm.catalog.models import Ingredient
from crm.core.database import commit_with_retries
from crm.core.forms import issue_form_ticket, read_form_ticket
from crm.extensions import db, limiter
from crm.intake.forms import QuoteRequestForm
from crm.intake.operations import IntakeRejected, submit_inquiry
from crm.intake.requests import DOCUMENTS
from crm.leads.models import Inquiry

bp = Blueprint("intake", __name__)
MY_INQUIRIES = "my_inquiries"  # ids of the inquiries sent from this browser
EXPIRED = "This form has expired. Please check your answers and send it again."
DEFAULT_RATE_LIMIT = "5 per minute;30 per day"
INTAKE_ATTEMPTS = 3


def _rate_limit() -> str:
    return current_app.config.get("CRM_INQUIRY_RATE_LIMIT", DEFAULT_RATE_LIMIT)


_ACTIVE_INGREDIENTS = select(Ingredient).where(Ingredient.active.is_(True)).order_by(
    Ingredient.name)  # built once, not on every request


def _active_ingredients() -> list[Ingredient]:
    return db.session.scalars(_ACTIVE_INGREDIENTS).all()


def _render_form(form: QuoteRequestForm, status: int = 200):
    if not form.ticket.data or form.errors or form.form_errors:
        form.ticket.data = issue_form_ticket()
    form.pad_lines()
    return render_template("intake/contact.html", form=form, blank_line=form.blank_line(),
                           errors=form.error_list()), status


@bp.route("/contact", methods=["GET", "POST"])
@limiter.limit(_rate_limit, methods=["POST"])
def contact():
    form = QuoteRequestForm(ingredients=_active_ingredients())
    if request.method != "POST":  # GET, and HEAD (which Flask routes here too)
        form.prefill(ingredient=request.args.get("ingredient"), query=request.args,
                     referrer=request.referrer)
        return _render_form(form)
    ticket = read_form_ticket(form.ticket.data)
    if ticket is None:
        form.form_errors.append(EXPIRED)
    if not form.validate_on_submit() or ticket is None:
        return _render_form(form, 400)
    try:
        inquiry_id, reference = _submit(form, ticket)
    except IntakeRejected as exc:
        db.session.rollback()
        form.form_errors.append(str(exc))
        return _render_form(form, 400)
    session[MY_INQUIRIES] = [*session.get(MY_INQUIRIES, [])[-19:], inquiry_id]
    return redirect(url_for(".thanks", reference=reference), 303)


def _submit(form: QuoteRequestForm, ticket: tuple[str, float]) -> tuple[int, str]:
    """Run the intake operation and commit; the inquiry's id and reference. A unique value
    someone else took meanwhile runs the intake again: a resent form or a double click's twin
    then finds the first inquiry by its key; a random reference drawn twice gets a new one."""
    attempts = []

    def run() -> tuple[int, str]:
        attempts.append(True)
        first = len(attempts) == 1
        inquiry = submit_inquiry(
            db.session, request=form.to_request(request.form), submission_key=ticket[0],
            seconds_to_fill=ticket[1], honeypot=form.website.data or "",
            ip=request.remote_addr, user_agent=request.user_agent.string,
            min_fill_seconds=current_app.config["CRM_MIN_FILL_SECONDS"],
            # The first attempt trusts the form's key and catalog; a retry looks both up
            # (the rollback expired the catalog the form loaded).
            new_key=first, catalog=form.ingredients if first else None,
        )
        return inquiry.id, inquiry.reference  # read before the commit, which expires them

    return commit_with_retries(db.session, run, attempts=INTAKE_ATTEMPTS)


@bp.get("/contact/thanks/<reference>")
def thanks(reference: str):
    # The reference alone is not enough: it travels in emails. Only the browser that sent
    # the request sees its details here.
    inquiry = db.session.scalar(select(Inquiry).where(Inquiry.reference == reference))
    if inquiry is None or inquiry.id not in session.get(MY_INQUIRIES, []):
        abort(404)
    return render_template("intake/thanks.html", inquiry=inquiry, documents=DOCUMENTS)


@bp.get("/privacy")
def privacy():
    return render_template("intake/privacy.html")
