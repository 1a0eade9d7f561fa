"""``manage.py check --deploy``: the signing key is there and usable (``SIGNING_KEY_FILE``).
Without it the site runs, but its lists of signatories and their signatures answer 503."""

from __future__ import annotations

from django.core import checks

from coalition.ledger import signing


@checks.register(checks.Tags.security, deploy=True)
def signing_key_check(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    try:
        signing.signing_key()
    except signing.SigningKeyMissing as error:
        return [
            checks.Warning(
                str(error),
                hint="Until there is one, /campaigns/<slug>/signatories.json and its signature "
                "answer 503. Create it with `manage.py signing_key create` (as the user the app "
                "runs as) and back it up; see docs/verification.md.",
                id="coalition.W101",
            )
        ]
    return []
