"""What the workspace writes, as the Nu checker and a reviewer read it: dates one way in each
language (never "p.m.." nor "12/05/2026"), "less than a minute" rather than "0 minutes", the
filters' help rendered where their fields point, and every rejection reason whole."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from datetime import timezone as dt_timezone

import pytest
from django.utils import timezone, translation

from coalition import services
from coalition.models import Endorsement, RejectionReason
from review import wording
from review.dashboard import duration_text
from review.templatetags.review_dates import machine

# Python 3.10 has no datetime.UTC.
UTC = dt_timezone.utc

Status = Endorsement.Status
EVENING = datetime(2026, 12, 5, 21, 58, 12, 123_456, tzinfo=UTC)
# What the old formats wrote: a 12-hour clock and numeric dates, which read differently in the
# United States and in Europe.
OLD_FORMATS = re.compile(r"[ap]\.m\.|\b\d\d/\d\d/\d{4}\b|\b\d\d\.\d\d\.\d{4}\b")


@pytest.mark.parametrize(
    ("language", "moment", "day"),
    [
        ("en", "5 Dec 2026, 21:58", "5 Dec 2026"),
        ("fr", "5 déc. 2026, 21:58", "5 déc. 2026"),
        ("de", "5. Dez. 2026, 21:58", "5. Dez. 2026"),
    ],
)
def test_the_workspace_writes_a_date_one_way_in_each_language(language, moment, day):
    with translation.override(language):
        assert wording.when(EVENING) == moment
        assert wording.day(EVENING) == day
        assert wording.day(date(2026, 12, 5)) == day


def test_a_decision_sentence_ends_with_one_period(make_endorsement, reviewer, reason):
    reviewer.first_name = "Ana"
    reviewer.save()
    endorsement = make_endorsement()
    services.endorsement_reject(endorsement=endorsement, by=reviewer, reason=reason)
    Endorsement.objects.filter(pk=endorsement.pk).update(decided_at=EVENING)
    endorsement.refresh_from_db()

    assert wording.outcome_text(endorsement) == "Rejected by Ana on 5 Dec 2026, 21:58."


def test_a_time_attribute_has_no_fraction_of_a_second():
    assert machine(EVENING) == "2026-12-05T21:58:12Z"
    assert machine(EVENING.astimezone(timezone.get_fixed_timezone(120))) == "2026-12-05T21:58:12Z"
    assert machine(date(2026, 12, 5)) == "2026-12-05"
    assert machine(None) == ""


def test_under_a_minute_is_less_than_a_minute_not_zero_minutes(reviewer_client, make_endorsement):
    endorsement = make_endorsement()
    Endorsement.objects.filter(pk=endorsement.pk).update(
        confirmed_at=timezone.now() - timedelta(seconds=20)
    )

    queue = reviewer_client.get("/review/").content.decode()
    screen = reviewer_client.get(f"/review/{endorsement.public_id}/").content.decode()

    assert "less than a minute" in queue
    assert "Waiting for less than a minute" in screen
    assert "0 minutes" not in queue + screen
    assert duration_text(timedelta(seconds=20)) == "less than a minute"
    assert duration_text(timedelta(minutes=1)) == "1 minute"
    with translation.override("fr"):
        assert wording.waited(timezone.now() - timedelta(seconds=5)) == "moins d’une minute"


@pytest.mark.parametrize("language", ["en", "fr", "de"])
def test_the_decided_list_and_the_decision_screen_write_dates_one_way(
    reviewer_client, make_endorsement, reviewer, reason, language
):
    endorsement = make_endorsement()
    services.endorsement_reject(endorsement=endorsement, by=reviewer, reason=reason)
    headers = {"HTTP_ACCEPT_LANGUAGE": language}

    decided = reviewer_client.get("/review/decided/", **headers).content.decode()
    screen = reviewer_client.get(f"/review/{endorsement.public_id}/", **headers).content.decode()

    with translation.override(language):
        written = wording.when(Endorsement.objects.get(pk=endorsement.pk).decided_at)
    assert written in decided
    assert written in screen
    assert not OLD_FORMATS.search(decided), OLD_FORMATS.search(decided)
    assert not OLD_FORMATS.search(screen), OLD_FORMATS.search(screen)
    assert ".." not in re.sub(r"<[^>]+>", "", screen).replace("…", "")


def test_every_filter_that_points_at_its_help_renders_it(reviewer_client, make_endorsement):
    make_endorsement()

    body = reviewer_client.get("/review/").content.decode()

    for target in re.findall(r'aria-describedby="([^"]+)"', body):
        for element_id in target.split():
            assert f'id="{element_id}"' in body, element_id
    assert 'id="id_sector_helptext"' in body
    assert "A sector includes its sub-sectors." in body


def test_the_rejection_lists_every_reason_whole(reviewer_client, make_endorsement, db):
    long_text = (
        "We could not confirm that you are able to sign on behalf of this organization. If you "
        "can, please apply again using an email address at the organization's own domain."
    )
    long_reason = RejectionReason.objects.create(code="long", text=long_text, active=True)
    endorsement = make_endorsement()

    body = reviewer_client.get(f"/review/{endorsement.public_id}/").content.decode()

    reject_form = body[body.index('action="/review/' + endorsement.public_id + '/reject/"') :]
    reject_form = reject_form[: reject_form.index("</form>")]
    assert f'type="radio" name="reject-reason" value="{long_reason.pk}"' in reject_form
    assert long_text.replace("'", "&#x27;") in reject_form
    assert "…" not in reject_form
    for reason in RejectionReason.objects.filter(active=True):
        assert f'value="{reason.pk}"' in reject_form


def test_a_reason_chosen_from_the_list_rejects(reviewer_client, make_endorsement, reason):
    endorsement = make_endorsement()

    response = reviewer_client.post(
        f"/review/{endorsement.public_id}/reject/", {"reject-reason": reason.pk}
    )

    assert response.status_code == 302
    endorsement.refresh_from_db()
    assert endorsement.status == Status.REJECTED
    assert endorsement.rejection_reason == reason
