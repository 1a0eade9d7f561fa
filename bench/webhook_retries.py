"""Webhook retries as they happen: the real worker (``manage.py worker``, its 1 s poll and the
real schedule) against a receiver on loopback that answers 503 to the first attempts.

    .venv/bin/python -m bench.webhook_retries [--failures 3]

Migrates a throw-away SQLite database, starts the worker, records one ``endorsement.confirmed``
for an endpoint and prints when each attempt reached the receiver, the gaps between them, and
whether each signature verified (with the ``standardwebhooks`` library). With 3 failures it
takes some 2 min 40 s (5 s + 30 s + 2 min of waits).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--failures", type=int, default=3, help="503 answers before a 204")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="webhook-retries-"))
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{workdir / 'db.sqlite3'}",
        "WEBHOOK_ALLOW_PRIVATE": "1",
        "MEDIA_ROOT": str(workdir / "media"),
    }
    os.environ.update(env)
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "-v0"], check=True, env=env, cwd=ROOT)

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coalition.settings")
    django.setup()
    from django.db import transaction

    from coalition import services
    from coalition.models import Campaign, Endorsement, Sector, WebhookEndpoint
    from tests.factories import endorsement
    from tests.webhooks.receiver import Receiver

    receiver = Receiver(secret="", mode="503").start()
    hook = WebhookEndpoint.objects.create(url=receiver.url, events=["endorsement.confirmed"])
    receiver.secret = hook.secret
    campaign = Campaign.objects.create(slug="bench", title="Bench")
    sector = Sector.objects.create(slug="bench", name="Bench")
    applicant = endorsement(
        number=1, campaign=campaign, sector=sector, status=Endorsement.Status.UNCONFIRMED
    )
    # The worker first, as in production: the change is made while it runs.
    worker = subprocess.Popen([*manage, "worker"], env=env, cwd=ROOT)
    try:
        time.sleep(8)  # its start-up (Django, the queues)
        with transaction.atomic():
            services.endorsement_confirm(endorsement=applicant)
        recorded = time.monotonic()
        deadline = recorded + 15 * 60
        while time.monotonic() < deadline:
            if len(receiver.received) >= args.failures:
                receiver.mode = "ok"
            if len(receiver.received) > args.failures:
                break
            time.sleep(0.05)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
        receiver.stop()

    times = [item.at - recorded for item in receiver.received]
    print(f"attempts: {len(times)} (503 ×{args.failures}, then 204)")
    for index, (item, at) in enumerate(zip(receiver.received, times, strict=True), start=1):
        gap = "" if index == 1 else f"  gap {at - times[index - 2]:.2f} s"
        verified = "verified" if item.payload is not None else f"NOT verified: {item.error}"
        print(f"  #{index} at +{at:.2f} s{gap}  {verified}  id {item.headers['webhook-id']}")


if __name__ == "__main__":
    main()
