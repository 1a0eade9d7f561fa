"""Makes applications waiting for a reviewer: confirmed, with consent, in the default campaign.

Run as ``python -m bench.pending --count N --prefix PREFIX [--country CODE]`` with the site's
environment (``bench/changes.py`` does). Each is named ``PREFIX 000``, ``PREFIX 001``...; without
``--country`` each comes from a country no other organization is in (so that the facets show it
by its country alone). Prints ``PENDING [[name, country], ...]``.
"""

from __future__ import annotations

import argparse
import json
import os

import django


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.pending", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--prefix", required=True)
    parser.add_argument("--country", help="every one from there (default: a free one each)")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coalition.settings")
    django.setup()
    from django_countries import countries

    from coalition.models import Endorsement, Organization, Sector
    from coalition.wall import selectors

    campaign = selectors.campaign_default()
    sector = Sector.objects.order_by("pk").first()
    taken = set(Organization.objects.values_list("country", flat=True))
    free = [code for code, _name in countries if code not in taken]
    made = []
    for n in range(args.count):
        name = f"{args.prefix} {n:03d}"
        domain = f"{args.prefix.lower().replace(' ', '-')}-{n:03d}.example.org"
        country = args.country or free[n]
        organization = Organization.objects.create(
            name=name,
            website="https://" + domain + "/",
            domain=domain,
            country=country,
            sector=sector,
        )
        Endorsement.objects.create(
            organization=organization,
            campaign=campaign,
            status=Endorsement.Status.PENDING,
            contact_name="Contact",
            contact_email="contact@" + domain,
            consent_authority=True,
            consent_publish=True,
        )
        made.append([name, country])
    print("PENDING", json.dumps(made))


if __name__ == "__main__":
    main()
