"""Load benchmark: the public pages through Varnish and straight from gunicorn, measured with wrk.

    .venv/bin/python -m bench            # 1,000 allies, every figure of issues 13, 20 (make bench)
    .venv/bin/python -m bench --quick    # 300 allies, short runs, gross regressions only (CI)

Everything runs on 127.0.0.1 and is started, and always stopped, by the benchmark itself
(``stack.py``): a private PostgreSQL cluster and Redis, gunicorn with the production settings
(2 sync workers) and the background worker (``servers.py``, which the fault tests start too),
two Varnish instances from the shipped VCL, one in front of gunicorn and one in front of
Debian's nginx, and that nginx, serving each measured page's body, saved from the application,
as a static file with the same headers (``front.py``).

The phases, in order (``phases/``):

1. **Through Varnish**: each page at 64 and 256 connections, beside its static twin through the
   second Varnish and nginx directly, in interleaved rounds; hit ratios from ``varnishstat``;
   each page's p99 against its twin's.
2. **Direct to gunicorn**: each warm page against WhiteNoise serving the same bytes.
3. **Freshness under load**: 256 connections over every cached variant (``pages.VARIANTS``)
   while approvals and withdrawals are committed, one a second; each is checked on its own, in
   every variant through Varnish, from its commit until it shows (or is gone).
4. **Faults behind Varnish**: under load, gunicorn stopped with a change committed meanwhile,
   then PostgreSQL stopped with every copy purged; every variant must keep answering 200;
   after the restarts the next change must show within 1 s.
5. **Varnish restarted**, with a change committed while it was down: its first answers must
   be the application's current ones, and it refills.
6. **Cold and warm, queries**: the API page of 500 with the cache emptied before each request
   against the same warm, every variant rendered afresh (what a change costs the backend), and
   the database queries each page makes with N and N/10 allies.
7. **Images**: the sizes of ``wall.svg`` and ``wall.png`` with every ally they draw.
8. **Real-world mix**: 256 connections over the pages of phase 1 with tracking parameters
   (a fresh ``fbclid``, 1,000 partners' ``ref``, random UTM values, shuffled), then with clean
   URLs, a few approvals during each: hit ratios and backend fetches per change.
9. **Cache-busting flood**: 256 connections sending ``?x=`` and ``?ref=`` never sent before;
   the backend's share of them, and a clean visitor's p99 on ``/`` alone and under the flood.
10. **Bytes on the wire**: ``/``, the API list of 500 and ``embed.js`` with and without
   ``Accept-Encoding``, through Varnish and straight from gunicorn.

Load is sent as browsers send it, ``Accept-Encoding: gzip, deflate, br`` (``pages.BROWSER``),
except straight to gunicorn (phase 2), where WhiteNoise's twin has no compressed file.

Results go to bench/results/ as Markdown and JSON (``report.py``). The quick mode (CI) fails only
on a gross regression (``modes.py``). wrk, Varnish, nginx, gunicorn and PostgreSQL share the
machine's cores; the ratios are taken between measurements made one right after the other, so
other load on the machine moves both sides of a ratio alike.

The changes are made inside Django by small programs run as ``python -m bench.<name>``:
``pending`` (applications waiting), ``decide`` (approvals and withdrawals on request),
``approve`` (for the load test) and ``count_queries``.
"""

from __future__ import annotations

from datetime import datetime


def log(message: str) -> None:
    print(f"[bench {datetime.now():%H:%M:%S}] {message}", flush=True)
