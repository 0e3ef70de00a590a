"""Quotes: priced offers built from a lead, sent to the customer, accepted online."""
