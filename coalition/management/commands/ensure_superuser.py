from __future__ import annotations

import os

from django.contrib.auth import get_user_model
from django.core.management import BaseCommand, call_command

VARIABLES = ("DJANGO_SUPERUSER_USERNAME", "DJANGO_SUPERUSER_PASSWORD", "DJANGO_SUPERUSER_EMAIL")


class Command(BaseCommand):
    help = (
        "Create the superuser named by DJANGO_SUPERUSER_USERNAME, _PASSWORD and _EMAIL when it is "
        "missing; otherwise say how to make one."
    )

    def handle(self, *args, **options) -> None:
        if not all(os.getenv(name) for name in VARIABLES):
            if not get_user_model().objects.filter(is_superuser=True).exists():
                self.stdout.write(
                    "No admin account yet. Create one with:\n"
                    "  .venv/bin/python manage.py createsuperuser\n"
                    "or set DJANGO_SUPERUSER_USERNAME, DJANGO_SUPERUSER_PASSWORD and "
                    "DJANGO_SUPERUSER_EMAIL before `make run`."
                )
            return
        username = os.environ["DJANGO_SUPERUSER_USERNAME"]
        if get_user_model().objects.filter(username=username).exists():
            self.stdout.write(f"Superuser {username!r} already exists.")
            return
        call_command("createsuperuser", interactive=False, verbosity=0)
        self.stdout.write(f"Created superuser {username!r}.")
