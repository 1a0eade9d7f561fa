"""The embedded default (SQLite) takes a handful of writers at once: a transaction begins
IMMEDIATE and waits for the write lock, instead of failing "database is locked" when two that
have read both try to write (four applicants at once under ``make run``)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time

import pytest
from django.conf import settings

from tests.browser import ROOT

pytestmark = pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3",
    reason="SQLite's locking only",
)

WRITERS = 4


def test_four_writers_that_read_first_all_commit(tmp_path):
    database = tmp_path / "writers.sqlite3"
    with sqlite3.connect(database) as setup:
        setup.execute("CREATE TABLE application (id INTEGER PRIMARY KEY, name TEXT)")
    go = tmp_path / "go"
    environment = {**os.environ, "DATABASE_URL": f"sqlite:///{database}"}
    environment.pop("DJANGO_SETTINGS_MODULE", None)
    writers = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.sqlite_writer", str(tmp_path / f"ready-{n}"), str(go)],
            cwd=ROOT,
            env=environment,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(WRITERS)
    ]
    for _ in range(600):
        if all((tmp_path / f"ready-{n}").exists() for n in range(WRITERS)):
            break
        time.sleep(0.05)
    go.touch()  # all at once
    failures = [writer.communicate(timeout=60)[1] for writer in writers if writer.wait(60)]

    assert failures == []
    with sqlite3.connect(database) as check:
        assert check.execute("SELECT count(*) FROM application").fetchone()[0] == WRITERS
