from __future__ import annotations

import io
import random
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from django_countries import countries
from PIL import Image, ImageDraw

from coalition.images import logos
from coalition.ledger.services import log_backfill
from coalition.models import Endorsement, Logo, Organization, Sector, registrable_domain
from coalition.wall import selectors

LOGO_VARIETY = 40


class Command(BaseCommand):
    help = (
        "Fill the default campaign with N approved, invented allies for benchmarks. Rows are "
        "written in bulk, bypassing the review workflow, so never run it on real data."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--allies", type=int, required=True)

    def handle(self, *args, allies: int, **options) -> None:
        campaign = selectors.campaign_default()
        if campaign is None:
            raise CommandError("Load the reference data first (manage.py load_reference_data).")
        if Endorsement.objects.filter(campaign=campaign).exists():
            raise CommandError(
                "The default campaign already has endorsements: use an empty database."
            )
        rng = random.Random(allies)  # noqa: S311 - invented data, nothing secret
        sectors = list(Sector.objects.all())
        codes = [code for code, _name in countries][:60]
        logo_rows = [self._logo(rng, index) for index in range(LOGO_VARIETY)]
        now = timezone.now()
        with transaction.atomic():
            organizations = []
            for index in range(allies):
                website = f"https://bench-ally-{index}.example.org/"
                organizations.append(
                    Organization(
                        name=f"Bench Ally {index:05d} {rng.choice(['Trust', 'Network', 'Labs'])}",
                        website=website,
                        domain=registrable_domain(website),
                        country=codes[index % len(codes)],
                        sector=sectors[index % len(sectors)],
                        logo=logo_rows[index % len(logo_rows)],
                        statement="We stand together." if index % 3 == 0 else "",
                    )
                )
            Organization.objects.bulk_create(organizations, batch_size=1000)
            Endorsement.objects.bulk_create(
                [
                    Endorsement(
                        organization=organization,
                        campaign=campaign,
                        # Benchmark data: written approved directly, there is no one to review.
                        status=Endorsement.Status.APPROVED,
                        contact_name="Bench Contact",
                        contact_email=f"contact@{organization.domain}",
                        consent_authority=True,
                        consent_publish=True,
                        domain_verified=index % 2 == 0,
                        confirmed_at=now,
                        decided_at=now,
                        approved_at=now - timedelta(minutes=index),
                    )
                    for index, organization in enumerate(organizations)
                ],
                batch_size=1000,
            )
            # Written approved directly: their joined entries in the public log, in order.
            log_backfill(campaign=campaign, at=now)
        self.stdout.write(f"Bench data: {allies} approved allies in “{campaign.slug}”")

    @staticmethod
    def _logo(rng: random.Random, index: int) -> Logo:
        image = Image.new("RGB", (320, 160), "white")
        draw = ImageDraw.Draw(image)
        colour = tuple(rng.randrange(30, 200) for _ in range(3))
        draw.rectangle((20, 20, 140, 140), fill=colour)
        draw.ellipse((160, 30 + index % 20, 300, 130), fill=colour[::-1])
        buffer = io.BytesIO()
        image.save(buffer, "PNG")
        buffer.seek(0)
        return logos.logo_from_upload(buffer)
