"""The staff home page: what each role can reach from here, and the sales overview."""

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user

from crm.auth import operations as auth
from crm.auth.forms import AwayForm
from crm.auth.guard import staff_blueprint
from crm.auth.models import Role
from crm.core.templating import format_date
from crm.core.types import utcnow
from crm.extensions import db
from crm.leads import charts
from crm.leads import overview as lead_overview
from crm.leads.sources import SOURCE_DAYS, request_sources
from crm.leads.views import lead_age
from crm.quotes import queries as quote_queries

bp = staff_blueprint(
    "dashboard", __name__, roles=(Role.SALES, Role.MODERATOR), url_prefix="/dashboard"
)


@bp.get("/")
def index():
    return _render_overview()


@bp.post("/away")
def away():
    """A salesperson's own leave: away until a day (no new lead routed to them), or back."""
    if current_user.role is not Role.SALES:
        abort(403)  # only salespeople are given leads by the routing
    form = AwayForm()
    if not form.validate_on_submit():
        return _render_overview(away_form=form, status=400)
    until = form.until.data if form.action.data == "away" else None
    try:
        changed = auth.set_away(db.session, user=current_user, until=until, actor=current_user)
    except auth.AwayError as exc:
        form.until.errors.append(str(exc))
        return _render_overview(away_form=form, status=400)
    db.session.commit()
    if changed:
        flash(f"You are away until {format_date(until)}: no new lead comes to you until then."
              if until else "Welcome back: new leads come to you again.", "success")
    return redirect(url_for(".index"))


def _render_overview(away_form: AwayForm | None = None, status: int = 200):
    if not current_user.has_role(Role.SALES):
        return render_template("dashboard/index.html", overview=None)
    now = utcnow()
    overview = lead_overview.overview(db.session, user_id=current_user.id, now=now)
    today = auth.team_today()
    if away_form is None and current_user.role is Role.SALES:
        away_form = AwayForm(formdata=None, until=current_user.away_until
                             if current_user.away_on(today) else None)
    return render_template(
        "dashboard/index.html", overview=overview, today=now.date(),
        age=lambda created_at: lead_age(created_at, now),
        week_chart=charts.week_chart(overview.weeks),
        funnel_chart=charts.funnel_chart([(s.label, n) for s, n in overview.funnel]),
        quotes=quote_queries.summary(db.session, today=now.date()),
        quote_days={"expiring": quote_queries.EXPIRING_DAYS,
                    "accepted": quote_queries.ACCEPTED_DAYS},
        away_form=away_form, away=current_user.away_on(today),
        sources=request_sources(db.session, now=now), source_days=SOURCE_DAYS,
        errors=away_form.error_list() if away_form is not None else [],
    ), status
