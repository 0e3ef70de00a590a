"""Lead list, board and CSV export."""

from datetime import datetime
from urllib.parse import parse_qsl, urlsplit

from flask import Response, flash, redirect, render_template, request
from flask_login import current_user
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.datastructures import MultiDict

from crm.auth.models import User
from crm.core.types import utcnow
from crm.extensions import db
from crm.leads import batch, export, queries
from crm.leads.blueprint import bp
from crm.leads.board import BOARD_STATUSES, board_columns
from crm.leads.list_forms import BulkForm, LeadFilterForm
from crm.leads.models import OPEN_STATUSES, LeadStatus


def lead_age(created_at: datetime, now: datetime) -> str:
    """``"3 d"``, ``"5 h"``, ``"12 min"``: how long ago a lead came in, as a dense list says it."""
    seconds = max(int((now - created_at).total_seconds()), 0)
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds // size} {unit}"
    return "just now"


def _filters(staff, default_statuses, args=None):
    form = LeadFilterForm(request.args if args is None else args, owners=staff.owners,
                          default_statuses=default_statuses,
                          ingredients=queries.ingredient_choices(db.session))
    form.validate()
    return form, form.filters(me_id=current_user.id)


def _render_list(args, *, bulk_form=None, status: int = 200):
    staff = queries.staff(db.session)
    form, filters = _filters(staff, OPEN_STATUSES, args)
    page = queries.lead_page(db.session, filters=filters, page=args.get("page", 1, type=int))
    bulk_form = bulk_form or BulkForm(formdata=None, owners=staff.owners)
    now = utcnow()
    return render_template("leads/index.html", form=form, filters=filters, page=page,
                           owner_names=staff.names, today=now.date(), bulk_form=bulk_form,
                           errors=bulk_form.error_list(),
                           age=lambda created_at: lead_age(created_at, now)), status


@bp.get("/")
def index():
    return _render_list(request.args)


@bp.post("/bulk")
def bulk():
    """The leads ticked in the list: assigned, or moved to another status, each as its own
    page would allow; then back to the list, with what was refused and why."""
    form = BulkForm(owners=queries.staff(db.session).owners)
    if not form.validate_on_submit():  # the list as it was, the boxes still ticked
        list_args = MultiDict(parse_qsl(urlsplit(form.next_url()).query))
        return _render_list(list_args, bulk_form=form, status=400)
    try:
        done = _run_batch(form)
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        flash("Someone saved one of these leads at the same moment: nothing was changed. "
              "Try again.", "error")
    else:
        _flash_batch(done)
    return redirect(form.next_url())


def _run_batch(form: BulkForm) -> batch.Batch:
    if form.action.data == "assign":
        owner_id = int(form.owner.data)
        owner = db.session.get(User, owner_id) if owner_id else None
        return batch.assign_leads(db.session, picks=form.lead.data, owner=owner,
                                  actor=current_user)
    return batch.change_statuses(db.session, picks=form.lead.data,
                                 status=LeadStatus(form.status.data),
                                 lost_reason=form.lost_reason.data or "", actor=current_user)


def _flash_batch(done: batch.Batch) -> None:
    changed, unchanged = len(done.changed), len(done.unchanged)
    flash(f"{changed} lead{'s' if changed != 1 else ''} changed." if changed
          else "No lead changed.", "success" if changed or not done.refused else "error")
    if unchanged:
        flash(f"{unchanged} lead{'s' if unchanged != 1 else ''} already had that owner.",
              "info")
    for reference, why in done.refused:
        flash(f"{reference}: {why}", "error")


@bp.get("/board")
def board():
    staff = queries.staff(db.session)
    form, filters = _filters(staff, BOARD_STATUSES)
    columns = board_columns(db.session, filters=filters)
    return render_template("leads/board.html", form=form, filters=filters, columns=columns,
                           owner_names=staff.names)


@bp.get("/export.csv", endpoint="export")
def export_csv():
    staff = queries.staff(db.session)
    _, filters = _filters(staff, OPEN_STATUSES)
    query = queries.export_query(db.session, filters=filters)
    chunks = export.streamed_csv(db.engine, query, owner_names=staff.names)
    response = Response(chunks, mimetype="text/csv")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{export.filename(utcnow().date())}"')
    return response
