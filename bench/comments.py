"""Public comment pages under gunicorn: article views and comment posts, with a /healthz baseline.

    .venv/bin/python bench/comments.py [--seconds 4] [--concurrency 8] [--workers 5]
    .venv/bin/python bench/comments.py --postgres postgresql+psycopg://postgres@127.0.0.1/test
    .venv/bin/python bench/comments.py --both       # SQLite, then PostgreSQL

Builds a throw-away database (a SQLite file in a temporary folder, or a throw-away schema on
PostgreSQL), migrates it, publishes one article with 1,000 approved comments (some of them
threaded replies), and serves ``crm:create_app()`` with gunicorn (sync workers) on a free
loopback port. A load generator in this process (threads and ``http.client``) then measures, on
one connection for latency (p50, p99) and on ``--concurrency`` connections for throughput:

- ``GET /healthz``, the baseline: compare the other rows with it, as a ratio (PERFORMANCE.md);
- ``GET /articles/<slug>``, the page with its 1,000 comments;
- ``POST /articles/<slug>/comments``: a valid CSRF token (from the session of one page view per
  client), a fresh form ticket per post signed with the server's SECRET_KEY, a unique body;
  every answer must be a 302.

PostgreSQL is chosen by ``--postgres URL`` or ``CRM_BENCH_DATABASE_URL``; ``--both`` uses that URL
(default postgresql+psycopg://postgres@127.0.0.1:5432/test) after SQLite. Every connection goes
to the loopback interface only.
"""

import argparse
import os
import random
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import func, insert, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.harness import (  # noqa: E402
    Browser,
    GetClient,
    add_database_arguments,
    databases,
    exit_cleanly_on_sigterm,
    run_load,
    start_gunicorn,
    stop_gunicorn,
)
from crm.articles.comments import body_fingerprint  # noqa: E402
from crm.articles.models import Article, Comment, CommentStatus  # noqa: E402
from crm.articles.rendering import render_comment, render_markdown  # noqa: E402
from crm.core.types import utcnow  # noqa: E402
from crm.extensions import db  # noqa: E402
from crm.notifications.models import OutboxEmail  # noqa: E402

SECRET_KEY = "bench-comments-not-a-secret"
SLUG = "protein-blends-in-clear-drinks"
SEED_COMMENTS = 1000

SENTENCES = [
    "We switched our ready-to-drink line to the hydrolysed whey isolate last spring.",
    "Clarity held at pH 3.4 but we saw a faint haze after six weeks at 30 °C.",
    "Has anyone measured the bitterness threshold against the standard grade?",
    "Our panel preferred the sunflower lecithin over soy for the chocolate variant.",
    "The certificate of analysis lists heavy metals well under the EU limits.",
    "We dose 0.15% gellan and the suspension is stable through UHT.",
    "Lead times from the Rotterdam warehouse have been about nine working days for us.",
    "Did you adjust the citrate buffer when you raised the protein to 6%?",
    "Pea protein gave us a chalky finish until we micronised it.",
    "Thanks for the clear write-up; the solubility table alone saved us a week.",
    "For vegan claims we needed the allergen statement in German and French too.",
    "Heat treatment above 85 °C denatured enough of it to change the mouthfeel.",
    "We ran a 2 kg pilot batch and the foam was much lower than with the concentrate.",
    "Stevia masked the off-notes better than sucralose in our trials.",
    "Could you share the particle size distribution for the agglomerated grade?",
    "Our QA team asked whether the GMO statement covers the carrier as well.",
    "The sample arrived well packed, with the batch number on every bag.",
    "Shelf life at ambient was twelve months in our accelerated test.",
    "We saw calcium precipitate when the water hardness went above 200 ppm.",
    "Please add the kosher certificate to the documents page if you can.",
]
LINKS = ["https://www.efsa.europa.eu/en/topics/topic/food-ingredients-and-packaging",
         "https://example.org/trial-notes"]
NAMES = ["Anna Keller", "Tomás Ruiz", "Priya Nair", "Jonas Berg", "Mei Chen", "Olu Adeyemi",
         "Sara Lindqvist", "Marco Bianchi", "Fatima Zahra", "Liam O'Connor", "Yuki Tanaka",
         "Chloé Martin"]


def comment_body(rng: random.Random, tag: str = "") -> str:
    """A plausible comment of 100-600 characters: sentences, sometimes two paragraphs or a link."""
    link = f" Notes: {rng.choice(LINKS)}" if rng.random() < 0.1 else ""
    target = rng.randint(100, 600) - len(tag) - len(link)
    parts: list[str] = []
    while sum(len(p) + 1 for p in parts) < target:
        parts.append(rng.choice(SENTENCES))
    body = " ".join(parts)
    if len(body) > target:
        body = body[:target].rsplit(" ", 1)[0].rstrip(",;") + "."
    if rng.random() < 0.3 and ". " in body:
        body = body.replace(". ", ".\n\n", 1)
    body = body + link + tag
    while len(body) < 100:
        body = rng.choice(SENTENCES) + " " + body
    return body[-600:]


