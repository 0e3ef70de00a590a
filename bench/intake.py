"""Quote requests and the lead list under gunicorn, each beside a baseline from the same run.

    .venv/bin/python bench/intake.py [--leads 100000] [--seconds 4] [--concurrency 8]
    .venv/bin/python bench/intake.py --postgres postgresql+psycopg://postgres@127.0.0.1/test
    .venv/bin/python bench/intake.py --both       # SQLite, then PostgreSQL

Builds a throw-away database (as bench/comments.py does), seeds ``--leads`` leads with their
companies, contacts, inquiries, lines and two emails each, and their quotes
(``crm.leads.bulk.seed_bulk`` and ``crm.quotes.bulk.seed_bulk_quotes``, what ``flask crm
seed-bulk`` runs, ANALYZE included) and an admin with a known password,
and serves bench/intake_app.py with two gunicorns (sync workers, free loopback ports): ``app``
and ``naive_app``, whose lead list searches with an unindexed ILIKE and counts every match (as
``db.paginate`` does): the "plain ILIKE that scans every row" of the issue. On one
connection (p50, p99) and on ``--concurrency`` connections (req/s), each row beside its
baseline (the two alternate in ``--rounds`` slices, so that other processes' bursts hit both
alike):

- ``POST /bench/bare-insert``: a one-field CSRF form, one insert, a commit, a 303: the baseline;
- ``POST /contact``: a complete quote request (one L-serine line computed from a 500 mg × 60 ×
  10,000 × 5 % plan), a unique email and company each time, so each post makes a new lead;
  CSRF token from one form view per client, a fresh ticket per post; every answer a 303.
  Target: at least half the bare insert's rate. Beside them, on one connection, the same post
  to ``/bench/quote-form-only`` (the form alone, no pipeline): the part of the gap that is the
  form's;
- ``GET /dashboard/leads/``, signed in, from ``naive_app`` and from ``app``: unfiltered, and
  the searches of ``SEARCHES``. Target: each search at least 5 × the naive rate; then, from
  ``app`` alone, the pages of ``OTHER_PAGES`` (the overview, an owner's list, the unassigned
  queue, the list by score and by status, the email log and its searches, the quotes list
  and a search of it), with no target;

and, in this process, the SQL alone of each search: ``crm.leads.queries.lead_page`` (its two
statements, the count and the page), indexed and naive, best of ``--repeats``; and the three
posts through Flask's test client (no HTTP), ``--posts`` of each: their median time and the
database's share of it (statements and commit, timed at the driver). Last, the ceilings: of a
quote request, the form alone's rate with the pipeline's database time added (as if the
pipeline's Python cost nothing); of each search, the unfiltered list's rate over that naive
search's (a search cannot beat the same page without one).
"""

import argparse
import os
import statistics
import sys
import time
import uuid
from collections import namedtuple
from contextlib import contextmanager
from pathlib import Path

from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import event, func, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import intake_app  # noqa: E402
from bench.harness import (  # noqa: E402
    Browser,
    Result,
    add_database_arguments,
    databases,
    exit_cleanly_on_sigterm,
    hidden_value,
    run_load,
    start_gunicorn,
    stop_gunicorn,
)
from crm.auth.models import Role  # noqa: E402
from crm.auth.operations import create_user  # noqa: E402
from crm.demo import seed_demo  # noqa: E402
from crm.extensions import db  # noqa: E402
from crm.leads import queries  # noqa: E402
from crm.leads.bulk import seed_bulk, settle  # noqa: E402
from crm.leads.models import Lead, LeadStatus  # noqa: E402
from crm.quotes.bulk import seed_bulk_quotes  # noqa: E402

