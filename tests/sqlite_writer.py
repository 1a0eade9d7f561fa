"""One writer for tests/web/test_sqlite_writers.py, in a process of its own as a request would be:
``python -m tests.sqlite_writer <ready file> <go file>``, with DATABASE_URL naming the database.
It reads, waits long enough for the others to have read too, then writes, in one transaction."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coalition.settings")

import django

django.setup()

from django.db import connection, transaction  # noqa: E402


def main(ready: Path, go: Path) -> None:
    connection.ensure_connection()
    ready.touch()
    while not go.exists():
        time.sleep(0.01)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM application")
        time.sleep(0.3)
        cursor.execute("INSERT INTO application (name) VALUES (%s)", [ready.name])


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
