"""The CRM export: a campaign's approved allies with their contacts, consents and sources, for its
owners only, as CSV (streamed) and XLSX, with the column names each importer matches."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from datetime import timezone as dt_timezone

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from coalition.campaigns.models import CampaignMember, TeamEvent, TeamRole
from coalition.endorsements import crm_export
from coalition.models import Campaign, Endorsement

Status = Endorsement.Status

# The documented headers (docs/crm-export.md): an importer matches these, so a change is a
# change for every partner who saved a mapping.
GENERIC = [
    "organization_name",
    "website",
    "country",
    "sector",
    "first_name",
    "last_name",
    "full_name",
    "job_title",
    "email",
    "preferred_language",
    "consent_authority",
    "consent_authority_words",
    "consent_publish",
    "consent_publish_words",
    "consent_language",
    "consents_given_at",
    "updates_opt_in",
    "updates_opt_in_words",
    "updates_opt_in_changed_at",
    "privacy_notice_version",
    "ref",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_content",
    "utm_term",
    "submitted_at",
    "confirmed_at",
    "approved_at",
    "campaign",
    "public_id",
    "wall_url",
]


def csv_url(campaign: Campaign, file_format: str | None = None) -> str:
    url = f"/review/campaigns/{campaign.slug}/export.csv"
    return f"{url}?format={file_format}" if file_format else url


def xlsx_url(campaign: Campaign, file_format: str | None = None) -> str:
    url = f"/review/campaigns/{campaign.slug}/export.xlsx"
    return f"{url}?format={file_format}" if file_format else url


def read_csv(response) -> list[dict[str, str]]:
    body = b"".join(response.streaming_content).decode("utf-8")
    return list(csv.DictReader(io.StringIO(body)))


def header_of(response) -> list[str]:
    body = b"".join(response.streaming_content).decode("utf-8")
    return next(csv.reader(io.StringIO(body)))


def member(campaign: Campaign, username: str, role: str) -> User:
    user = User.objects.create_user(
        username, f"{username}@partner.example", "team horse battery", is_staff=True
    )
    CampaignMember.objects.create(campaign=campaign, user=user, role=role)
    return user


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def owner(campaign) -> User:
    return member(campaign, "olga", TeamRole.OWNER)


@pytest.fixture
def owner_client(owner) -> Client:
    return signed_in(owner)


@pytest.fixture
def other_campaign(db) -> Campaign:
    return Campaign.objects.create(
        slug="open-letter", title="Open letter", statement="We ask lawmakers to listen."
    )


@pytest.fixture
def greek(make_endorsement) -> Endorsement:
    """An approved ally as the form leaves one: Greek names, an emoji, consents with their words,
    the updates box ticked, a source."""
    ally = make_endorsement(
        name="Ένωση Γονέων 🛡️", website="https://enosi.example.gr", country="GR", status="approved"
    )
    submitted = datetime(2026, 11, 2, 9, 30, tzinfo=dt_timezone.utc)
    Endorsement.objects.filter(pk=ally.pk).update(
        contact_name="Μαρία Παπαδοπούλου",
        contact_role="Πρόεδρος",
        contact_email="maria@enosi.example.gr",
        preferred_language="fr",
        consent_authority_words="I may sign on behalf of this organization.",
        consent_publish_words="Our name and logo may be shown.",
        consent_language="en",
        updates_opt_in=True,
        updates_opt_in_words="Send us updates about this campaign",
        updates_opt_in_changed_at=submitted,
        privacy_notice_version=3,
        source={"ref": "partner-newsletter", "utm_source": "mastodon", "utm_medium": "social"},
        submitted_at=submitted,
        confirmed_at=datetime(2026, 11, 2, 9, 41, tzinfo=dt_timezone.utc),
        approved_at=datetime(2026, 11, 3, 15, 0, tzinfo=dt_timezone.utc),
    )
    ally.refresh_from_db()
    return ally


# Who may export ---------------------------------------------------------------------------------


def test_a_campaigns_owner_downloads_its_approved_allies_as_csv(owner_client, campaign, greek):
    response = owner_client.get(csv_url(campaign))

    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    day = timezone.localdate().isoformat()
    assert response["Content-Disposition"] == (
        f'attachment; filename="allies-keep-detection-generic-{day}.csv"'
    )
    cache_control = response["Cache-Control"]
    assert "no-store" in cache_control
    assert "private" in cache_control
    [row] = read_csv(response)
    assert row["organization_name"] == "Ένωση Γονέων 🛡️"
    assert row["email"] == "maria@enosi.example.gr"


def test_anyone_signed_out_is_sent_to_the_sign_in(client, campaign, greek):
    response = client.get(csv_url(campaign))

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/?next=/review/campaigns/")


def test_a_reviewer_of_the_campaign_does_not_export_its_contacts(campaign, greek):
    reviewer = member(campaign, "rita", TeamRole.REVIEWER)

    for url in (csv_url(campaign), xlsx_url(campaign)):
        assert signed_in(reviewer).get(url).status_code == 404
    assert not TeamEvent.objects.filter(action=TeamEvent.Action.EXPORTED).exists()


def test_the_owner_of_another_campaign_finds_no_export_of_this_one(campaign, other_campaign, greek):
    stranger = member(other_campaign, "otto", TeamRole.OWNER)

    response = signed_in(stranger).get(csv_url(campaign))

    assert response.status_code == 404
    assert "Μαρία" not in response.content.decode()


def test_the_reviewers_group_does_not_export_contacts_either(reviewer_client, campaign, greek):
    assert reviewer_client.get(csv_url(campaign)).status_code == 404


def test_a_superuser_exports_any_campaign(client, superuser, other_campaign, make_endorsement):
    make_endorsement(name="Theirs", campaign=other_campaign, status="approved")
    client.force_login(superuser)

    response = client.get(csv_url(other_campaign))

    assert response.status_code == 200
    assert [row["organization_name"] for row in read_csv(response)] == ["Theirs"]


def test_an_unknown_campaign_is_not_found(owner_client):
    assert owner_client.get("/review/campaigns/no-such-campaign/export.csv").status_code == 404


def test_an_unknown_format_is_refused_with_the_formats_named(owner_client, campaign):
    response = owner_client.get(csv_url(campaign, "hubspot"))

    assert response.status_code == 400
    text = response.content.decode()
    assert "hubspot" in text
    assert "civicrm, npsp, actionnetwork" in text
    assert not TeamEvent.objects.filter(action=TeamEvent.Action.EXPORTED).exists()


def test_only_get_exports(owner_client, campaign):
    assert owner_client.head(csv_url(campaign)).status_code == 405
    assert owner_client.post(csv_url(campaign)).status_code == 405


# What is in it ----------------------------------------------------------------------------------


def test_only_the_campaigns_approved_allies_are_exported(
    owner_client, campaign, other_campaign, make_endorsement
):
    make_endorsement(name="Approved One", status="approved")
    make_endorsement(name="Still Pending", status="pending")
    make_endorsement(name="Not Confirmed", status="unconfirmed")
    make_endorsement(name="Was Rejected", status="rejected")
    make_endorsement(name="Has Withdrawn", status="withdrawn")
    make_endorsement(name="Was Removed", status="removed")
    make_endorsement(name="Other Campaign", campaign=other_campaign, status="approved")

    rows = read_csv(owner_client.get(csv_url(campaign)))

    assert [row["organization_name"] for row in rows] == ["Approved One"]


def test_every_column_of_an_ally_as_the_form_left_it(owner_client, campaign, greek, settings):
    settings.SITE_URL = "https://coalition.example"

    [row] = read_csv(owner_client.get(csv_url(campaign)))

    assert list(row) == GENERIC
    assert row == {
        "organization_name": "Ένωση Γονέων 🛡️",
        "website": "https://enosi.example.gr/",
        "country": "GR",
        "sector": "Child-protection NGO",
        "first_name": "Μαρία",
        "last_name": "Παπαδοπούλου",
        "full_name": "Μαρία Παπαδοπούλου",
        "job_title": "Πρόεδρος",
        "email": "maria@enosi.example.gr",
        "preferred_language": "fr",
        "consent_authority": "true",
        "consent_authority_words": "I may sign on behalf of this organization.",
        "consent_publish": "true",
        "consent_publish_words": "Our name and logo may be shown.",
        "consent_language": "en",
        "consents_given_at": "2026-11-02 09:30:00",
        "updates_opt_in": "true",
        "updates_opt_in_words": "Send us updates about this campaign",
        "updates_opt_in_changed_at": "2026-11-02 09:30:00",
        "privacy_notice_version": "3",
        "ref": "partner-newsletter",
        "utm_source": "mastodon",
        "utm_medium": "social",
        "utm_campaign": "",
        "utm_content": "",
        "utm_term": "",
        "submitted_at": "2026-11-02 09:30:00",
        "confirmed_at": "2026-11-02 09:41:00",
        "approved_at": "2026-11-03 15:00:00",
        "campaign": "keep-detection",
        "public_id": greek.public_id,
        "wall_url": (
            "https://coalition.example/campaigns/keep-detection/"
            "?q=%CE%88%CE%BD%CF%89%CF%83%CE%B7+%CE%93%CE%BF%CE%BD%CE%AD%CF%89%CE%BD+"
            f"%F0%9F%9B%A1%EF%B8%8F#ally-{greek.public_id}"
        ),
    }


def test_the_wall_url_finds_the_ally_on_the_public_wall(client, owner_client, campaign, greek):
    [row] = read_csv(owner_client.get(csv_url(campaign)))
    address = row["wall_url"].split("://", 1)[1].split("/", 1)[1]

    page = client.get("/" + address.split("#", 1)[0])

    assert page.status_code == 200
    assert f'id="{address.split("#", 1)[1]}"' in page.content.decode()


def test_civicrm_gets_its_field_titles_and_a_locale(owner_client, campaign, greek):
    response = owner_client.get(csv_url(campaign, "civicrm"))
    body = b"".join(response.streaming_content).decode("utf-8")
    header, *_rest = csv.reader(io.StringIO(body))
    [row] = csv.DictReader(io.StringIO(body))

    assert header[:10] == [
        "Current Employer",
        "Website",
        "Country",
        "Sector",
        "First Name",
        "Last Name",
        "Full Name",
        "Job Title",
        "Email",
        "Preferred Language",
    ]
    assert {"Ref", "UTM Source", "Updates Opt-In", "Public ID", "Wall URL"} <= set(header)
    assert row["Preferred Language"] == "fr_FR"
    assert row["Current Employer"] == "Ένωση Γονέων 🛡️"


def test_npsp_gets_its_data_import_labels(owner_client, campaign, greek):
    rows = read_csv(owner_client.get(csv_url(campaign, "npsp")))

    [row] = rows
    assert row["Account1 Name"] == "Ένωση Γονέων 🛡️"
    assert row["Account1 Website"] == "https://enosi.example.gr/"
    assert row["Account1 Country"] == "GR"
    assert row["Contact1 First Name"] == "Μαρία"
    assert row["Contact1 Last Name"] == "Παπαδοπούλου"
    assert row["Contact1 Title"] == "Πρόεδρος"
    assert row["Contact1 Work Email"] == "maria@enosi.example.gr"
    assert row["Contact1 Preferred Email"] == "Work"
    assert row["Contact1 Consent Opt-In"] == "true"
    assert row["Contact1 Consent Message"] == "Send us updates about this campaign"


def test_action_network_gets_its_field_names(owner_client, campaign, greek):
    response = owner_client.get(csv_url(campaign, "actionnetwork"))
    header = header_of(response)

    assert header[:10] == [
        "organization_name",
        "website",
        "country",
        "sector",
        "first_name",
        "last_name",
        "full_name",
        "job_title",
        "email",
        "language",
    ]
    assert "Contact1 Preferred Email" not in header


def test_every_format_has_unique_headers_and_the_same_values():
    for file_format in crm_export.FORMATS:
        names = crm_export.headers(file_format)
        assert len(names) == len(set(names)), file_format
    assert crm_export.headers("generic") == GENERIC
    assert set(crm_export.sources.KEYS) <= set(GENERIC)


def test_formulas_are_shown_as_text_in_csv_and_xlsx(owner_client, campaign, make_endorsement):
    ally = make_endorsement(name='=HYPERLINK("https://evil.example","Click")', status="approved")
    Endorsement.objects.filter(pk=ally.pk).update(
        contact_name="+Cmd Calc",
        contact_role="@SUM(A1:A9)",
        source={"utm_campaign": "-2+3", "ref": "\tTab"},
    )

    [row] = read_csv(owner_client.get(csv_url(campaign)))
    sheet = load_workbook(io.BytesIO(owner_client.get(xlsx_url(campaign)).content)).active
    cells = dict(zip([cell.value for cell in sheet[1]], list(sheet[2]), strict=True))

    assert row["organization_name"] == '\'=HYPERLINK("https://evil.example","Click")'
    assert row["full_name"] == "'+Cmd Calc"
    assert row["job_title"] == "'@SUM(A1:A9)"
    assert row["utm_campaign"] == "'-2+3"
    assert row["ref"] == "'\tTab"
    assert cells["organization_name"].value == '\'=HYPERLINK("https://evil.example","Click")'
    assert cells["organization_name"].data_type == "s"
    assert cells["job_title"].value == "'@SUM(A1:A9)"
    assert cells["utm_campaign"].value == "'-2+3"
    assert all(cell.data_type != "f" for cell in sheet[2])


def test_the_xlsx_opens_with_typed_cells(owner_client, campaign, greek):
    response = owner_client.get(xlsx_url(campaign, "npsp"))

    assert response.status_code == 200
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert response["Content-Disposition"].endswith(
        f'allies-keep-detection-npsp-{timezone.localdate().isoformat()}.xlsx"'
    )
    assert "no-store" in response["Cache-Control"]
    workbook = load_workbook(io.BytesIO(response.content))
    sheet = workbook.active
    assert sheet.title == "keep-detection"
    assert sheet.freeze_panes == "A2"
    header = [cell.value for cell in sheet[1]]
    assert header == crm_export.headers("npsp")
    values = dict(zip(header, [cell.value for cell in sheet[2]], strict=True))
    assert values["Account1 Name"] == "Ένωση Γονέων 🛡️"
    assert values["Contact1 First Name"] == "Μαρία"
    assert values["Contact1 Consent Opt-In"] is True
    assert values["Approved At"] == datetime(2026, 11, 3, 15, 0)
    assert values["Privacy Notice Version"] == 3
    assert sheet.max_row == 2


def test_the_query_count_does_not_grow_with_the_allies(owner_client, campaign, make_endorsement):
    def queries_for_export() -> int:
        with CaptureQueriesContext(connection) as queries:
            response = owner_client.get(csv_url(campaign))
            rows = read_csv(response)
        return len(queries), len(rows)

    for _ in range(3):
        make_endorsement(status="approved")
    few, three = queries_for_export()
    for _ in range(40):
        make_endorsement(status="approved")
    many, forty_three = queries_for_export()

    assert (three, forty_three) == (3, 43)
    assert few == many


def test_each_export_is_written_in_the_teams_history(owner_client, owner, campaign, greek):
    owner_client.get(csv_url(campaign, "civicrm"))
    owner_client.get(xlsx_url(campaign))

    events = list(TeamEvent.objects.filter(action=TeamEvent.Action.EXPORTED).order_by("pk"))
    assert [(event.by, event.campaign, event.note) for event in events] == [
        (owner, campaign, "CSV, civicrm: 1 ally (workspace)"),
        (owner, campaign, "XLSX, generic: 1 ally (workspace)"),
    ]
    team_page = owner_client.get(f"/review/team/{campaign.slug}/")
    assert "Allies exported" in team_page.content.decode()


def test_the_owners_editor_offers_the_export(owner_client, campaign):
    page = owner_client.get(f"/review/campaigns/{campaign.slug}/").content.decode()

    assert 'action="/review/campaigns/keep-detection/export.csv"' in page
    assert 'formaction="/review/campaigns/keep-detection/export.xlsx"' in page
    for file_format in crm_export.FORMATS:
        assert f'<option value="{file_format}">' in page


# The command ------------------------------------------------------------------------------------


def test_the_command_writes_csv_and_xlsx(campaign, greek, tmp_path):
    out = io.StringIO()
    call_command("export_allies", "--campaign", campaign.slug, "--format", "npsp", stdout=out)
    workbook_path = tmp_path / "allies.xlsx"
    call_command("export_allies", "--campaign", campaign.slug, "--xlsx", str(workbook_path))

    [row] = csv.DictReader(io.StringIO(out.getvalue()))
    assert row["Contact1 Last Name"] == "Παπαδοπούλου"
    sheet = load_workbook(workbook_path).active
    assert [cell.value for cell in sheet[1]] == GENERIC
    notes = TeamEvent.objects.filter(action=TeamEvent.Action.EXPORTED, by=None)
    assert sorted(notes.values_list("note", flat=True)) == [
        "CSV, npsp: 1 ally (manage.py)",
        "XLSX, generic: 1 ally (manage.py)",
    ]


def test_the_command_names_an_unknown_campaign(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="no campaign 'nope'"):
        call_command("export_allies", "--campaign", "nope")


# Names ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("full", "first", "last"),
    [
        ("Anna Müller", "Anna", "Müller"),
        ("Mary Ann Smith", "Mary Ann", "Smith"),
        ("Ursula von der Leyen", "Ursula", "von der Leyen"),
        ("Ana María de la Cruz", "Ana María", "de la Cruz"),
        ("Müller, Anna", "Anna", "Müller"),
        ("MÜLLER Anna-Lena", "Anna-Lena", "MÜLLER"),
        ("Dr. Anna Müller", "Anna", "Müller"),
        ("Mme Claire Dubois", "Claire", "Dubois"),
        ("J. R. Tolkien", "J. R.", "Tolkien"),
        ("Γιώργος Παπαδόπουλος", "Γιώργος", "Παπαδόπουλος"),
        ("Madonna", "", "Madonna"),
        ("  Jean   Dupont  ", "Jean", "Dupont"),
        ("", "", ""),
        ("🦄 Unicorn", "🦄", "Unicorn"),
    ],
)
def test_a_contact_name_is_split_as_a_crm_wants_it(full, first, last):
    assert crm_export.split_name(full) == (first, last)