SECRET_KEY = "bench-intake-not-a-secret"
ADMIN_EMAIL, ADMIN_PASSWORD = "bench-admin@example.com", "bench-admin-password-not-secret"
RUN = uuid.uuid4().hex[:6]  # keeps this run's emails and companies apart from the seeded ones
QUOTE = {  # the form as a browser sends it: empty fields included
    "name": "Ana Formulator", "phone": "", "country": "US", "company_type": "",
    "job_title": "", "formulation_type": "capsule", "dose_mg": "500", "servings_per_unit": "60",
    "units": "10000", "overage_pct": "5", "target_market": "", "project_stage": "",
    "target_launch": "", "lines-0-ingredient": "l-serine", "lines-0-other": "",
    "lines-0-grade": "", "lines-0-form": "", "lines-0-quantity_kg": "", "lines-0-compute": "y",
    "lines-0-dose_mg": "", "message": "", "consent": "y", "website": "", "source_page": "",
}
# The lead list as a salesperson asks for it: (q, status). Terms that match many leads (about
# 11 % and 6 %) within one status, and a company looked up in every status (about 0.3 %).
SEARCHES = [("", None), ("nutra", "new"), ("kowal", "qualified"), ("summitpeak", "all")]
# Other staff pages, timed without a baseline or a target: the overview; the list of a
# salesperson's own leads and of the unassigned queue (the bench admin owns no lead: the case
# where a walk in date order never fills its page); the list in score order and in pipeline
# order (by status); the email log (two emails a lead), its dead emails, and a search for one
# company's domain; the quotes awaiting an answer (soonest expiry first), the accepted ones, and
# a search of them all.
OTHER_PAGES = ["/dashboard/", "/dashboard/leads/?owner=me", "/dashboard/leads/?owner=unassigned",
               "/dashboard/leads/?sort=score", "/dashboard/leads/?sort=status&dir=asc",
               "/dashboard/emails/",
               "/dashboard/emails/?status=dead", "/dashboard/emails/?recipient=c4242-",
               "/dashboard/quotes/", "/dashboard/quotes/?view=accepted",
               "/dashboard/quotes/?view=all&q=summitpeak"]


def list_path(q: str, status: str | None) -> str:
    args = "&".join(([f"q={q}"] if q else []) + ([f"status={status}"] if status else []))
    return "/dashboard/leads/" + (f"?{args}" if args else "")


def list_filters(q: str, status: str) -> queries.LeadFilters:
    """What ``list_path(q, status)`` asks ``lead_page`` for."""
    statuses = tuple(LeadStatus) if status == "all" else (LeadStatus(status),)
    return queries.LeadFilters(q=q, statuses=statuses)


# --- the database -------------------------------------------------------------------------------


def seed(app, leads: int) -> float:
    """Migrate, add the demo data, ``leads`` leads and the admin; return the seconds it took."""
    from flask_migrate import upgrade

    with app.app_context():
        upgrade()
        began = time.perf_counter()
        seed_demo(db.session)
        create_user(db.session, email=ADMIN_EMAIL, name="Bench Admin", role=Role.ADMIN,
                    password=ADMIN_PASSWORD)
        db.session.commit()
        done = [0]

        def progress(n: int) -> None:
            before, done[0] = done[0], done[0] + n
            if sys.stderr.isatty():  # one line, rewritten
                print(f"\r  seeding: {done[0]:,} of {leads:,} leads", file=sys.stderr,
                      end="\n" if done[0] >= leads else "", flush=True)
            elif done[0] * 10 // leads > before * 10 // leads:  # a log: a line a tenth
                print(f"  seeding: {done[0]:,} of {leads:,} leads", file=sys.stderr, flush=True)

        seed_bulk(db.session, leads=leads, progress=progress)
        seed_bulk_quotes(db.session)
        db.session.commit()
        settle(db.engine)  # as flask crm seed-bulk does
        seconds = time.perf_counter() - began
        intake_app.metadata.create_all(db.engine)
        db.engine.dispose()  # gunicorn's workers open their own connections
    return seconds


def row_counts(app) -> tuple[int, int]:
    with app.app_context():
        counts = (db.session.scalar(select(func.count()).select_from(Lead)),
                  db.session.scalar(select(func.count()).select_from(intake_app.bench_rows)))
        db.engine.dispose()
    return counts


