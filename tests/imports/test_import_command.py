"""``manage.py import_allies``: the report as a table, exit 2 on invalid rows, the import done in
the command's own process with progress and a summary."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from coalition.models import AllyImport, Endorsement, EndorsementEvent, Organization
from tests.imports.conftest import ally, csv_bytes, logo_png


@pytest.fixture
def files(tmp_path):
    def write(rows, logos=(1, 2)):
        (tmp_path / "logos").mkdir(exist_ok=True)
        for n in logos:
            (tmp_path / "logos" / f"logo{n}.png").write_bytes(logo_png(n))
        path = tmp_path / "allies.csv"
        path.write_bytes(csv_bytes(rows))
        return path, tmp_path / "logos"

    return write


def run(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import_allies", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_a_dry_run_prints_the_report_and_writes_nothing(campaign, sector, files):
    path, logos = files([ally(1), ally(2)])
    out, _err = run("--campaign", campaign.slug, str(path), "--logos", str(logos), "--dry-run")
    assert "create   Imported Org 1" in out
    assert "2 rows: 2 to create, 0 already here, 0 invalid" in out
    assert "Dry run: nothing written." in out
    assert AllyImport.objects.count() == 0
    assert Organization.objects.count() == 0


def test_invalid_rows_exit_2_with_the_report(campaign, sector, files):
    path, logos = files([ally(1), ally(2, country="Atlantis")])
    with pytest.raises(SystemExit) as exit_:
        run("--campaign", campaign.slug, str(path), "--logos", str(logos))
    assert exit_.value.code == 2
    assert Organization.objects.count() == 0
    assert AllyImport.objects.count() == 0


def test_the_import_runs_in_the_command_with_progress_and_a_summary(
    campaign, sector, files, mailoutbox
):
    path, logos = files([ally(1), ally(2)])
    out, _err = run("--campaign", campaign.slug, str(path), "--logos", str(logos))
    assert "2/2 rows imported" in out
    assert "Imported 2 allies into keep-detection" in out
    assert Endorsement.objects.filter(status="unconfirmed", imported_in__isnull=False).count() == 2
    assert AllyImport.objects.get().state == AllyImport.State.DONE


def test_valid_only_imports_the_valid_rows(campaign, sector, files):
    path, logos = files([ally(1), ally(2, website="not a website")])
    out, _err = run("--campaign", campaign.slug, str(path), "--logos", str(logos), "--valid-only")
    assert "INVALID" in out
    assert Organization.objects.count() == 1


def test_attest_approves_with_the_note_as_the_systems_attestation(campaign, sector, files):
    path, logos = files([ally(1)], logos=(1,))
    run(
        "--campaign",
        campaign.slug,
        str(path),
        "--logos",
        str(logos),
        "--attest",
        "Signed by letter",
    )
    endorsement = Endorsement.objects.get()
    assert endorsement.status == Endorsement.Status.APPROVED
    assert list(EndorsementEvent.objects.values_list("attested", "note", "actor")) == [
        (True, "Signed by letter", "system"),
        (True, "Signed by letter", "system"),
    ]


def test_running_it_twice_creates_nothing_new(campaign, sector, files):
    path, logos = files([ally(1), ally(2)])
    run("--campaign", campaign.slug, str(path), "--logos", str(logos))
    out, _err = run("--campaign", campaign.slug, str(path), "--logos", str(logos))
    assert "0 to create, 2 already here" in out
    assert Organization.objects.count() == 2


def test_an_unknown_campaign_is_a_clear_error(db, files):
    path, _logos = files([ally(1)])
    with pytest.raises(CommandError, match="No campaign"):
        run("--campaign", "nope", str(path))
