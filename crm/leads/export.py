"""The lead list as CSV, written row by row so a large export streams."""

import csv
import io
from collections.abc import Iterable, Iterator
from datetime import date

HEADER = ("Reference", "Company", "Contact", "Email", "Country", "Ingredients", "Total kg",
          "Score", "Owner", "Status", "Created (UTC)", "Next action", "Estimated value",
          "Currency")
# A spreadsheet reads a cell starting with one of these as a formula (OWASP CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
FLUSH_AT = 16 * 1024


def neutralise(value) -> str:
    """The cell as text, with a leading ``'`` when a spreadsheet would run it as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def filename(today: date) -> str:
    return f"leads-{today.isoformat()}.csv"


def lead_cells(row, owner_names: dict[int, str]) -> tuple:
    return (
        row.reference, row.company_name, row.contact_name, row.contact_email, row.country,
        row.ingredients_summary, f"{row.total_kg:f}", row.score,
        owner_names.get(row.owner_id, "") if row.owner_id else "", row.status.value,
        row.created_at.strftime("%Y-%m-%d %H:%M"),
        row.next_action_on.isoformat() if row.next_action_on else "",
        f"{row.estimated_value:.2f}" if row.estimated_value is not None else "",
        row.estimated_currency or "",
    )


def streamed_csv(engine, query, *, owner_names: dict[int, str]) -> Iterator[str]:
    """Run ``query`` on a connection of its own while the response streams.

    Not the request's session: that closes when the view returns, before the body is sent,
    and this generator needs no Flask context (so it runs wherever the server iterates it).
    """
    with engine.connect() as connection:
        rows = connection.execute(query.execution_options(yield_per=1000))
        yield from csv_chunks(rows, owner_names)


def csv_chunks(rows: Iterable, owner_names: dict[int, str]) -> Iterator[str]:
    """The header and one line per lead, yielded in chunks of about ``FLUSH_AT`` characters.

    Starts with a byte-order mark so spreadsheet programs read the file as UTF-8.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow(HEADER)
    for row in rows:
        writer.writerow([neutralise(cell) for cell in lead_cells(row, owner_names)])
        if buffer.tell() >= FLUSH_AT:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
