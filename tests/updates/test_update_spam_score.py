"""An update as it leaves for the mail server (the SMTP bytes, caught by a local server) is
well-formed bulk mail: SpamAssassin's local rules (``spamassassin -L -t``, no network tests)
score it well under its threshold and find nothing structural missing (Date, Message-ID, MIME).
Skipped where SpamAssassin is not installed (``apt-get install spamassassin``)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from django.contrib.auth.models import User
from django.core import mail

from coalition.campaigns.models import CampaignMember, TeamRole
from coalition.jobs import tasks
from coalition.models import Endorsement
from coalition.updates import services
from coalition.updates import tasks as update_tasks
from tests import faults

# Rules that would mean the message is malformed or looks forged, whatever the score.
STRUCTURAL = {
    "MISSING_DATE",
    "MISSING_MID",
    "MISSING_HEADERS",
    "MISSING_SUBJECT",
    "MIME_HTML_ONLY",
    "MIME_HTML_MOSTLY",
    "MPART_ALT_DIFF",
    "INVALID_DATE",
    "INVALID_MSGID",
    "MSGID_FROM_MTA_HEADER",
    "HTML_MIME_NO_HTML_TAG",
    "MIME_QP_LONG_LINE",
}


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[bytes] = []

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd calls it by this name
        self.messages.append(envelope.original_content or envelope.content)
        return "250 Message accepted for delivery"


def sent_bytes(settings, make_endorsement, campaign) -> bytes:
    settings.SITE_URL = "https://coalition.example.org"
    settings.DEFAULT_FROM_EMAIL = "Keep detection legal <updates@coalition.example.org>"
    settings.BACKGROUND_WORK_IMMEDIATE = False
    owner = User.objects.create_user("owner", "owner@coalition.example.org", "pw", is_staff=True)
    CampaignMember.objects.create(campaign=campaign, user=owner, role=TeamRole.OWNER)
    ally = make_endorsement(status=Endorsement.Status.APPROVED)
    Endorsement.objects.filter(pk=ally.pk).update(updates_opt_in=True)
    update = services.update_save(
        campaign=campaign,
        by=owner,
        subjects={"en": "The committee votes on 12 March"},
        bodies={
            "en": "Dear allies,\n\nThank you for standing with us. The civil liberties committee "
            "votes on 12 March on keeping voluntary detection legal. Our two-page briefing for "
            "your members of parliament is here:\nhttps://coalition.example.org/briefing/\n\n"
            "If you can, write to them this week.\n\nThe campaign team"
        },
    )
    services.update_send(update=update, by=owner)
    inbox = _Inbox()
    port = faults.free_port()
    server = Controller(inbox, hostname="127.0.0.1", port=port)
    server.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = False
    try:
        assert tasks.run(update_tasks.QUEUE) == tasks.Tally(done=1)
    finally:
        server.stop()
    assert mail.outbox == []  # it went by SMTP, not to the test's outbox
    [content] = inbox.messages
    return content


@pytest.mark.skipif(not shutil.which("spamassassin"), reason="apt-get install spamassassin")
def test_spamassassin_scores_an_update_well_under_its_threshold(
    settings, make_endorsement, campaign, tmp_path
):
    content = sent_bytes(settings, make_endorsement, campaign)
    eml = Path(tmp_path / "update.eml")
    eml.write_bytes(content)
    report = subprocess.run(
        ["spamassassin", "-L", "-t"],
        input=content,
        capture_output=True,
        timeout=120,
        check=False,
    ).stdout.decode("utf-8", "replace")
    status = re.search(
        r"^X-Spam-Status: \w+, score=(-?[\d.]+)[^\n]*tests=([^\n]*(?:\n\t[^\n]*)*)", report, re.M
    )
    assert status, report[:2000]
    score = float(status.group(1))
    rules = set(re.findall(r"[A-Z][A-Z0-9_]+", status.group(2)))
    print(f"SpamAssassin local score {score}, rules: {sorted(rules)}")
    assert not rules & STRUCTURAL, rules
    assert score < 2.0, report
