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
import http.client
import ipaddress
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import create_engine, func, insert, make_url, select, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crm import create_app  # noqa: E402
from crm.articles.comments import body_fingerprint  # noqa: E402
from crm.articles.models import Article, Comment, CommentStatus  # noqa: E402
from crm.articles.rendering import render_comment, render_markdown  # noqa: E402
from crm.core.types import utcnow  # noqa: E402
from crm.extensions import db  # noqa: E402
from crm.notifications.models import OutboxEmail  # noqa: E402
from tests.smtp import free_port  # noqa: E402

HOST = "127.0.0.1"  # the only address this benchmark ever connects to (besides the database)
SECRET_KEY = "bench-comments-not-a-secret"
SLUG = "protein-blends-in-clear-drinks"
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
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


# --- the server -------------------------------------------------------------------------------


def start_gunicorn(database_url: str, instance: str, workers: int):
    port = free_port()
    env = dict(os.environ, DATABASE_URL=database_url, SECRET_KEY=SECRET_KEY,
               CRM_INSTANCE_PATH=instance, CRM_MIN_FILL_SECONDS="0",
               CRM_COMMENT_RATE_LIMIT="100000 per minute", RATELIMIT_STORAGE_URI="memory://")
    env.pop("FLASK_DEBUG", None)
    gunicorn = Path(sys.executable).parent / "gunicorn"
    log = open(Path(instance) / "gunicorn.log", "w")  # noqa: SIM115  (closed in stop_gunicorn)
    proc = subprocess.Popen(
        [str(gunicorn), "--bind", f"{HOST}:{port}", "--workers", str(workers),
         "--worker-class", "sync", "--chdir", str(ROOT), "crm:create_app()"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    proc.log = log
    deadline = time.monotonic() + 60
    while True:
        if proc.poll() is not None:
            log.close()
            sys.exit(f"gunicorn exited with {proc.returncode}:\n"
                     + (Path(instance) / "gunicorn.log").read_text()[-3000:])
        try:
            conn = http.client.HTTPConnection(HOST, port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                conn.close()
                return proc, port
        except OSError:
            pass
        if time.monotonic() > deadline:
            stop_gunicorn(proc)
            sys.exit("gunicorn did not answer /healthz within 60 s")
        time.sleep(0.2)


def stop_gunicorn(proc) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    proc.log.close()


# --- the load generator -------------------------------------------------------------------------


class GetClient:
    def __init__(self, port: int, path: str):
        self.conn = http.client.HTTPConnection(HOST, port, timeout=30)
        self.path = path
        self.bytes = 0

    def __call__(self) -> int:
        self.conn.request("GET", self.path)
        response = self.conn.getresponse()
        self.bytes = len(response.read())
        return response.status


CSRF_INPUT = re.compile(r'<input[^>]*\bname="csrf_token"[^>]*>')
VALUE = re.compile(r'\bvalue="([^"]*)"')


class PostClient:
    """One browser: views the page once (session cookie, CSRF token), then posts comments."""

    def __init__(self, port: int, name: str, reply_to: list[int], seed_value: int):
        self.conn = http.client.HTTPConnection(HOST, port, timeout=30)
        self.cookies: dict[str, str] = {}
        self.name = name
        self.reply_to = reply_to
        self.rng = random.Random(seed_value)
        self.sequence = 0
        self.tickets = URLSafeTimedSerializer(SECRET_KEY, salt="form-ticket")
        self.path = f"/articles/{SLUG}/comments"
        status, page = self._send("GET", f"/articles/{SLUG}")
        match = CSRF_INPUT.search(page.decode())
        if status != 200 or match is None or "session" not in self.cookies:
            raise RuntimeError(f"no CSRF token or session from the article page ({status})")
        self.csrf_token = VALUE.search(match.group(0)).group(1)

    def _send(self, method: str, path: str, body: str | None = None):
        headers = {}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        self.conn.request(method, path, body=body, headers=headers)
        response = self.conn.getresponse()
        content = response.read()
        for header in response.headers.get_all("Set-Cookie") or []:
            for morsel in SimpleCookie(header).values():
                self.cookies[morsel.key] = morsel.value
        return response.status, content

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
        status, _ = self._send("POST", self.path, urlencode(form))
        return status


@dataclass
class Result:
    requests: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))] * 1000


