"""The lead page's actions on who asked: correcting their details, and, at their request,
showing them or erasing the personal data we hold."""

from flask import abort, redirect
from flask_login import current_user

from crm.auth.models import Role
from crm.core.forms import Form
from crm.core.privacy import download
from crm.extensions import db
from crm.leads import contact_export, contacts, erasure
from crm.leads.blueprint import bp
from crm.leads.detail_forms import ContactDetailsForm, EraseContactForm
from crm.leads.detail_views import keep_typed, lead_or_404, render_lead_page, save_change


@bp.post("/<int:lead_id>/contact")
def update_contact(lead_id: int):
    """Correct the contact's or company's details. A refused or stale save shows the page
    again with what was typed."""
    lead = lead_or_404(lead_id)
    form = ContactDetailsForm()
    if not form.validate_on_submit():
        return render_lead_page(lead, contact_form=form, status=400)
    changed = []
    refused = save_change(lead, form.version.data, lambda: changed.extend(contacts.update_contact(
        db.session, lead=lead, actor=current_user, expected_version=form.version.data,
        **form.details())),
        lambda: "The contact details are saved." if changed else
        "Nothing to save: the details were already these.")
    if refused:
        return keep_typed(lead, refused, contact_form=form)
    return redirect(form.next_url(lead.id))


@bp.post("/<int:lead_id>/erase-contact")
def erase_contact(lead_id: int):
    """Erase the contact's personal data, at their request (there is no undo)."""
    _admins_only()
    lead = lead_or_404(lead_id)
    form = EraseContactForm()
    if not form.validate_on_submit():
        return render_lead_page(lead, erase_form=form, status=400)
    refused = save_change(lead, form.version.data, lambda: erasure.erase_contact(
        db.session, lead=lead, actor=current_user, confirm_email=form.confirm_email.data,
        expected_version=form.version.data),
        "The contact's personal data is erased, from this lead and every other record.")
    if refused:
        return keep_typed(lead, refused, erase_form=form)
    return redirect(form.next_url(lead.id))


@bp.post("/<int:lead_id>/contact-data")
def export_contact_data(lead_id: int):
    """Everything held about the contact, as a JSON file to send them."""
    _admins_only()
    lead = lead_or_404(lead_id)
    if not Form().validate_on_submit():  # the CSRF token alone
        abort(400)
    data = contact_export.contact_data(db.session, lead.contact, actor=current_user)
    db.session.commit()
    return download(data, f"contact-{lead.contact_id}.json")


def _admins_only() -> None:
    """A person's data, all of it at once, shown or erased for good: for admins alone."""
    if current_user.role is not Role.ADMIN:
        abort(403)
