"""The moderation queue: moderators and admins approve, spam or trash comments."""

from datetime import datetime

from flask import (
    abort,
    flash,
    get_template_attribute,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from markupsafe import Markup, escape

from crm.articles import moderation_queries as queries
from crm.articles.comments import moderation_settings
from crm.articles.models import Comment, CommentStatus
from crm.articles.moderation import (
    ACTION_LABELS,
    ModerationError,
    allowed_actions,
    author_data,
    block_author,
    blocked_kinds,
    edit_comment,
    erase_author,
    moderate,
    moderate_many,
    reply_as_staff,
    unblock_author,
    update_settings,
)
from crm.articles.moderation_forms import (
    ACTION_DONE,
    BulkActionForm,
    EditCommentForm,
    EraseAuthorForm,
    ModerationSettingsForm,
    QueueFilterForm,
    ReturnForm,
    StaffReplyForm,
    bulk_message,
)
from crm.auth.guard import allow, staff_blueprint
from crm.auth.models import Role
from crm.core.forms import FORM_EXPIRED, render_form_page
from crm.core.privacy import download
from crm.core.types import utcnow
from crm.extensions import db
from crm.leads.queries import lead_of_contact

bp = staff_blueprint("moderation", __name__, roles=(Role.MODERATOR,),
                     url_prefix="/dashboard/moderation")


def comment_age(created_at: datetime) -> str:
    """``"5 min"``, ``"3 h"``, ``"2 d"``: how long ago, as a dense queue says it."""
    seconds = max(int((utcnow() - created_at).total_seconds()), 0)
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds // size} {unit}"
    return "just now"


@bp.context_processor
def queue_helpers():
    return {"allowed_actions": allowed_actions, "action_labels": ACTION_LABELS,
            "age": comment_age, "statuses": list(CommentStatus), "blocked_kinds": blocked_kinds}


def _comment(comment_id: int) -> Comment:
    return db.session.get(Comment, comment_id) or abort(404)


def _run(operation, success) -> bool:
    """Call an operation: commit and flash ``success`` (or ``success(its result)``), or roll
    back and flash its refusal."""
    try:
        result = operation()
    except ModerationError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return False
    db.session.commit()
    flash(success(result) if callable(success) else success, "success")
    return True


@bp.get("/")
def index():
    form = QueueFilterForm(request.args, articles=queries.article_choices(db.session))
    form.validate()
    filters = form.filters()
    page = queries.comment_page(db.session, filters=filters,
                                page=request.args.get("page", 1, type=int))
    here = url_for(".index", page=page.number, **filters.as_args())
    return render_template("moderation/index.html", form=form, page=page, filters=filters,
                           counts=queries.status_counts(db.session), here=here,
                           settings=moderation_settings(db.session),
                           bulk=BulkActionForm(status=filters.status))


@bp.post("/<int:comment_id>/<action>")
def act(comment_id: int, action: str):
    comment = _comment(comment_id)
    form = ReturnForm()
    if form.validate_on_submit():
        done = f"Comment by {comment.author_name} {ACTION_DONE.get(action, 'changed')}."
        _run(lambda: moderate(db.session, comment=comment, action=action, actor=current_user),
             done)
    return redirect(form.next_url())


@bp.post("/bulk")
def bulk():
    form = BulkActionForm()
    if form.validate_on_submit():
        changed, skipped = moderate_many(db.session, ids=form.ids.data, action=form.action.data,
                                         actor=current_user)
        db.session.commit()
        flash(bulk_message(form.action.data, changed, skipped),
              "success" if changed else "warning")
    else:
        flash(form.first_error(), "error")
    return redirect(form.next_url())


def _render_show(comment: Comment, *, edit_form=None, reply_form=None, status: int = 200):
    return render_template(
        "moderation/show.html", comment=comment, settings=moderation_settings(db.session),
        errors=reply_form.error_list() if reply_form else [],
        history=queries.comment_history(db.session, comment.id),
        edit_form=edit_form or EditCommentForm(obj=comment),
        reply_form=reply_form or StaffReplyForm(), erase_author_form=EraseAuthorForm(),
    ), status


@bp.get("/<int:comment_id>")
def show(comment_id: int):
    return _render_show(_comment(comment_id))


@bp.route("/<int:comment_id>/edit", methods=["GET", "POST"])
def edit(comment_id: int):
    comment = _comment(comment_id)
    form = EditCommentForm(obj=comment)
    if form.validate_on_submit():
        edit_comment(db.session, comment=comment, author_name=form.author_name.data,
                     author_url=form.author_url.data, body=form.body.data, actor=current_user)
        db.session.commit()
        flash("The comment is saved.", "success")
        return redirect(url_for(".show", comment_id=comment.id))
    return render_form_page("moderation/edit.html", form, comment=comment)


@bp.post("/<int:comment_id>/reply")
def reply(comment_id: int):
    comment = _comment(comment_id)
    form = StaffReplyForm()
    if not form.validate_on_submit():
        return _render_show(comment, reply_form=form, status=400)
    _run(lambda: reply_as_staff(db.session, parent=comment, body=form.body.data,
                                actor=current_user),
         "Your reply is published.")
    return redirect(url_for(".show", comment_id=comment_id))


@bp.post("/<int:comment_id>/block/<what>")
def block(comment_id: int, what: str):
    """Block the author's email or IP; the message says what happened and offers the undo."""
    comment = _comment(comment_id)
    form = ReturnForm()
    back = form.next_url(url_for(".show", comment_id=comment_id))
    if form.validate_on_submit():
        value = comment.author_email if what == "email" else comment.ip

        def done(spammed: bool) -> Markup:
            undo = get_template_attribute("moderation/_macros.html", "post_button")(
                url_for(".unblock", comment_id=comment_id, what=what), "Undo", back,
                class_="btn btn-link p-0 align-baseline", hidden_label=f"the block of {value}")
            moved = " and the comment is in Spam" if spammed else ""
            return Markup(f"{escape(value)} is blocked{moved}. ") + undo

        _run(lambda: block_author(db.session, comment=comment, what=what, actor=current_user),
             done)
    return redirect(back)


@bp.post("/<int:comment_id>/unblock/<what>")
def unblock(comment_id: int, what: str):
    """Take the author's email or IP off the block list (moderators may undo their blocks)."""
    comment = _comment(comment_id)
    form = ReturnForm()
    if form.validate_on_submit():
        value = comment.author_email if what == "email" else comment.ip
        _run(lambda: unblock_author(db.session, comment=comment, what=what, actor=current_user),
             f"{value} is no longer blocked.")
    return redirect(form.next_url(url_for(".show", comment_id=comment_id)))


@bp.post("/<int:comment_id>/erase-author")
@allow(Role.ADMIN)
def erase_author_data(comment_id: int):
    """Erase the author's personal data, at their request. One who also asked for quotes is
    erased from their lead's page, which erases their comments too."""
    comment = _comment(comment_id)
    form = EraseAuthorForm()
    if not form.validate_on_submit():
        flash(form.confirm_email.errors[0] if form.confirm_email.errors else
              FORM_EXPIRED, "error")
    elif (lead_id := lead_of_contact(db.session, comment.author_email)) is not None:
        flash(Markup('They also asked us for quotes: erase them from <a href="{}">their lead'
                     '</a>, which erases their comments too.').format(
                         url_for("leads.show", lead_id=lead_id)), "error")
    else:
        _run(lambda: erase_author(db.session, comment=comment, actor=current_user,
                                  confirm_email=form.confirm_email.data),
             lambda ids: f"The author's personal data is erased: {len(ids)} comment"
                         f"{'s' if len(ids) != 1 else ''} now signed “Anonymous”.")
    return redirect(url_for(".show", comment_id=comment_id))


@bp.post("/<int:comment_id>/author-data")
@allow(Role.ADMIN)
def export_author_data(comment_id: int):
    """Everything held about the author, as a JSON file to send them."""
    comment = _comment(comment_id)
    if not ReturnForm().validate_on_submit():  # the CSRF token alone
        abort(400)
    data = author_data(db.session, comment=comment, actor=current_user)
    db.session.commit()
    return download(data, f"comment-author-{comment.id}.json")


@bp.route("/settings", methods=["GET", "POST"])
@allow(Role.ADMIN)
def settings():
    form = ModerationSettingsForm(obj=moderation_settings(db.session))
    if form.validate_on_submit():
        update_settings(db.session, **form.values(), actor=current_user)
        db.session.commit()
        flash("The moderation settings are saved.", "success")
        return redirect(url_for(".settings"))
    return render_form_page("moderation/settings.html", form)
