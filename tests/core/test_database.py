"""Per-connection database settings."""

import pytest
from sqlalchemy import text

from crm.core.database import SQLITE_MMAP_BYTES
from crm.extensions import db


def test_sqlite_connections_are_set_up_for_concurrent_reads(app):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite settings")
    with db.engine.connect() as connection:
        pragma = {name: connection.execute(text(f"PRAGMA {name}")).scalar()
                  for name in ("journal_mode", "synchronous", "foreign_keys", "mmap_size")}
    assert pragma == {"journal_mode": "wal", "synchronous": 1, "foreign_keys": 1,
                      "mmap_size": SQLITE_MMAP_BYTES}