@contextmanager
def naive_search():
    """``crm.leads.queries`` as naive_app has it (unindexed search, exact count), here."""
    replaced = intake_app.make_naive()
    try:
        yield
    finally:
        for name, value in replaced.items():
            setattr(queries, name, value)


def best_ms(run, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        began = time.perf_counter()
        run()
        times.append(time.perf_counter() - began)
    return min(times) * 1000


def sql_times(app, repeats: int) -> list[tuple]:
    """(path, leads counted, indexed ms, naive ms) of ``lead_page`` (its two statements: the
    capped count and the page) for each search."""
    rows = []
    with app.app_context():
        for q, status in SEARCHES:
            if not q:
                continue
            filters = list_filters(q, status)

            def page(filters=filters):
                return queries.lead_page(db.session, filters=filters)

            indexed = best_ms(page, repeats)
            with naive_search():
                naive = best_ms(page, repeats)
            rows.append((list_path(q, status), page().total_label, indexed, naive))
        db.engine.dispose()
    return rows


# --- the database's share of a post -------------------------------------------------------------

Share = namedtuple("Share", "name ms database_ms statements commit_ms")
BARE, FORM_ONLY, CONTACT = "POST /bench/bare-insert", "POST /bench/quote-form-only", "POST /contact"


def database_share(app, posts: int, rounds: int) -> tuple[list[Share], dict]:
    """The three posts in this process, through Flask's test client (no HTTP): each one's
    median time and the median time the database took of it (its statements and its commit,
    timed at the driver); and the leads and bench rows the posts made. The database's time is
    what a quote request costs even with no Python at all in its pipeline."""
    intake_app.add_routes(app)
    app.config.update(CRM_MIN_FILL_SECONDS=0, CRM_INQUIRY_RATE_LIMIT="1000000 per minute")
    client = app.test_client()
    quote_token = hidden_value(client.get("/contact").data, "csrf_token")
    bare_token = hidden_value(client.get("/bench/bare-insert").data, "csrf_token")
    forms = {BARE: lambda n: {"csrf_token": bare_token, "value": f"in-process-{n}"},
             FORM_ONLY: lambda n: quote_form(quote_token, f"p{n}"),
             CONTACT: lambda n: quote_form(quote_token, f"p{n}")}
    spent = {"database": 0.0, "statements": 0, "commit": 0.0}

    def before(conn, *_):
        conn.info["bench_began"] = time.perf_counter()

    def after(conn, *_):
        spent["database"] += time.perf_counter() - conn.info["bench_began"]
        spent["statements"] += 1

    def commit(dbapi_connection):
        began = time.perf_counter()
        driver_commit(dbapi_connection)
        spent["commit"] += time.perf_counter() - began

    samples = {name: [] for name in forms}
    sequence = 0
    with app.app_context():
        engine = db.engine
    driver_commit = engine.dialect.do_commit
    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    engine.dialect.do_commit = commit
    try:
        for round_ in range(rounds + 1):  # the first round warms up, untimed
            for name, form in forms.items():
                for _ in range(posts // rounds):
                    sequence += 1
                    spent.update(database=0.0, statements=0, commit=0.0)
                    began = time.perf_counter()
                    response = client.post(name.removeprefix("POST "), data=form(sequence))
                    took = time.perf_counter() - began
                    if response.status_code != 303:
                        raise RuntimeError(f"{name} answered {response.status_code}")
                    if round_:
                        samples[name].append((took, spent["database"] + spent["commit"],
                                              spent["statements"], spent["commit"]))
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)
        del engine.dialect.do_commit  # the dialect's own method again
        engine.dispose()
    shares = [Share(name, *(statistics.median(s[i] for s in rows) * (1000 if i != 2 else 1)
                            for i in range(4)))
              for name, rows in samples.items()]
    each = (rounds + 1) * (posts // rounds)
    return shares, {"leads": each, "bench_rows": each}


# --- the clients ------------------------------------------------------------------------------


TICKETS = URLSafeTimedSerializer(SECRET_KEY, salt="form-ticket")


def quote_form(csrf_token: str, name: str) -> dict:
    """``QUOTE`` with the token, a fresh ticket, and a company and email no one else sent."""
    n = f"{RUN}-{name}"
    return {**QUOTE, "csrf_token": csrf_token, "ticket": TICKETS.dumps(uuid.uuid4().hex),
            "company": f"Bench Nutrition {n}", "email": f"ana@bench-{n}.example"}


class QuoteClient:
    """One browser on the quote form: one view (session, CSRF token), then a lead per post."""

    def __init__(self, port: int, name: str, path: str = "/contact"):
        self.browser = Browser(port)
        self.csrf_token = self.browser.csrf_token("/contact")
        self.name = name
        self.path = path
        self.sequence = 0
        self.created = 0  # 303s: leads made (by /contact)

    def __call__(self) -> int:
        self.sequence += 1
        form = quote_form(self.csrf_token, f"{self.name}-{self.sequence}")
        status = self.browser.send("POST", self.path, form)[0]
        self.created += status == 303 and self.path == "/contact"
        return status


class BareClient:
    """One browser on the bare-insert form: one view, then one row per post."""

    def __init__(self, port: int, name: str):
        self.browser = Browser(port)
        self.csrf_token = self.browser.csrf_token("/bench/bare-insert")
        self.name = name
        self.sequence = 0
        self.created = 0  # 303s: rows inserted

    def __call__(self) -> int:
        self.sequence += 1
        form = {"csrf_token": self.csrf_token, "value": f"{self.name}-{self.sequence}"}
        status = self.browser.send("POST", "/bench/bare-insert", form)[0]
        self.created += status == 303
        return status


class PageClient:
    """A signed-in browser (one login) reading ``path``."""

    def __init__(self, port: int):
        self.browser = Browser(port)
        form = {"csrf_token": self.browser.csrf_token("/login"), "email": ADMIN_EMAIL,
                "password": ADMIN_PASSWORD}
        status, _ = self.browser.send("POST", "/login", form)
        if status != 302:
            raise RuntimeError(f"login failed ({status})")
        self.path = "/dashboard/leads/"

    def __call__(self) -> int:
        return self.browser.send("GET", self.path)[0]


# --- one database -------------------------------------------------------------------------------


Row = namedtuple("Row", "name conns result size")


def bench(database, args) -> None:
    load = os.getloadavg()[0]  # other processes' work skews every figure: say how busy we were
    app = database.app(SECRET_KEY)
    seeded = seed(app, args.leads)
    sql = sql_times(app, args.repeats)
    shares, made_in_process = database_share(app, args.posts, args.rounds)
    env = {"SECRET_KEY": SECRET_KEY, "CRM_MIN_FILL_SECONDS": "0",
           "CRM_INQUIRY_RATE_LIMIT": "1000000 per minute"}
    servers = [start_gunicorn(f"bench.intake_app:{name}", database, args.workers, env)
               for name in ("app", "naive_app")]
    try:
        pairs, made = measure(servers[0][1], servers[1][1], args)
    finally:
        for proc, _ in servers:
            stop_gunicorn(proc)
    made = {name: made[name] + made_in_process[name] for name in made}
    load = (load, os.getloadavg()[0])
    report(database.label, args, seeded, pairs, sql, shares, made, row_counts(app), load)


def measure(port: int, naive_port: int, args) -> tuple[list, dict]:
    """(baseline Row, Row) pairs (the baseline None for a page timed on its own), and how many
    leads and bench rows the posts made."""
    n = args.concurrency
    warm = max(2 * args.workers, n)  # enough for every worker to load its templates

    def pair(baseline: tuple, rival: tuple, conc: int) -> tuple[Row, Row]:
        """Both rows in alternating slices, so that other processes' bursts hit both alike."""
        results = [Result(), Result()]
        for _ in range(args.rounds):
            for n, (_, clients) in enumerate((baseline, rival)):
                results[n] += run_load(clients[:conc], args.seconds / args.rounds,
                                       args.max_requests // args.rounds)
        return tuple(Row(name, conc, result, clients[0].browser.bytes)
                     for (name, clients), result in zip((baseline, rival), results, strict=True))

    bare = (BARE, [BareClient(port, f"b{i}") for i in range(n)])
    quote = (CONTACT, [QuoteClient(port, f"q{i}") for i in range(n)])
    form_only = (FORM_ONLY, [QuoteClient(port, f"f{i}", "/bench/quote-form-only")
                             for i in range(n)])
    for _, clients in (bare, quote, form_only):
        run_load(clients, 30, warm)
    pairs = [pair(bare, quote, conc) for conc in (1, n)] + [pair(bare, form_only, 1)]
    readers = {p: [PageClient(p) for _ in range(n)] for p in (port, naive_port)}
    for q, status in SEARCHES:
        path = list_path(q, status)
        for clients in readers.values():
            for client in clients:
                client.path = path
            run_load(clients, 60, warm)
        pairs += [pair((f"{path} naive", readers[naive_port]), (path, readers[port]), conc)
                  for conc in (1, n)]
    for path in OTHER_PAGES:
        clients = readers[port]
        for client in clients:
            client.path = path
        run_load(clients, 60, warm)
        pairs += [(None, Row(path, conc, run_load(clients[:conc], args.seconds,
                                                  args.max_requests), clients[0].browser.bytes))
                  for conc in (1, n)]
    made = {"leads": sum(c.created for c in quote[1]),
            "bench_rows": sum(c.created for c in bare[1])}
    return pairs, made


def report(label: str, args, seeded: float, pairs: list, sql: list, shares: list[Share],
           made: dict, counts: tuple[int, int], load: tuple[float, float]) -> None:
    analyzed = " (VACUUM ANALYZE included)" if label == "PostgreSQL" else ""
    print(f"\n{label}: gunicorn {args.workers} sync workers per server, {args.leads:,} leads "
          f"seeded in {seeded:.1f} s{analyzed}, {args.seconds:g} s per row in {args.rounds} "
          f"slices alternating with its baseline's; load average {load[0]:.1f} before the run, "
          f"{load[1]:.1f} after, on {os.cpu_count()} cores")
    print(f"{'request':<50} {'conns':>5} {'requests':>8} {'req/s':>8} {'p50 ms':>8} "
          f"{'p99 ms':>8}  answers")

    def line(row: Row, note: str = "") -> None:
        answers = ", ".join(f"{k}×{v}" for k, v in sorted(row.result.statuses.items(), key=str))
        size = "" if row.name.startswith("POST") else f", {row.size / 1024:,.0f} KiB each"
        wrong = unexpected(row)
        print(f"{row.name:<50} {row.conns:>5} {row.result.requests:>8} {row.result.rate:>8.1f} "
              f"{row.result.percentile(50):>8.1f} {row.result.percentile(99):>8.1f}  {answers}"
              f"{size}{note}" + (f"  UNEXPECTED: {wrong}" if wrong else ""))

    ratios = {}  # (request, connections): rate ÷ its baseline's rate
    wrong = sum(unexpected(row) for pair in pairs for row in pair if row)
    for baseline, row in pairs:
        if baseline is None:  # a page timed on its own
            line(row)
            continue
        times = row.result.rate / baseline.result.rate if baseline.result.rate else float("nan")
        ratios[row.name, row.conns] = times
        line(baseline)
        line(row, f"  ({times:.2f} × bare insert)" if row.name.startswith("POST")
             else f"  ({times:.1f} × naive)")
    print(f"SQL alone: lead_page's count and page statements in process, best of {args.repeats}:")
    for path, counted, indexed, naive in sql:
        print(f"  {path:<48} {counted:>6} leads  indexed {indexed:6.1f} ms  naive "
              f"{naive:6.1f} ms  ({naive / indexed:.1f} ×)")
    print(f"In process (Flask's test client, no HTTP), median of {args.posts} posts each, "
          "and the database's share (statements and commit, timed at the driver):")
    for share in shares:
        print(f"  {share.name:<48} {share.ms:6.2f} ms  database {share.database_ms:5.2f} ms "
              f"({share.statements:.0f} statement{'s' * (share.statements != 1)}, "
              f"commit {share.commit_ms:.2f} ms)")
    leads, bench_rows = counts
    print(f"rows afterwards: leads {leads:,} (expected {args.leads + made['leads']:,}), "
          f"bench_rows {bench_rows:,} (expected {made['bench_rows']:,}), warm-up included")

    def met(values: list[float], target: float) -> str:
        if wrong:
            return f"not judged ({wrong} unexpected answers)"
        return "met" if min(values) >= target else "NOT met"

    n = args.concurrency
    intake = [ratios[CONTACT, conns] for conns in (1, n)]
    search = {q: [ratios[list_path(q, status), conns] for conns in (1, n)]
              for q, status in SEARCHES if q}
    print(f"target: quote requests ≥ 0.5 × bare insert: {met(intake, 0.5)} "
          f"({intake[0]:.2f} at 1 connection, {intake[1]:.2f} at {n})")
    # The most a quote request can gain: the form alone, plus the time its pipeline spends in
    # the database, as if the pipeline's Python cost nothing.
    rate = {row.name: row.result.rate for pair in pairs for row in pair if row and row.conns == 1}
    share = {s.name: s.database_ms / 1000 for s in shares}
    floor = 1 / rate[FORM_ONLY] + share[CONTACT] - share[FORM_ONLY]
    print(f"ceiling: the form alone plus the pipeline's database time, "
          f"{1 / floor / rate[BARE]:.2f} × bare insert at 1 connection")
    print(f"target: searches ≥ 5 × naive: {met(sum(search.values(), []), 5)} ("
          + ", ".join(f"{q} {one:.1f} / {many:.1f}" for q, (one, many) in search.items())
          + f" at 1 / {n} connections)")
    # The most a search can gain: the same page with no search at all, against each naive one.
    plain = {row.conns: row.result.rate for _, row in pairs if row.name == list_path("", None)}
    naive = {(row.name.removesuffix(" naive"), row.conns): row.result.rate
             for row, _ in pairs if row and row.name.endswith(" naive")}
    ceilings = {q: [plain[conns] / naive[list_path(q, status), conns]
                    if naive[list_path(q, status), conns] else float("nan") for conns in (1, n)]
                for q, status in SEARCHES if q}
    print("ceiling: the list with no search, as × each naive search ("
          + ", ".join(f"{q} {one:.1f} / {many:.1f}" for q, (one, many) in ceilings.items())
          + f" at 1 / {n} connections)", flush=True)


def unexpected(row: Row) -> int:
    """Answers other than the 303 of a post or the 200 of a page."""
    expected = 303 if row.name.startswith("POST") else 200
    return sum(v for k, v in row.result.statuses.items() if k != expected)


# --- main -------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="\n".join(__doc__.splitlines()[1:]))
    parser.add_argument("--leads", type=int, default=100_000, help="leads seeded (100000)")
    parser.add_argument("--seconds", type=float, default=4, help="per row (default 4)")
    parser.add_argument("--rounds", type=int, default=4,
                        help="slices each row and its baseline alternate in (default 4)")
    parser.add_argument("--max-requests", type=int, default=5000, help="per row (default 5000)")
    parser.add_argument("--concurrency", type=int, default=8,
                        help="connections for the throughput rows (default 8)")
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 2) + 1,
                        help="gunicorn sync workers per server (default 2 × cores + 1)")
    parser.add_argument("--posts", type=int, default=400,
                        help="in-process posts of each kind, for the database's share (400)")
    parser.add_argument("--repeats", type=int, default=5,
                        help="runs of each SQL statement; the best counts (default 5)")
    add_database_arguments(parser)
    args = parser.parse_args()
    exit_cleanly_on_sigterm()
    for database in databases(args, prefix="crm-bench-intake-"):
        with database as chosen:
            bench(chosen, args)


if __name__ == "__main__":
    main()
