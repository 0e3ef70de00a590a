"""The lead search, through the index of migrations 0004 and 0009 on each database."""

from sqlalchemy import Integer, column, literal_column, select, table

from crm.core.paging import contains_pattern
from crm.leads.models import Lead, LeadStatus

_fts = table("leads_fts", column("rowid", Integer))


def search_condition(session, q: str, *, status: LeadStatus | None = None,
                     walk_order: bool = False):
    """Leads whose reference, company, contact or email contains ``q``, through the index.

    SQLite: the FTS5 trigram table matches a quoted phrase as a substring of 3+ characters,
    in the search text only (its other column, the status, is matched too when the list
    shows one ``status``: one FTS query instead of checking every match's status).
    PostgreSQL: ILIKE, which the GIN index over (status, trigrams) serves from 3 characters.
    Shorter terms fall back to a LIKE scan (rare, and short terms match most rows anyway).

    ``walk_order``: the term matches many leads, so the page fills fastest walking the leads
    in the list's order and keeping those among the matches, rather than fetching every match
    and sorting them (SQLite, whose planner would start from the matches: ``id + 0`` keeps it
    from looking the matches up by id; PostgreSQL's planner weighs both by itself).
    """
    term = q.strip().lower()
    pattern = contains_pattern(term)
    if session.get_bind().dialect.name == "sqlite":
        if len(term) < 3:
            return Lead.search_text.like(pattern, escape="\\")
        match = 'search_text : "' + term.replace('"', '""') + '"'
        if status is not None:
            match += f' AND status : "{status.value}"'
        matches = select(_fts.c.rowid).where(literal_column("leads_fts").op("MATCH")(match))
        return (Lead.id + 0 if walk_order else Lead.id).in_(matches)
    return Lead.search_text.ilike(pattern, escape="\\")
