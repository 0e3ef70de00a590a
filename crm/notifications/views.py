"""Public email pages: the one-click unsubscribe."""

from flask import Blueprint, abort, render_template

from crm.extensions import csrf, db
from crm.notifications.operations import is_opted_out, opt_out, read_unsubscribe_token

bp = Blueprint("email", __name__)

# What each stream is, in words the reader recognises; unknown streams show their name.
STREAM_LABELS = {
    "comment-replies": "replies to your comment",
    "digests": "lead digests",
}


def mask_email(address: str) -> str:
    """``jane@example.com`` → ``j***@example.com``: enough to recognise, not to harvest."""
    local, _, domain = address.rpartition("@")
    return f"{local[:1]}***@{domain}" if local else "***"


def _subscription(token: str) -> tuple[str, str]:
    found = read_unsubscribe_token(token)
    if found is None:
        abort(404)
    return found


def _page(token: str, email: str, stream: str, unsubscribed: bool):
    return render_template(
        "notifications/unsubscribe.html", token=token, masked_email=mask_email(email),
        stream_label=STREAM_LABELS.get(stream, stream), unsubscribed=unsubscribed,
    )


@bp.get("/unsubscribe/<token>")
def unsubscribe(token):
    """Ask to confirm; changes nothing, because mail scanners follow links."""
    email, stream = _subscription(token)
    return _page(token, email, stream, is_opted_out(db.session, email=email, stream=stream))


@bp.post("/unsubscribe/<token>")
@csrf.exempt  # RFC 8058 one-click POSTs carry no CSRF token: the token authorises
def confirm_unsubscribe(token):
    email, stream = _subscription(token)
    opt_out(db.session, email=email, stream=stream)
    db.session.commit()
    return _page(token, email, stream, unsubscribed=True)
