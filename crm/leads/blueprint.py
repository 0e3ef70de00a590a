"""The sales area's blueprint, shared by the list views and the lead page views."""

from crm.auth.guard import staff_blueprint
from crm.auth.models import Role

bp = staff_blueprint("leads", __name__, roles=(Role.SALES,), url_prefix="/dashboard/leads")
