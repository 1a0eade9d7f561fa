"""Counts the database queries each page makes, cold (cache emptied) and warm.

Run as ``python -m bench.count_queries PATH...`` with the site's environment (the benchmark's
sixth phase does, with N and N/10 allies). Prints ``{path: {"cold": n, "warm": n}}`` as JSON.
"""

from __future__ import annotations

import argparse
import json
import os

import django


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.count_queries", description=__doc__.splitlines()[0]
    )
    parser.add_argument("paths", nargs="+")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coalition.settings")
    django.setup()
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="127.0.0.1")
    counts = {}
    for path in args.paths:
        cache.clear()
        with CaptureQueriesContext(connection) as cold:
            status = client.get(path).status_code
        if status != 200:
            raise SystemExit(f"{path} answered {status}")
        with CaptureQueriesContext(connection) as warm:
            client.get(path)
        counts[path] = {"cold": len(cold), "warm": len(warm)}
    print(json.dumps(counts))


if __name__ == "__main__":
    main()
