"""The Reviewers group: what review needs and nothing more.

Permissions are normally created after all migrations have run, so this migration creates them
first; otherwise a fresh database would get an empty group.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

REVIEWER_PERMISSIONS = [
    ("coalition", "view_endorsement"),
    ("coalition", "decide_endorsement"),
    ("coalition", "view_endorsementevent"),
    ("coalition", "view_organization"),
    ("coalition", "view_logo"),
    ("coalition", "view_campaign"),
    ("coalition", "view_sector"),
    ("coalition", "view_rejectionreason"),
]


def create_reviewers_group(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name="Reviewers")
    for app_label, codename in REVIEWER_PERMISSIONS:
        group.permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )


def delete_reviewers_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name="Reviewers").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("coalition", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_reviewers_group, delete_reviewers_group)]
