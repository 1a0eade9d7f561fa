"""Approves the allies named, one by one, as a reviewer would.

Run as ``python -m bench.approve [--interval SECONDS] NAME...`` with the site's environment (the
fault and load tests do). Prints, for each, a JSON line with the name and the time its approval
had committed (and the public version moved on).
"""

from __future__ import annotations

import argparse
import json
import os
import time

import django

CHECKED = "Benchmark data: an invented organization."


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.approve", description=__doc__.splitlines()[0]
    )
    parser.add_argument("names", nargs="+")
    parser.add_argument("--interval", type=float, default=0.0, help="seconds before each")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coalition.settings")
    django.setup()
    from coalition import services
    from coalition.models import Endorsement

    for name in args.names:
        time.sleep(args.interval)
        endorsement = Endorsement.objects.get(organization__name=name)
        # The benchmark's invented organizations share example.org and prove no domain:
        # acknowledged, as a reviewer who checked them would.
        services.endorsement_approve(
            endorsement=endorsement, by=None, acknowledged=True, note=CHECKED
        )
        print(json.dumps({"name": name, "committed": time.time()}), flush=True)


if __name__ == "__main__":
    main()
