"""Create the reference data (sectors, rejection reasons, the default campaign) where missing.

The files in ``fixtures/`` are ordinary ``loaddata`` fixtures, but ``loaddata`` overwrites rows
that exist, and this command runs on every ``make run``: reviewers' edits to a campaign's text or
a reason's wording must survive it. So a row is only created when neither its primary key nor its
slug or code is taken; rows already there are left exactly as they are.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core import serializers
from django.core.management.base import BaseCommand
from django.core.management.color import no_style
from django.db import DEFAULT_DB_ALIAS, connections, models, transaction
from modeltranslation.translator import NotRegistered, translator

from coalition.models import Campaign

FIXTURES_DIR = Path(settings.BASE_DIR) / "fixtures"
# Parents before what refers to them.
FIXTURES = ("sectors.json", "rejection_reasons.json", "campaigns.json")
# The field besides the primary key that names a row, per model.
NATURAL_KEYS = {
    "coalition.sector": "slug",
    "coalition.rejectionreason": "code",
    "coalition.campaign": "slug",
}


class Command(BaseCommand):
    help = "Create missing sectors, rejection reasons and the default campaign; never overwrite."

    def add_arguments(self, parser):
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS)

    def handle(self, *args, database: str, **options) -> None:
        created = present = filled = 0
        # Fixture primary key -> primary key in this database, for rows found under another key,
        # so that a child sector still points at its parent.
        remap: dict[tuple[type[models.Model], object], object] = {}
        touched: set[type[models.Model]] = set()
        with transaction.atomic(using=database):
            for name in FIXTURES:
                with open(FIXTURES_DIR / name, encoding="utf-8") as stream:
                    for item in serializers.deserialize("json", stream, using=database):
                        instance = item.object
                        model = type(instance)
                        label = model._meta.label_lower
                        self._follow_remap(instance, remap)
                        existing = self._existing(model, label, instance, database)
                        if existing is not None:
                            remap[(model, instance.pk)] = existing
                            filled += self._fill_missing_translations(
                                model, existing, instance, database
                            )
                            present += 1
                            continue
                        if (
                            model is Campaign
                            and instance.is_default
                            and Campaign.objects.using(database).filter(is_default=True).exists()
                        ):
                            # Someone chose another default campaign; theirs stays the default.
                            instance.is_default = False
                        item.save(using=database)
                        touched.add(model)
                        created += 1
            self._reset_sequences(touched, database)
        self.stdout.write(
            f"Reference data: {created} created, {present} already present, "
            f"{filled} missing translations added"
        )

    @staticmethod
    def _fill_missing_translations(model, pk, instance: models.Model, database: str) -> int:
        """Add the fixture's translations where a row has none yet; never overwrite text."""
        try:
            fields = translator.get_options_for_model(model).all_fields
        except NotRegistered:
            return 0
        row = model._default_manager.using(database).get(pk=pk)
        missing = {
            translated.name: getattr(instance, translated.name)
            for field_set in fields.values()
            for translated in field_set
            if not getattr(row, translated.name) and getattr(instance, translated.name)
        }
        if missing:
            model._default_manager.using(database).filter(pk=pk).update(**missing)
        return len(missing)

    @staticmethod
    def _existing(model, label: str, instance: models.Model, database: str):
        manager = model._default_manager.using(database)
        if manager.filter(pk=instance.pk).exists():
            return instance.pk
        field = NATURAL_KEYS.get(label)
        if field is None:
            return None
        return (
            manager.filter(**{field: getattr(instance, field)}).values_list("pk", flat=True).first()
        )

    @staticmethod
    def _follow_remap(instance: models.Model, remap: dict) -> None:
        for field in instance._meta.concrete_fields:
            if field.is_relation and field.many_to_one:
                key = (field.related_model, getattr(instance, field.attname))
                if key in remap:
                    setattr(instance, field.attname, remap[key])

    @staticmethod
    def _reset_sequences(touched: set[type[models.Model]], database: str) -> None:
        # Rows were inserted with explicit keys; without this PostgreSQL would hand out those
        # same keys again to the next row made in the admin (``loaddata`` does the same).
        if not touched:
            return
        connection = connections[database]
        statements = connection.ops.sequence_reset_sql(no_style(), list(touched))
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)
