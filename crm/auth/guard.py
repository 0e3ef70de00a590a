"""The one place that guards the staff area.

Every staff blueprint is made with ``staff_blueprint``: anonymous visitors are sent to the
login page, and a signed-in user whose role is not allowed gets 403. A view may narrow its
blueprint's roles with ``@allow(...)``.
"""

from flask import Blueprint, abort, current_app, redirect, request, url_for
from flask_login import current_user

from crm.auth.models import Role


def allow(*roles: Role):
    """Restrict one view to these roles (admins are always allowed)."""

    def decorate(view):
        view.allowed_roles = roles
        return view

    return decorate


def staff_blueprint(name: str, import_name: str, *, roles: tuple[Role, ...], **kwargs) -> Blueprint:
    """A blueprint whose every view needs a signed-in user holding one of ``roles``."""
    bp = Blueprint(name, import_name, **kwargs)

    @bp.before_request
    def require_role():
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        view = current_app.view_functions.get(request.endpoint)
        allowed = getattr(view, "allowed_roles", roles)
        if not current_user.has_role(*allowed):
            abort(403)
        return None

    return bp
