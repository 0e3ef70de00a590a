"""The email log for admins: every queued, sent and dead email."""

from flask import (
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user

from crm.auth.guard import staff_blueprint
from crm.auth.models import Role
from crm.extensions import db
from crm.notifications import operations, queries
from crm.notifications.log_forms import EmailLogFilterForm
from crm.notifications.models import EmailStatus, OutboxEmail
from crm.notifications.transport import message_domain

bp = staff_blueprint("email_log", __name__, roles=(Role.ADMIN,), url_prefix="/dashboard/emails")

# Where the staff page of an email's related object lives, by table name. A link is drawn
# only when this build has that page, so no feature module is imported here.
RELATED_PAGES = {
    "users": ("accounts.edit", "user_id"),
    "leads": ("leads.show", "lead_id"),
    "comments": ("moderation.show", "comment_id"),
    "quotes": ("quotes.show", "quote_id"),
}
RESENDABLE = (EmailStatus.SENT, EmailStatus.DEAD)
# The stored HTML is shown in a sandboxed frame of our own pages, and may run nothing.
HTML_BODY_POLICY = ("sandbox; default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
                    "frame-ancestors 'self'")


def related_url(related_type: str | None, related_id: int | None) -> str | None:
    """The staff page of an email's related object, or None when there is none to link."""
    endpoint, argument = RELATED_PAGES.get(related_type, (None, None))
    if related_id is None or endpoint not in current_app.view_functions:
        return None
    return url_for(endpoint, **{argument: related_id})


@bp.context_processor
def log_helpers():
    return {"related_url": related_url, "resendable": RESENDABLE}


@bp.get("/")
def index():
    form = EmailLogFilterForm(request.args, templates=queries.templates_in_use(db.session))
    form.validate()
    filters = form.filters()
    page = queries.email_page(db.session, filters=filters,
                              page=request.args.get("page", 1, type=int))
    return render_template("email_log/index.html", form=form, page=page,
                           filter_args=filters.as_args())


@bp.get("/<int:email_id>")
def show(email_id: int):
    email = db.session.get(OutboxEmail, email_id) or abort(404)
    return render_template("email_log/show.html", email=email,
                           message_id=email.message_id(message_domain()))


@bp.get("/<int:email_id>/body.html")
def html_body(email_id: int):
    body = queries.html_body(db.session, email_id)
    if body is None:
        abort(404)
    response = make_response(body)
    response.mimetype = "text/html"
    # Set here, these win over the app-wide headers (which are only defaults).
    response.headers["Content-Security-Policy"] = HTML_BODY_POLICY
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response


@bp.post("/<int:email_id>/resend")
def resend(email_id: int):
    # Locked (on PostgreSQL) so two admins clicking at once cannot both queue it again.
    email = db.session.get(OutboxEmail, email_id, with_for_update=True) or abort(404)
    try:
        operations.resend(db.session, email=email, actor=current_user)
    except ValueError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash("Queued again", "success")
    return redirect(url_for(".show", email_id=email_id))
