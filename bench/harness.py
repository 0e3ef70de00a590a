"""What the gunicorn benchmarks share: a throw-away database, gunicorn, and a load generator.

- ``exit_cleanly_on_sigterm()``: a killed run still cleans up after itself;
- ``databases(args, prefix)``: the throw-away databases ``--postgres``/``--both`` chose (a SQLite
  file in a temporary folder, a throw-away PostgreSQL schema), each a context manager that
  yields a ``Database`` and removes everything on exit;
- ``start_gunicorn(spec, database, workers, env)`` / ``stop_gunicorn(proc)``: sync workers on a
  free loopback port, serving any WSGI app spec (``"crm:create_app()"``);
- ``GetClient``, ``Browser`` (a client that keeps its cookies), ``run_load`` and ``Result``.

Every connection goes to the loopback interface only.
"""

import http.client
import ipaddress
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

from sqlalchemy import create_engine, make_url, text

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"  # the only address a benchmark ever connects to (besides the database)
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def loopback_only(url: str) -> str:
    host = make_url(url).host
    if host not in (None, "", "localhost") and not ipaddress.ip_address(host).is_loopback:
        sys.exit(f"refusing {host}: this benchmark only connects to the loopback interface")
    return url


# --- throw-away databases -----------------------------------------------------------------------


@dataclass
class Database:
    label: str  # "SQLite" or "PostgreSQL"
    url: str  # for create_app in the benchmark's process
    engine_options: dict  # SQLALCHEMY_ENGINE_OPTIONS that go with ``url``
    server_url: str  # DATABASE_URL for gunicorn (the search_path travels in the URL)
    instance: str  # a temporary folder: the SQLite file, gunicorn's log

    def app(self, secret_key: str, **config):
        """``crm.create_app`` on this database."""
        from crm import create_app

        return create_app({"SECRET_KEY": secret_key, "SQLALCHEMY_DATABASE_URI": self.url,
                           "SQLALCHEMY_ENGINE_OPTIONS": self.engine_options, **config},
                          instance_path=self.instance)


@contextmanager
def sqlite_database(prefix: str):
    instance = tempfile.mkdtemp(prefix=prefix)
    url = f"sqlite:///{instance}/bench.sqlite3"
    try:
        yield Database("SQLite", url, {}, url, instance)
    finally:
        shutil.rmtree(instance, ignore_errors=True)


@contextmanager
def postgres_database(url: str, prefix: str):
    """A schema of its own (``search_path`` = schema, public: pg_trgm lives in public)."""
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(loopback_only(url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    instance = tempfile.mkdtemp(prefix=prefix)
    try:
        options = {"connect_args": {"options": f"-csearch_path={schema},public"}}
        server_url = f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema},public"
        yield Database("PostgreSQL", url, options, server_url, instance)
    finally:
        shutil.rmtree(instance, ignore_errors=True)
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def exit_cleanly_on_sigterm() -> None:
    """SIGTERM (``kill``, a CI timeout) ends the run as Ctrl-C does: through the ``finally``
    blocks, which stop gunicorn and workers and remove the throw-away databases."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))


def add_database_arguments(parser) -> None:
    parser.add_argument("--postgres", metavar="URL",
                        help="PostgreSQL instead of SQLite (or set CRM_BENCH_DATABASE_URL)")
    parser.add_argument("--both", action="store_true", help="SQLite, then PostgreSQL")


def databases(args, prefix: str) -> list:
    """SQLite unless a PostgreSQL URL was given; both with ``--both``."""
    env_url = os.environ.get("CRM_BENCH_DATABASE_URL")
    postgres = loopback_only(args.postgres or env_url or DEFAULT_POSTGRES)
    chosen = []
    if args.both or not (args.postgres or env_url):
        chosen.append(sqlite_database(prefix))
    if args.both or args.postgres or env_url:
        chosen.append(postgres_database(postgres, prefix))
    return chosen


# --- the server -------------------------------------------------------------------------------


def start_gunicorn(spec: str, database: Database, workers: int, env: dict):
    """gunicorn (sync workers) serving ``spec`` on ``database``; ``env`` is added to ours."""
    port = free_port()
    env = dict(os.environ, DATABASE_URL=database.server_url, CRM_INSTANCE_PATH=database.instance,
               RATELIMIT_STORAGE_URI="memory://", **env)
    env.pop("FLASK_DEBUG", None)
    gunicorn = Path(sys.executable).parent / "gunicorn"
    log_path = Path(database.instance) / f"gunicorn-{port}.log"
    log = open(log_path, "w")  # noqa: SIM115  (closed in stop_gunicorn)
    proc = subprocess.Popen(
        [str(gunicorn), "--bind", f"{HOST}:{port}", "--workers", str(workers),
         "--worker-class", "sync", "--chdir", str(ROOT), spec],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    proc.log = log
    deadline = time.monotonic() + 60
    while True:
        if proc.poll() is not None:
            log.close()
            sys.exit(f"gunicorn exited with {proc.returncode}:\n" + log_path.read_text()[-3000:])
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


def hidden_value(page: bytes | str, name: str) -> str | None:
    """The value of the ``<input name=…>`` in ``page`` (a CSRF token, a form ticket)."""
    page = page.decode() if isinstance(page, bytes) else page
    tag = re.search(rf'<input[^>]*\bname="{re.escape(name)}"[^>]*>', page)
    value = tag and re.search(r'\bvalue="([^"]*)"', tag.group(0))
    return value.group(1) if value else None


class Browser:
    """One keep-alive connection that keeps its cookies, as a browser does."""

    def __init__(self, port: int):
        self.conn = http.client.HTTPConnection(HOST, port, timeout=30)
        self.cookies: dict[str, str] = {}
        self.bytes = 0

    def send(self, method: str, path: str, form: dict | None = None) -> tuple[int, bytes]:
        headers = {}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            body = urlencode(form, doseq=True)
        self.conn.request(method, path, body=body, headers=headers)
        response = self.conn.getresponse()
        content = response.read()
        self.bytes = len(content)
        for header in response.headers.get_all("Set-Cookie") or []:
            for morsel in SimpleCookie(header).values():
                self.cookies[morsel.key] = morsel.value
        return response.status, content

    def csrf_token(self, path: str) -> str:
        """GET ``path`` (which starts the session) and return its form's CSRF token."""
        status, page = self.send("GET", path)
        token = hidden_value(page, "csrf_token")
        if status != 200 or token is None or "session" not in self.cookies:
            raise RuntimeError(f"no CSRF token or session from {path} ({status})")
        return token


@dataclass
class Result:
    requests: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def __add__(self, other: "Result") -> "Result":
        return Result(self.requests + other.requests, self.seconds + other.seconds,
                      self.latencies + other.latencies, self.statuses + other.statuses)

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
