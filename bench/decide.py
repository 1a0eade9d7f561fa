"""Approves and withdraws allies on request, one Django start-up for every change.

Run as ``python -m bench.decide`` (``bench/changes.py`` does) with the site's environment. Each
line read is ``approve NAME``, ``withdraw NAME`` or ``ping -``; each answer is a line
``COMMITTED {"name": ..., "committed": <time.time() at the commit>}``.
"""

from __future__ import annotations

import json
import os
import sys
import time

import django

CHECKED = "Benchmark data: an invented organization."


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coalition.settings")
    django.setup()
    from django.db import transaction

    from coalition import services
    from coalition.models import Endorsement

    for line in sys.stdin:
        action, name = line.rstrip("\n").split(" ", 1)
        stamp = []
        with transaction.atomic():
            # Registered first, so it runs first on commit: before the service's own callbacks
            # (the version bump, the purge), which the measured delay includes.
            transaction.on_commit(lambda stamp=stamp: stamp.append(time.time()))
            if action == "approve":
                endorsement = Endorsement.objects.get(organization__name=name)
                # The benchmark's invented organizations share example.org and prove no domain:
                # acknowledged, as a reviewer who checked them would.
                services.endorsement_approve(
                    endorsement=endorsement, by=None, acknowledged=True, note=CHECKED
                )
            elif action == "withdraw":
                endorsement = Endorsement.objects.get(organization__name=name)
                services.endorsement_withdraw(endorsement=endorsement)
        print("COMMITTED", json.dumps({"name": name, "committed": stamp[0]}), flush=True)


if __name__ == "__main__":
    main()
