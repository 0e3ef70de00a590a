"""The email log for admins: every queued, sent and dead email."""

from crm.auth.guard import staff_blueprint
from crm.auth.models import Role

bp = staff_blueprint("email_log", __name__, roles=(Role.ADMIN,), url_prefix="/dashboard/emails")
