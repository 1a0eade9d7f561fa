"""The public log for data from before it: a ``joined`` entry for each ally approved now, in
the order they were approved, so that every campaign's log replays to its list from the start.
And ``SignedList``, the time each state of a signed list was first made."""

import django.db.models.deletion
from django.db import migrations, models

# Pure functions only: the hash chain does not depend on models or settings.
from coalition.ledger import chain


def _time(endorsement):
    # Allies approved before approval times were kept have none: their decision, else their
    # application, is the best time known.
    return endorsement.approved_at or endorsement.decided_at or endorsement.submitted_at


def backfill(apps, schema_editor):
    Campaign = apps.get_model("coalition", "Campaign")
    Endorsement = apps.get_model("coalition", "Endorsement")
    LogEntry = apps.get_model("coalition", "LogEntry")
    for campaign in Campaign.objects.order_by("pk"):
        logged = set(LogEntry.objects.filter(campaign=campaign).values_list("ally", flat=True))
        last = LogEntry.objects.filter(campaign=campaign).order_by("-seq").first()
        seq, prev = (last.seq, last.hash) if last is not None else (0, chain.GENESIS)
        approved = (
            Endorsement.objects.filter(campaign=campaign, status="approved")
            .select_related("organization__sector", "organization__logo")
            .order_by("approved_at", "decided_at", "submitted_at", "pk")
        )
        entries = []
        for endorsement in approved:
            if endorsement.public_id in logged:
                continue
            organization = endorsement.organization
            at = chain.truncate_to_ms(_time(endorsement))
            entry = chain.make_entry(
                seq=seq + 1,
                time=at,
                event="joined",
                ally=endorsement.public_id,
                fields={
                    "name": organization.name,
                    "website": organization.website,
                    "country": str(organization.country),
                    "sector": organization.sector.slug,
                    "logo": organization.logo.digest if organization.logo_id else None,
                },
                prev=prev,
            )
            entries.append(
                LogEntry(
                    campaign=campaign,
                    seq=entry["seq"],
                    time=at,
                    event="joined",
                    ally=entry["ally"],
                    fields=entry["fields"],
                    prev=prev,
                    hash=entry["hash"],
                )
            )
            seq, prev = entry["seq"], entry["hash"]
        # Historical models have no custom save: a bulk insert of new rows is what the
        # append-only log allows.
        LogEntry.objects.bulk_create(entries, batch_size=500)


class Migration(migrations.Migration):
    dependencies = [
        ("coalition", "0017_updates_webhooks_log"),
    ]

    operations = [
        migrations.CreateModel(
            name="SignedList",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("digest", models.CharField(max_length=64, verbose_name="content hash")),
                ("generated_at", models.DateTimeField(verbose_name="generated")),
                (
                    "campaign",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="coalition.campaign",
                        verbose_name="campaign",
                    ),
                ),
            ],
            options={
                "verbose_name": "signed list of signatories",
                "verbose_name_plural": "signed lists of signatories",
                "constraints": [
                    models.UniqueConstraint(
                        fields=("campaign", "digest"), name="one_signed_list_per_state"
                    )
                ],
            },
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop, elidable=True),
    ]
