"""An import's report: the form's own messages, the logo pipeline's refusals, and the matches."""

from __future__ import annotations

import io

from coalition.imports import parsing
from coalition.imports import report as reports
from coalition.models import Endorsement
from public_site.forms import ApplicationForm
from tests.factories import image_bytes
from tests.imports.conftest import ally, csv_bytes, logo_png, logos_zip


def build(campaign, rows, logos=None):
    source = parsing.open_zip(io.BytesIO(logos_zip(logos or {})))
    return reports.build(
        campaign=campaign, rows=parsing.parse(parsing.decode(csv_bytes(rows))), source=source
    )


def by_column(row) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for problem in row["problems"]:
        found.setdefault(problem["column"], []).append(problem["message"])
    return found


def test_a_valid_row_will_be_created_with_its_cleaned_values(campaign, sector):
    [row] = build(
        campaign,
        [ally(1, country="Germany", sector="Child-protection NGO")],
        {"logo1.png": logo_png(1)},
    )
    assert row["action"] == "create"
    assert row["problems"] == []
    assert row["data"]["country"] == "DE"
    assert row["data"]["sector"] == sector.pk
    assert row["data"]["domain"] == "imported1.org"


def test_invalid_rows_carry_the_application_forms_own_messages(campaign, sector):
    bad = ally(
        1,
        name="Bad\u202eName",
        website="ftp://files.example.org",
        country="Atlantis",
        sector="no-such-sector",
        contact_email="not-an-email",
        language="xx",
    )
    [row] = build(campaign, [bad], {"logo1.png": logo_png(1)})
    assert row["action"] == "invalid"
    problems = by_column(row)
    form = ApplicationForm(
        data={
            "name": bad["name"],
            "website": bad["website"],
            "country": "Atlantis",
            "contact_email": bad["contact_email"],
            "preferred_language": "xx",
            "sector": "999999",
        }
    )
    form.is_valid()
    for column, form_field in [
        ("name", "name"),
        ("website", "website"),
        ("country", "country"),
        ("contact_email", "contact_email"),
        ("language", "preferred_language"),
        ("sector", "sector"),
    ]:
        assert problems[column] == list(form.errors[form_field]), column


def test_the_logo_pipelines_refusals_are_the_rows_errors(campaign, sector):
    rows = [ally(1), ally(2), ally(3, logo="")]
    report = build(campaign, rows, {"logo1.png": image_bytes(size=(20, 20))})
    assert "at least" in by_column(report[0])["logo"][0]  # too small, the pipeline's words
    assert by_column(report[1])["logo"] == ["There is no file named logo2.png among the logos."]
    assert by_column(report[2])["logo"] == ["This field is required."]


def test_the_same_website_twice_in_the_file_is_invalid_the_second_time(campaign, sector):
    logos = {"logo1.png": logo_png(1), "logo2.png": logo_png(2)}
    report = build(campaign, [ally(1), ally(2, website="https://www.imported1.org/about")], logos)
    assert report[0]["action"] == "create"
    assert report[1]["action"] == "invalid"
    assert by_column(report[1])["website"] == [
        "The same website as line 2: one organization, imported once."
    ]


def test_an_application_already_here_is_skipped_and_named(campaign, sector, make_endorsement):
    make_endorsement(name="Already Here", website="https://imported1.org")
    [row] = build(campaign, [ally(1)], {"logo1.png": logo_png(1)})
    assert row["action"] == "skip"
    assert row["matches"] == ["Already applied: Already Here (Pending review)."]


def test_lookalikes_of_approved_allies_and_the_same_domain_elsewhere_are_named(
    campaign, sector, make_endorsement
):
    from coalition.models import Campaign

    other = Campaign.objects.create(slug="other", title="Other campaign", statement="x")
    make_endorsement(
        name="Kinderhilfe Nord",
        website="https://elsewhere.example.net",
        status=Endorsement.Status.APPROVED,
    )
    make_endorsement(campaign=other, name="Sister", website="https://imported1.org")
    report = build(
        campaign,
        [ally(1), ally(2, name="Kinderhilfe Nord e.V.")],
        {"logo1.png": logo_png(1), "logo2.png": logo_png(2)},
    )
    assert report[0]["action"] == "create"
    assert report[0]["matches"] == ["Same domain as Sister (Other campaign, Pending review)."]
    assert any("Looks like Kinderhilfe Nord" in match for match in report[1]["matches"])


def test_counts_add_up(campaign, sector):
    report = build(
        campaign,
        [ally(1), ally(2, contact_email="x")],
        {"logo1.png": logo_png(1), "logo2.png": logo_png(2)},
    )
    assert reports.counts(report) == {"total": 2, "create": 1, "skip": 0, "invalid": 1, "valid": 1}
