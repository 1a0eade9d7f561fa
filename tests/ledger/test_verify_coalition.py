"""manage.py verify_coalition against a live server: what passes, and what each fault says."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from coalition import services
from coalition.models import Endorsement, LogEntry
from tests.ledger.helpers import approve

Status = Endorsement.Status

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def allies(campaign, make_endorsement, reviewer):
    made = [approve(make_endorsement(name=f"Ally {n} – Ελλάδα 🌿"), reviewer) for n in range(1, 5)]
    services.endorsement_withdraw(endorsement=made[1])
    return made


@pytest.fixture
def page(live_server, settings) -> str:
    # Links in the list are made from the request's address.
    settings.SITE_URL = ""
    return f"{live_server.url}/campaigns/keep-detection/"


def _verify(*args: str) -> str:
    from io import StringIO

    out = StringIO()
    call_command("verify_coalition", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def _fails(page: str, *args: str) -> str:
    from django.core.cache import cache

    # The faults below are made behind the services' back: nothing tells the caches.
    cache.clear()
    with pytest.raises(CommandError) as failure:
        _verify(page, *args)
    assert failure.value.returncode == 1
    return str(failure.value)


def test_a_true_list_verifies_and_says_what_was_checked(allies, page, monkeypatch):
    from coalition.ledger import selectors

    # Several pages of log: the command follows ``next``.
    monkeypatch.setattr(selectors, "LOG_PAGE_SIZE", 2)

    out = _verify(page)

    assert out.startswith(f"OK {page}signatories.json: 3 allies, signed by key ")
    assert "the log's 5 entries chain from the first" in out


def test_the_site_root_and_a_campaign_name_work_too(allies, page, live_server):
    assert _verify(live_server.url, "--campaign", "keep-detection").startswith("OK ")
    assert _verify(f"{live_server.url}/fr/campaigns/keep-detection/letter/").startswith("OK ")


def test_an_altered_log_entry_is_named_by_its_seq(allies, page):
    LogEntry.objects.filter(seq=3).update(fields={"name": "Someone Else"})

    message = _fails(page)

    assert "log: seq 3: hash" in message
    assert "does not match its contents" in message


def test_a_deleted_log_entry_is_found(allies, page):
    LogEntry.objects.filter(seq=2).delete()

    assert "seq 3 found where seq 2 was expected" in _fails(page)


def test_reordered_log_entries_are_found(allies, page):
    # Swap the times and contents of entries 2 and 3 but keep their seq: the chain breaks.
    two, three = LogEntry.objects.get(seq=2), LogEntry.objects.get(seq=3)
    LogEntry.objects.filter(pk=two.pk).update(seq=99)
    LogEntry.objects.filter(pk=three.pk).update(seq=2)
    LogEntry.objects.filter(pk=two.pk).update(seq=3)

    assert "seq 2: prev" in _fails(page)


def test_a_log_that_does_not_replay_to_the_list_names_the_ally(allies, page, make_endorsement):
    # Approved behind the log's back: on the list, never in the log.
    sneaked = make_endorsement(name="Padding Org", status=Status.APPROVED)

    message = _fails(page)

    assert f"ally {sneaked.public_id} ('Padding Org') is in signatories.json but the log" in message


def test_a_field_changed_behind_the_logs_back_is_named(allies, page):
    organization = allies[0].organization
    type(organization).objects.filter(pk=organization.pk).update(name="Quietly Renamed")

    message = _fails(page)

    assert (
        f"ally {allies[0].public_id}: field 'name' is 'Quietly Renamed' in signatories.json "
        "but 'Ally 1 – Ελλάδα 🌿' by the log"
    ) in message


def test_an_ally_trimmed_from_the_list_is_named(allies, page):
    Endorsement.objects.filter(pk=allies[2].pk).update(status=Status.REMOVED)

    message = _fails(page)

    assert f"ally {allies[2].public_id} ('Ally 3 – Ελλάδα 🌿') is on the list by the log" in message


def test_a_list_signed_by_another_key_fails(allies, page, settings, tmp_path):
    from coalition.ledger import signing

    pinned = tmp_path / "letter.pub"
    pinned.write_text(signing.secret_key_new().public.file_text())

    message = _fails(page, "--key", str(pinned))

    assert "signature made with key" in message


def test_an_unreachable_site_is_exit_2(db):
    with pytest.raises(CommandError) as failure:
        _verify("http://127.0.0.1:9/campaigns/x/", "--timeout", "2")
    assert failure.value.returncode == 2
    assert "could not fetch" in str(failure.value)
