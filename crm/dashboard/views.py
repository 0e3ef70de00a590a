"""The staff home page: what each role can reach from here."""

from flask import render_template

from crm.auth.guard import staff_blueprint
from crm.auth.models import Role

bp = staff_blueprint(
    "dashboard", __name__, roles=(Role.SALES, Role.MODERATOR), url_prefix="/dashboard"
)


@bp.get("/")
def index():
    return render_template("dashboard/index.html")
