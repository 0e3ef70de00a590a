"""The customer's quote page: the quote as a document, its PDF, and the accept or decline
answer. No login: the unguessable token in the emailed link is the key, and only its hash is
stored, so a link that is not exactly the one we sent finds nothing (404, saying nothing).

The document partial (``quotes/_document.html``) is shared with the staff preview and the
PDF; its helpers are here, and the staff views import them.
"""

from decimal import Decimal

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from crm.catalog.pdf import html_to_pdf
from crm.core.database import commit_with_retries
from crm.core.templating import format_number as number
from crm.core.types import utcnow
from crm.extensions import db, limiter
from crm.leads.models import LEAD_CLOSED_TO_ANSWERS
from crm.leads.timeline import country_name, kg
from crm.quotes import answers, operations
from crm.quotes.answers import OPEN_FOR_ANSWER
from crm.quotes.forms import AcceptForm, DeclineForm
from crm.quotes.models import Quote, QuoteStatus
from crm.quotes.operations import QuoteError
from crm.quotes.pricing import cost_per_serving, cost_per_unit

bp = Blueprint("quote_public", __name__)
Q = QuoteStatus
# Rendering a PDF costs a few hundred milliseconds of CPU (the spec sheets' limit).
DEFAULT_PDF_RATE_LIMIT = "20 per minute;300 per day"


def money(value: Decimal | None) -> str:
    """``Decimal("12675")`` → ``"12,675.00"``."""
    return "" if value is None else f"{Decimal(value):,.2f}"


def document_helpers() -> dict:
    """What ``quotes/_document.html`` calls: formatting and the per-serving arithmetic."""
    return {"money": money, "kg": kg, "number": number, "country_name": country_name,
            "cost_per_serving": cost_per_serving, "cost_per_unit": cost_per_unit}


def pdf_response(quote: Quote, *, download: bool) -> Response:
    """The quote document as a PDF (``quotes/pdf.html``), named after the quote."""
    html = render_template("quotes/pdf.html", quote=quote, lead=quote.lead,
                           **document_helpers())
    name = quote.number if quote.revision == 1 else f"{quote.number}-rev{quote.revision}"
    disposition = "attachment" if download else "inline"
    return Response(html_to_pdf(html), mimetype="application/pdf", headers={
        "Content-Disposition": f'{disposition}; filename="{name}.pdf"'})


def answer_state(quote: Quote) -> str:
    """What the customer may still do: ``open``, or why not (the quote's status, or
    ``closed`` while its lead is lost or spam)."""
    if quote.status not in OPEN_FOR_ANSWER:
        return quote.status.value
    if quote.valid_until < utcnow().date():
        return "expired"
    return "closed" if quote.lead.status in LEAD_CLOSED_TO_ANSWERS else "open"


def _pdf_rate_limit() -> str:
    return current_app.config.get("CRM_PDF_RATE_LIMIT", DEFAULT_PDF_RATE_LIMIT)


bp.context_processor(document_helpers)


@bp.after_request
def keep_the_link_private(response):
    # The token is in the address: no cache may keep the page, no Referer may carry it away.
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _quote(token: str) -> Quote:
    quote = operations.find_by_token(db.session, token)
    if quote is None or quote.status is Q.DRAFT:
        abort(404)
    return quote


def _newer_sent(quote: Quote) -> Quote | None:
    """The newest revision that was sent, when it is not this one."""
    newest = db.session.scalar(
        select(Quote).where(Quote.number == quote.number, Quote.sent_at.is_not(None))
        .order_by(Quote.revision.desc()).limit(1))
    return newest if newest is not None and newest.revision > quote.revision else None


def _render(quote: Quote, token: str, *, status: int = 200, **forms):
    return render_template(
        "quotes/public.html", quote=quote, lead=quote.lead, token=token,
        state=answer_state(quote),
        errors=[error for form in forms.values() for error in form.error_list()],
        newer=_newer_sent(quote) if quote.status is Q.SUPERSEDED else None,
        accept_form=forms.get("accept_form") or AcceptForm(formdata=None),
        decline_form=forms.get("decline_form") or DeclineForm(formdata=None),
    ), status


@bp.get("/q/<token>")
def show(token: str):
    quote = _quote(token)
    # The first view only. Answered or replaced meanwhile: that stands, and the view, run
    # again on the fresh row, changes nothing.
    commit_with_retries(db.session, lambda: answers.mark_viewed(db.session, quote=quote),
                        retry_on=StaleDataError)
    return _render(quote, token)


@bp.get("/q/<token>.pdf")
@limiter.limit(_pdf_rate_limit)
def pdf(token: str):
    return pdf_response(_quote(token), download=True)


@bp.post("/q/<token>/accept")
def accept(token: str):
    quote = _quote(token)
    form = AcceptForm()
    if not form.validate_on_submit():
        return _render(quote, token, accept_form=form, status=400)
    return _answer(quote, token, lambda: answers.accept_quote(
        db.session, quote=quote, name=form.name.data, ip=request.remote_addr),
        "Thank you: your acceptance is recorded, we have been told, and a copy is on its "
        "way to you by email.")


@bp.post("/q/<token>/decline")
def decline(token: str):
    quote = _quote(token)
    form = DeclineForm()
    if not form.validate_on_submit():
        return _render(quote, token, decline_form=form, status=400)
    return _answer(quote, token, lambda: answers.decline_quote(
        db.session, quote=quote, reason=form.reason.data or ""),
        "Thank you for letting us know. We have been told.")


def _answer(quote: Quote, token: str, answer, thanks: str):
    """Record the customer's answer (again is harmless); a refusal shows the page with why.
    A staff save of the same lead between our read and our write is no reason to fail the
    customer: the answer runs again on the fresh rows."""
    try:
        commit_with_retries(db.session, answer, retry_on=StaleDataError, attempts=3)
    except QuoteError as exc:
        db.session.commit()  # the operation may have found the quote expired: keep that
        flash(str(exc), "error")
        return _render(quote, token, status=400)
    flash(thanks, "success")
    return redirect(url_for(".show", token=token), 303)
