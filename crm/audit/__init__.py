"""The audit trail of staff actions outside a lead's timeline."""
