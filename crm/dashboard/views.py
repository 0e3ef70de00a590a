"""The staff home page: what each role can reach from here, and the sales overview."""

from flask import render_template
from flask_login import current_user

from crm.auth.guard import staff_blueprint
from crm.auth.models import Role
from crm.core.types import utcnow
from crm.extensions import db
from crm.leads import charts
from crm.leads import overview as lead_overview
from crm.leads.views import lead_age
from crm.quotes import queries as quote_queries

bp = staff_blueprint(
    "dashboard", __name__, roles=(Role.SALES, Role.MODERATOR), url_prefix="/dashboard"
)


@bp.get("/")
def index():
    if not current_user.has_role(Role.SALES):
        return render_template("dashboard/index.html", overview=None)
    now = utcnow()
    overview = lead_overview.overview(db.session, user_id=current_user.id, now=now)
    return render_template(
        "dashboard/index.html", overview=overview, today=now.date(),
        age=lambda created_at: lead_age(created_at, now),
        week_chart=charts.week_chart(overview.weeks),
        funnel_chart=charts.funnel_chart([(s.label, n) for s, n in overview.funnel]),
        quotes=quote_queries.summary(db.session, today=now.date()),
        quote_days={"expiring": quote_queries.EXPIRING_DAYS,
                    "accepted": quote_queries.ACCEPTED_DAYS},
    )