def run_load(clients: list, seconds: float, max_requests: int) -> Result:
    """Each client in its own thread, as fast as it can, until the time or the count runs out."""
    result = Result()
    lock = threading.Lock()
    budget = [max_requests]
    start = threading.Barrier(len(clients) + 1)
    deadline = [0.0]

    def work(client):
        latencies, statuses = [], Counter()
        start.wait()
        while time.perf_counter() < deadline[0]:
            with lock:
                if budget[0] <= 0:
                    break
                budget[0] -= 1
            began = time.perf_counter()
            try:
                status = client()
            except (OSError, http.client.HTTPException) as exc:
                status = type(exc).__name__
            latencies.append(time.perf_counter() - began)
            statuses[status] += 1
        with lock:
            result.latencies += latencies
            result.statuses += statuses

    threads = [threading.Thread(target=work, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    began = time.perf_counter()
    deadline[0] = began + seconds
    start.wait()
    for thread in threads:
        thread.join()
    result.seconds = time.perf_counter() - began
    result.requests = len(result.latencies)
    return result


# --- one database -------------------------------------------------------------------------------


def bench(label: str, url: str, server_url: str, engine_options: dict, args) -> None:
    load = os.getloadavg()[0]  # other processes' work skews every figure: say how busy we were
    instance = tempfile.mkdtemp(prefix="crm-bench-comments-")
    try:
        app = create_app({"SECRET_KEY": SECRET_KEY, "SQLALCHEMY_DATABASE_URI": url or
                          f"sqlite:///{instance}/bench.sqlite3",
                          "SQLALCHEMY_ENGINE_OPTIONS": engine_options}, instance_path=instance)
        began = time.perf_counter()
        comment_ids = seed(app)
        seeded = time.perf_counter() - began
        with app.app_context():
            db.engine.dispose()  # gunicorn's workers open their own connections
        proc, port = start_gunicorn(server_url or f"sqlite:///{instance}/bench.sqlite3",
                                    instance, args.workers)
        try:
            rows = measure(port, comment_ids, args)
        finally:
            stop_gunicorn(proc)
        counts = row_counts(app)
        with app.app_context():
            db.engine.dispose()
    finally:
        shutil.rmtree(instance, ignore_errors=True)
    report(label, args, seeded, rows, counts, load)


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


def loopback_only(url: str) -> str:
    host = make_url(url).host
    if host not in (None, "", "localhost") and not ipaddress.ip_address(host).is_loopback:
        sys.exit(f"refusing {host}: this benchmark only connects to the loopback interface")
    return url


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
    parser.add_argument("--postgres", metavar="URL",
                        help="PostgreSQL instead of SQLite (or set CRM_BENCH_DATABASE_URL)")
    parser.add_argument("--both", action="store_true", help="SQLite, then PostgreSQL")
    args = parser.parse_args()
    env_url = os.environ.get("CRM_BENCH_DATABASE_URL")
    postgres = loopback_only(args.postgres or env_url or DEFAULT_POSTGRES)

    if args.both or not (args.postgres or env_url):
        bench("SQLite", "", "", {}, args)
    if args.both or args.postgres or env_url:
        schema = f"bench_{uuid.uuid4().hex[:8]}"
        admin = create_engine(postgres, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        try:
            options = {"connect_args": {"options": f"-csearch_path={schema},public"}}
            server_url = f"{postgres}{'&' if '?' in postgres else '?'}" \
                         f"options=-csearch_path%3D{schema},public"
            bench("PostgreSQL", postgres, server_url, options, args)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()


if __name__ == "__main__":
    main()
