"""Lead list, board and CSV export."""

from datetime import datetime

from flask import Response, render_template, request
from flask_login import current_user

from crm.core.types import utcnow
from crm.extensions import db
from crm.leads import export, queries
from crm.leads.blueprint import bp
from crm.leads.list_forms import LeadFilterForm
from crm.leads.models import OPEN_STATUSES


def lead_age(created_at: datetime, now: datetime) -> str:
    """``"3 d"``, ``"5 h"``, ``"12 min"``: how long ago a lead came in, as a dense list says it."""
    seconds = max(int((now - created_at).total_seconds()), 0)
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds // size} {unit}"
    return "just now"


def _filters(staff, default_statuses):
    form = LeadFilterForm(request.args, owners=staff.owners, default_statuses=default_statuses,
                          ingredients=queries.ingredient_choices(db.session))
    form.validate()
    return form, form.filters(me_id=current_user.id)


@bp.get("/")
def index():
    staff = queries.staff(db.session)
    form, filters = _filters(staff, OPEN_STATUSES)
    page = queries.lead_page(db.session, filters=filters,
                             page=request.args.get("page", 1, type=int))
    now = utcnow()
    return render_template("leads/index.html", form=form, filters=filters, page=page,
                           owner_names=staff.names, today=now.date(),
                           age=lambda created_at: lead_age(created_at, now))


@bp.get("/board")
def board():
    staff = queries.staff(db.session)
    form, filters = _filters(staff, queries.BOARD_STATUSES)
    columns = queries.board(db.session, filters=filters)
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
