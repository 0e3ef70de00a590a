"""The lead search, through the index of migrations 0004, 0009 and 0010 on each database."""

from sqlalchemy import Integer, and_, column, literal_column, table

from crm.core.paging import contains_pattern, fts_phrase
from crm.leads.models import Lead, LeadStatus

_fts = table("leads_fts", column("rowid", Integer))


def status_code(status: LeadStatus) -> str:
    """How SQLite's search index holds a status: its first three letters, one trigram
    (migration 0010), which no other status shares."""
    return status.value[:3]


def search_condition(session, q: str, *, status: LeadStatus | None = None,
                     walk_order: bool = False):
    """Leads whose reference, company, contact or email contains ``q``, through the index.

    SQLite: the FTS5 trigram table matches a quoted phrase as a substring of 3+ characters,
    in the search text only (its other column, the status code, is matched too when the list
    shows one ``status``: one FTS query instead of checking every match's status). The index
    drives the query: the condition joins it to the leads by rowid.
    PostgreSQL: LIKE, which the GIN index over (status, trigrams) serves from 3 characters
    (the search text and the term are both lower case, so LIKE finds what ILIKE would,
    without folding the case of every match it rechecks).
    Shorter terms fall back to a LIKE scan (rare, and short terms match most rows anyway).

    ``walk_order``: the term matches many leads, so the page fills fastest walking the leads
    in the list's order and keeping those that contain the term, rather than fetching every
    match and sorting them: on SQLite a LIKE on each lead walked (dense matches make the walk
    short); PostgreSQL's planner weighs both plans by itself.
    """
    term = q.strip().lower()
    pattern = contains_pattern(term)
    if session.get_bind().dialect.name != "sqlite" or len(term) < 3 or walk_order:
        return Lead.search_text.like(pattern, escape="\\")
    match = "search_text : " + fts_phrase(term)
    if status is not None:
        match += f' AND status : "{status_code(status)}"'
    return and_(_fts.c.rowid == Lead.id, literal_column("leads_fts").op("MATCH")(match))
