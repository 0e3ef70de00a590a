"""The quotes list and the quote builder for sales: draft from a lead, edit the draft, send,
revise, and the PDF preview. Every action is form → one operation → commit → flash →
redirect ("Send to customer" saves then sends, in one commit); a refusal (``QuoteError``) is
flashed and nothing is saved."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.exc import StaleDataError

from crm.auth.guard import staff_blueprint
from crm.auth.models import Role
from crm.core.types import utcnow
from crm.extensions import db
from crm.leads.models import LEAD_CLOSED_TO_ANSWERS, Lead
from crm.leads.queries import staff
from crm.leads.timeline import load_lead
from crm.quotes import operations, queries
from crm.quotes.forms import QuoteFilterForm, QuoteForm
from crm.quotes.models import Quote, QuoteStatus
from crm.quotes.operations import QuoteError
from crm.quotes.public_views import document_helpers, pdf_response

bp = staff_blueprint("quotes", __name__, roles=(Role.SALES,), url_prefix="/dashboard/quotes")
bp.context_processor(document_helpers)
Q = QuoteStatus
# What ``revise_quote`` accepts (for the latest revision only): the button is drawn for these.
REVISABLE = (Q.SENT, Q.VIEWED, Q.DECLINED, Q.EXPIRED)


def _quote(quote_id: int) -> Quote:
    return db.session.scalar(
        select(Quote).where(Quote.id == quote_id).options(
            joinedload(Quote.lead).options(joinedload(Lead.contact), joinedload(Lead.company)),
            joinedload(Quote.created_by), selectinload(Quote.lines))
    ) or abort(404)


RACE = ("Someone else changed this quote or its lead at the same moment, so nothing was "
        "done. Check them and try again.")


def _run(operation) -> tuple[bool, object]:
    """Call one operation and commit: (True, its result), or flash its refusal, roll back
    and give (False, None)."""
    try:
        result = operation()
        db.session.commit()
    except QuoteError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return False, None
    except StaleDataError:  # the quote or its lead was saved by someone else meanwhile
        db.session.rollback()
        flash(RACE, "error")
        return False, None
    return True, result


def _render(quote: Quote, *, form: QuoteForm | None = None, status: int = 200):
    revisions = db.session.scalars(select(Quote).where(Quote.number == quote.number)
                                   .order_by(Quote.revision)).all()
    if quote.status is not Q.DRAFT:
        form = None
    elif form is None:
        form = QuoteForm.for_quote(quote)
    return render_template(
        "quotes/show.html", quote=quote, lead=quote.lead, revisions=revisions,
        latest=revisions[-1], form=form, errors=form.error_list() if form else [],
        can_revise=quote.status in REVISABLE and revisions[-1].id == quote.id
        and quote.lead.status not in LEAD_CLOSED_TO_ANSWERS,
    ), status


@bp.get("/")
def index():
    form = QuoteFilterForm(request.args)
    form.validate()
    filters = form.filters(me_id=current_user.id)
    page = queries.quote_page(db.session, filters=filters,
                              page=request.args.get("page", 1, type=int))
    return render_template("quotes/index.html", form=form, page=page, filters=filters,
                           views=queries.VIEWS, today=utcnow().date(),
                           owner_names=staff(db.session).names)


@bp.post("/from-lead/<int:lead_id>")
def draft(lead_id: int):
    lead = load_lead(db.session, lead_id) or abort(404)
    done, result = _run(lambda: operations.draft_from_lead(db.session, lead=lead,
                                                           actor=current_user))
    if not done:
        return redirect(url_for("leads.show", lead_id=lead.id), 303)
    quote, warnings = result
    flash(f"{quote.label} is drafted from the inquiry: check it, then send it.", "success")
    for warning in warnings:
        flash(warning, "warning")
    return redirect(url_for(".show", quote_id=quote.id), 303)


@bp.route("/<int:quote_id>", methods=["GET", "POST"])
def show(quote_id: int):
    quote = _quote(quote_id)
    form = QuoteForm()
    if not form.is_submitted():
        return _render(quote)
    if form.validate():
        done, warnings = _run(lambda: _save(quote, form))
        if done:
            flash(f"Sent to {quote.lead.contact.email}." if form.send.data
                  else f"{quote.label} is saved.", "success")
            for warning in warnings:
                flash(warning, "warning")
            return redirect(url_for(".show", quote_id=quote.id), 303)
        quote = _quote(quote_id)
        form.as_of(quote)
    return _render(quote, form=form, status=400)


def _save(quote: Quote, form: QuoteForm) -> list[str]:
    """Save the edits; with "Send to customer", then send the quote as saved, in the same
    transaction, so that what was on screen is what the customer gets."""
    warnings = operations.update_draft(db.session, quote=quote, lines=form.line_inputs(),
                                       **form.terms())
    if form.send.data:
        operations.send_quote(db.session, quote=quote, actor=current_user)
    return warnings


@bp.post("/<int:quote_id>/send")
def send(quote_id: int):
    """Send the quote as last saved (the builder's button posts the editor to ``show``)."""
    quote = _quote(quote_id)
    done, _ = _run(lambda: operations.send_quote(db.session, quote=quote, actor=current_user))
    if done:
        flash(f"Sent to {quote.lead.contact.email}.", "success")
    return redirect(url_for(".show", quote_id=quote.id), 303)


@bp.post("/<int:quote_id>/discard")
def discard(quote_id: int):
    quote = _quote(quote_id)
    label, lead_id = quote.label, quote.lead_id
    done, _ = _run(lambda: operations.discard_draft(db.session, quote=quote,
                                                    actor=current_user))
    if not done:
        return redirect(url_for(".show", quote_id=quote_id), 303)
    flash(f"The draft {label} is discarded.", "success")
    return redirect(url_for("leads.show", lead_id=lead_id), 303)


@bp.post("/<int:quote_id>/revise")
def revise(quote_id: int):
    quote = _quote(quote_id)
    done, revision = _run(lambda: operations.revise_quote(db.session, quote=quote,
                                                          actor=current_user))
    if not done:
        return redirect(url_for(".show", quote_id=quote.id), 303)
    flash(f"{revision.label} is a new draft: edit it, then send it.", "success")
    return redirect(url_for(".show", quote_id=revision.id), 303)


@bp.get("/<int:quote_id>.pdf")
def pdf(quote_id: int):
    """The document exactly as the customer's PDF, drafts included (marked as such)."""
    return pdf_response(_quote(quote_id), download=False)
