"""Leads: companies, contacts, inquiries as sent, the lead state machine and the sales screens."""