# --- the database -------------------------------------------------------------------------------


def seed(app) -> list[int]:
    """Migrate, publish one article and bulk-insert its approved comments; return their ids."""
    from flask_migrate import upgrade

    rng = random.Random(1000)
    with app.app_context():
        upgrade()
        now = utcnow()
        markdown = "\n\n".join(
            f"## Part {n}\n\n" + " ".join(rng.sample(SENTENCES, 6)) for n in range(1, 5))
        article = Article(slug=SLUG, title="Protein blends in clear drinks",
                          summary="What we learnt from two years of clear protein waters.",
                          body_markdown=markdown, body_html=render_markdown(markdown),
                          published=True, published_at=now - timedelta(days=60),
                          comments_open=True)
        db.session.add(article)
        db.session.flush()
        start = now - timedelta(days=59)
        step = timedelta(days=58) / SEED_COMMENTS

        def row(n: int, parent: dict | None) -> dict:
            name = rng.choice(NAMES)
            body = comment_body(rng)
            created = start + step * n
            return {
                "article_id": article.id, "parent_id": parent["id"] if parent else None,
                "depth": parent["depth"] + 1 if parent else 0, "author_name": name,
                "author_email": f"reader{n}@example.com",
                "author_url": "https://example.com/lab" if n % 9 == 0 else None,
                "body": body, "body_html": render_comment(body),
                "body_hash": body_fingerprint(body), "status": CommentStatus.APPROVED,
                "spam_score": 0, "spam_reasons": [], "ip": "192.0.2.10",
                "user_agent": "bench", "notify_replies": n % 5 == 0, "created_at": created,
                "moderated_at": created + timedelta(hours=2),
            }

        # Three tiers, so every reply's parent already has its id: 600 comments, 300 replies to
        # them, 100 replies to replies. Times are spread over the tiers; replies come later.
        counts = (600, 300, 100)
        made: list[dict] = []
        by_id: dict[int, dict] = {}
        n = 0
        for depth, count in enumerate(counts):
            parents = [c for c in made if c["depth"] == depth - 1]
            rows = []
            for _ in range(count):
                parent = rng.choice(parents[: max(1, len(parents) * 9 // 10)]) if parents else None
                rows.append(row(n, parent))
                n += 1
            if parents:  # a reply is written after its parent
                for r, parent_row in zip(rows, (by_id[r["parent_id"]] for r in rows),
                                         strict=True):
                    r["created_at"] = parent_row["created_at"] + timedelta(
                        minutes=rng.randint(5, 60 * 24 * 3))
                    r["created_at"] = min(r["created_at"], now - timedelta(minutes=1))
                    r["moderated_at"] = r["created_at"] + timedelta(hours=1)
            ids = db.session.scalars(
                insert(Comment).returning(Comment.id, sort_by_parameter_order=True), rows).all()
            for r, comment_id in zip(rows, ids, strict=True):
                r["id"] = comment_id
            made += rows
            by_id = {r["id"]: r for r in made}
        db.session.commit()
        return [r["id"] for r in made]


def row_counts(app) -> dict[str, int]:
    with app.app_context():
        counts = dict(db.session.execute(
            select(Comment.status, func.count()).group_by(Comment.status)).all())
        outbox = db.session.scalar(select(func.count()).select_from(OutboxEmail))
    return {status.value: counts.get(status, 0) for status in CommentStatus} | {"outbox": outbox}


# --- posting comments --------------------------------------------------------------------------


class PostClient:
    """One browser: views the page once (session cookie, CSRF token), then posts comments."""

    def __init__(self, port: int, name: str, reply_to: list[int], seed_value: int):
        self.browser = Browser(port)
        self.name = name
        self.reply_to = reply_to
        self.rng = random.Random(seed_value)
        self.sequence = 0
        self.tickets = URLSafeTimedSerializer(SECRET_KEY, salt="form-ticket")
        self.path = f"/articles/{SLUG}/comments"
        self.csrf_token = self.browser.csrf_token(f"/articles/{SLUG}")

    def __call__(self) -> int:
        self.sequence += 1
        tag = f" (trial {self.name}-{self.sequence}-{uuid.uuid4().hex[:6]})"
        form = {
            "csrf_token": self.csrf_token,
            "ticket": self.tickets.dumps(uuid.uuid4().hex),
            "author_name": f"Bench {self.name}",
            "author_email": f"bench-{self.name}@example.com",
            "author_url": "",
            "body": comment_body(self.rng, tag),
            "homepage": "",
        }
        if self.sequence % 4 == 0:
            form["parent_id"] = str(self.rng.choice(self.reply_to))
        return self.browser.send("POST", self.path, form)[0]


# --- one database -------------------------------------------------------------------------------


def bench(database, args) -> None:
    load = os.getloadavg()[0]  # other processes' work skews every figure: say how busy we were
    app = database.app(SECRET_KEY)
    began = time.perf_counter()
    comment_ids = seed(app)
    seeded = time.perf_counter() - began
    with app.app_context():
        db.engine.dispose()  # gunicorn's workers open their own connections
    proc, port = start_gunicorn("crm:create_app()", database, args.workers, {
        "SECRET_KEY": SECRET_KEY, "CRM_MIN_FILL_SECONDS": "0",
        "CRM_COMMENT_RATE_LIMIT": "100000 per minute"})
    try:
        rows = measure(port, comment_ids, args)
    finally:
        stop_gunicorn(proc)
    counts = row_counts(app)
    with app.app_context():
        db.engine.dispose()
    report(database.label, args, seeded, rows, counts, load)


def measure(port: int, comment_ids: list[int], args) -> list[tuple]:
    rows = []
    n = args.concurrency
    warm = max(2 * args.workers, n)  # enough for every worker to load its templates
    page = f"/articles/{SLUG}"
    for name, path in (("GET /healthz (baseline)", "/healthz"),
                       ("GET /articles/<slug>", page)):
        run_load([GetClient(port, path) for _ in range(n)], 30, warm)
        for conc in (1, n):
            clients = [GetClient(port, path) for _ in range(conc)]
            rows.append((name, conc, run_load(clients, args.seconds, args.max_requests),
                         clients[0].bytes))
    reply_to = comment_ids[:900]  # comments and first-level replies: replies stay in the thread
    clients = [PostClient(port, f"w{i}", reply_to, i) for i in range(n)]
    warmup = run_load(clients, 30, warm)
    rows.append(("(warm-up posts)", n, warmup, 0))
    for conc in (1, n):
        rows.append(("POST .../comments", conc,
                     run_load(clients[:conc], args.seconds, args.max_requests), 0))
    return rows


def report(label: str, args, seeded: float, rows: list[tuple], counts: dict, load: float) -> None:
    print(f"\n{label}: gunicorn {args.workers} sync workers, {SEED_COMMENTS:,} approved comments "
          f"seeded in {seeded:.1f} s, {args.seconds:g} s per row; load average "
          f"{load:.1f} on {os.cpu_count()} cores before the run")
    print(f"{'request':<26} {'conns':>5} {'requests':>8} {'req/s':>8} {'p50 ms':>8} "
          f"{'p99 ms':>8}  answers")
    baseline = {}
    posted = 0
    for name, conc, result, size in rows:
        if name.startswith("GET /healthz"):
            baseline[conc] = result.rate
        if name.startswith("("):
            posted += result.statuses.get(302, 0)
            continue
        if name.startswith("POST"):
            posted += result.statuses.get(302, 0)
        expected = 302 if name.startswith("POST") else 200
        answers = ", ".join(f"{k}×{v}" for k, v in sorted(result.statuses.items(), key=str))
        wrong = sum(v for k, v in result.statuses.items() if k != expected)
        ratio = "" if name.startswith("GET /healthz") else \
            f"  ({result.rate / baseline[conc]:.1%} of /healthz)" if baseline.get(conc) else ""
        extra = (f", {size / 1024:,.0f} KiB each" if size >= 10240
                 else f", {size} B each" if size else "")
        print(f"{name:<26} {conc:>5} {result.requests:>8} {result.rate:>8.1f} "
              f"{result.percentile(50):>8.1f} {result.percentile(99):>8.1f}  {answers}"
              f"{extra}{ratio}" + (f"  UNEXPECTED: {wrong}" if wrong else ""))
    unexpected = sum(v for _, _, r, _ in rows for k, v in r.statuses.items() if k not in (200, 302))
    print(f"non-200/302 answers: {unexpected}; rows afterwards: "
          + ", ".join(f"{k} {v:,}" for k, v in counts.items())
          + f"; expected {SEED_COMMENTS:,} approved, {posted:,} pending", flush=True)


# --- main -------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="\n".join(__doc__.splitlines()[1:]))
    parser.add_argument("--seconds", type=float, default=4, help="per row (default 4)")
    parser.add_argument("--max-requests", type=int, default=5000, help="per row (default 5000)")
    parser.add_argument("--concurrency", type=int, default=8,
                        help="connections for the throughput rows (default 8)")
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 2) + 1,
                        help="gunicorn sync workers (default 2 × cores + 1)")
    add_database_arguments(parser)
    args = parser.parse_args()
    exit_cleanly_on_sigterm()
    for database in databases(args, prefix="crm-bench-comments-"):
        with database as chosen:
            bench(chosen, args)


if __name__ == "__main__":
    main()
