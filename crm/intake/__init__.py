"""The public quote-request form and the intake pipeline that turns it into a lead."""
