"""Reviewers may look at every version of an organization's public details.

As in 0002, permissions are created here first: on a fresh database they would otherwise only
exist after all migrations have run.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

REVIEWER_PERMISSIONS = [("coalition", "view_organizationversion")]


def _reviewer_permissions(apps):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Permission = apps.get_model("auth", "Permission")
    return [
        Permission.objects.get(content_type__app_label=app_label, codename=codename)
        for app_label, codename in REVIEWER_PERMISSIONS
    ]


def add_to_reviewers(apps, schema_editor):
    group = apps.get_model("auth", "Group").objects.filter(name="Reviewers").first()
    if group is not None:
        group.permissions.add(*_reviewer_permissions(apps))


def remove_from_reviewers(apps, schema_editor):
    group = apps.get_model("auth", "Group").objects.filter(name="Reviewers").first()
    if group is not None:
        group.permissions.remove(*_reviewer_permissions(apps))


class Migration(migrations.Migration):
    dependencies = [
        ("coalition", "0003_self_service"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(add_to_reviewers, remove_from_reviewers)]
