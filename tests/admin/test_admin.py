"""The admin, through its own views: the list of endorsements, an endorsement's page (which
sends reviewers to the workspace to decide), the CSV export, and what reviewers and others may
not do."""

from __future__ import annotations

import csv
import io

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from coalition import services
from coalition.models import (
    Campaign,
    Endorsement,
    EndorsementEvent,
    OutboundEmail,
    Sector,
)
from coalition.publishing import freshness
from tests.admin_helpers import change_url, make_logo, messages_of, results

Status = Endorsement.Status

CHANGELIST = reverse("admin:coalition_endorsement_changelist")


@pytest.fixture
def staff_client(client, db):
    """A staff user outside the Reviewers group, with no permissions at all."""
    user = User.objects.create_user("staff", "staff@registry.example", "pw", is_staff=True)
    client.force_login(user)
    return client


# --- The review queue ------------------------------------------------------------------------


def test_queue_renders_for_a_reviewer_with_its_filters(reviewer_client, make_endorsement):
    # Django hides a related filter that has a single choice, hence two of each.
    other_campaign = Campaign.objects.create(slug="other", title="Other", statement="x")
    other_sector = Sector.objects.create(
        slug="research", name="Research", transparency_register_category="IV"
    )
    make_endorsement(name="Alpha Aid")
    make_endorsement(
        name="Beta Board", status=Status.APPROVED, campaign=other_campaign, sector=other_sector
    )

    response = reviewer_client.get(CHANGELIST)

    assert response.status_code == 200
    assert b"Alpha Aid" in response.content
    assert b"Beta Board" in response.content
    titles = [str(spec.title) for spec in response.context["cl"].filter_specs]
    assert {"status", "campaign", "country", "sector"} <= set(titles)


def test_queue_filters_by_status_campaign_country_and_sector(
    reviewer_client, make_endorsement, campaign, sector
):
    other_campaign = Campaign.objects.create(slug="other", title="Other", statement="x")
    other_sector = Sector.objects.create(
        slug="research", name="Research", transparency_register_category="IV", parent=sector
    )
    pending_de = make_endorsement(name="Pending DE", country="DE")
    approved_fr = make_endorsement(name="Approved FR", country="FR", status=Status.APPROVED)
    elsewhere = make_endorsement(name="Elsewhere", campaign=other_campaign, sector=other_sector)

    by_status = reviewer_client.get(CHANGELIST, {"status__exact": "approved"})
    by_campaign = reviewer_client.get(CHANGELIST, {"campaign__id__exact": other_campaign.pk})
    by_country = reviewer_client.get(CHANGELIST, {"organization__country__exact": "FR"})
    by_sector = reviewer_client.get(
        CHANGELIST, {"organization__sector__id__exact": other_sector.pk}
    )

    assert results(by_status) == [approved_fr]
    assert results(by_campaign) == [elsewhere]
    assert results(by_country) == [approved_fr]
    assert results(by_sector) == [elsewhere]
    assert pending_de not in results(by_sector)
    # The country filter offers the countries that occur, not all of them.
    assert b"France" in by_status.content
    assert b"Japan" not in by_status.content
    with_facets = reviewer_client.get(CHANGELIST, {"_facets": "1"})
    assert with_facets.status_code == 200
    assert b"France (1)" in with_facets.content
    # A child sector is listed with its parent.
    assert "Child-protection NGO › Research".encode() in by_status.content


@pytest.mark.parametrize(
    "query", ["Needle Trust", "needle-trust.org", "press@needle-trust.org"], ids=str
)
def test_queue_searches_by_name_domain_and_contact_email(reviewer_client, make_endorsement, query):
    needle = make_endorsement(
        name="Needle Trust",
        website="https://www.needle-trust.org",
        contact_email="press@needle-trust.org",
    )
    make_endorsement(name="Haystack Fund", website="https://haystack.net")

    response = reviewer_client.get(CHANGELIST, {"q": query})

    assert response.status_code == 200
    assert results(response) == [needle]


def test_queue_shows_the_logo_thumbnail(reviewer_client, make_endorsement):
    with_logo = make_endorsement(name="Has Logo")
    with_logo.organization.logo = make_logo()
    with_logo.organization.save()
    make_endorsement(name="No Logo")

    response = reviewer_client.get(CHANGELIST)

    assert response.status_code == 200
    assert response.content.count(b'<img src="/media/logos/') == 1
    assert b'src="/media/logos/aaaaaaaa.png"' in response.content


def test_queue_warns_when_another_organization_shares_the_domain(reviewer_client, make_endorsement):
    first = make_endorsement(name="Acme Org", website="https://acme.org")
    second = make_endorsement(
        name="Acme Germany", website="https://de.acme.org", status=Status.APPROVED
    )
    alone = make_endorsement(name="Solo", website="https://solo.net")
    # The other one on Solo's domain was rejected: not live, so Solo gets no warning; the
    # rejected row itself does, as Solo is live.
    rejected = make_endorsement(
        name="Solo Copy", website="https://www.solo.net", status=Status.REJECTED
    )

    response = reviewer_client.get(CHANGELIST)

    warned = {e.pk for e in results(response) if e.shares_domain}
    assert warned == {first.pk, second.pk, rejected.pk}
    assert alone.pk not in warned
    assert response.content.count(b"Shared domain: acme.org") == 2
    assert response.content.count(b"Shared domain: solo.net") == 1


def test_shared_domain_lists_the_other_organizations_on_the_change_page(
    reviewer_client, make_endorsement
):
    first = make_endorsement(name="Acme Org", website="https://acme.org")
    make_endorsement(name="Acme Germany", website="https://de.acme.org")

    response = reviewer_client.get(change_url(first))

    assert response.status_code == 200
    assert b"Acme Germany" in response.content


def test_queue_shows_whether_the_contact_email_matches_the_website(
    reviewer_client, make_endorsement
):
    matching = make_endorsement(website="https://match.org", contact_email="a@mail.match.org")
    other = make_endorsement(website="https://match2.org", contact_email="a@gmail.com")

    response = reviewer_client.get(CHANGELIST)

    admin = response.context["cl"].model_admin
    assert admin.email_matches_website(matching) is True
    assert admin.email_matches_website(other) is False
    assert b"icon-yes.svg" in response.content
    assert b"icon-no.svg" in response.content


def _queue_queries(client, make_endorsement, sector, count: int) -> int:
    child = Sector.objects.create(
        slug=f"child-{count}",
        name=f"Child {count}",
        transparency_register_category="III",
        parent=sector,
    )
    for n in range(count):
        endorsement = make_endorsement(sector=child)
        endorsement.organization.logo = make_logo(digest=f"{count:04d}{n:060d}")
        endorsement.organization.save()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(CHANGELIST)
    assert response.status_code == 200
    assert len(results(response)) >= count
    return len(queries)


def test_queue_query_count_does_not_grow_with_rows(reviewer_client, make_endorsement, sector):
    with_3 = _queue_queries(reviewer_client, make_endorsement, sector, 3)
    with_30 = _queue_queries(reviewer_client, make_endorsement, sector, 27)

    assert with_30 == with_3


# --- The change page -------------------------------------------------------------------------


def test_change_page_shows_the_audit_trail(reviewer_client, reviewer, make_endorsement):
    pending = make_endorsement(status=Status.PENDING)
    services.endorsement_approve(
        endorsement=pending, by=reviewer, note="Checked their register", acknowledged=True
    )

    response = reviewer_client.get(change_url(pending))

    assert b"Checked their register" in response.content
    assert b"audit trail" in response.content.lower()


def test_change_page_sends_reviewers_to_the_workspace_to_decide(reviewer_client, make_endorsement):
    pending = make_endorsement(status=Status.PENDING)

    response = reviewer_client.get(change_url(pending))

    assert response.status_code == 200
    assert f'href="/review/{pending.public_id}/"'.encode() in response.content
    # Nothing on the admin's page decides: no decision button, no decision URL.
    assert b">Approve</button>" not in response.content
    assert b">Reject</button>" not in response.content
    assert b'name="_save"' not in response.content


def test_change_page_offers_no_workspace_link_to_staff_who_may_only_view(client, make_endorsement):
    viewer = User.objects.create_user("viewer", "v@registry.example", "pw", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_endorsement"))
    client.force_login(viewer)
    pending = make_endorsement(status=Status.PENDING)

    response = client.get(change_url(pending))

    assert response.status_code == 200
    assert f"/review/{pending.public_id}/".encode() not in response.content


def test_the_endorsement_list_offers_no_decision_actions(reviewer_client, make_endorsement):
    make_endorsement(status=Status.PENDING)

    page = reviewer_client.get(CHANGELIST)

    assert b"export_approved_csv" in page.content
    for action in (b"approve_selected", b"reject_selected", b"remove_selected"):
        assert action not in page.content


# --- CSV export ------------------------------------------------------------------------------


def export(client, endorsements):
    response = client.post(
        CHANGELIST,
        {
            "action": "export_approved_csv",
            "_selected_action": [e.pk for e in endorsements],
            "index": 0,
        },
    )
    return response


def test_csv_export_contains_approved_allies_only_and_no_contact_data(
    reviewer_client, make_endorsement
):
    approved = make_endorsement(
        status=Status.APPROVED,
        name="Approved Ally",
        website="https://ally.org",
        country="FR",
        contact_email="secret-person@ally.org",
    )
    pending = make_endorsement(status=Status.PENDING, name="Pending Applicant")

    response = export(reviewer_client, [approved, pending])

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    content = response.content.decode()
    rows = list(csv.reader(io.StringIO(content)))
    assert rows[0] == [
        "public ID",
        "organization name",
        "website",
        "country code",
        "country name",
        "sector",
        "approved at",
        "domain verified",
    ]
    assert len(rows) == 2
    assert rows[1][:6] == [
        approved.public_id,
        "Approved Ally",
        "https://ally.org/",
        "FR",
        "France",
        "Child-protection NGO",
    ]
    assert "Pending Applicant" not in content
    assert "secret-person" not in content
    assert "Contact" not in content


def test_csv_export_neutralizes_formulas(reviewer_client, make_endorsement):
    evil = make_endorsement(
        status=Status.APPROVED, name='=HYPERLINK("https://evil.example","click")'
    )
    also = make_endorsement(status=Status.APPROVED, name="@SUM(A1:A2)")
    fine = make_endorsement(status=Status.APPROVED, name="Plain - Name")

    response = export(reviewer_client, [evil, also, fine])

    names = {row[1] for row in csv.reader(io.StringIO(response.content.decode()))}
    assert '\'=HYPERLINK("https://evil.example","click")' in names
    assert "'@SUM(A1:A2)" in names
    assert "Plain - Name" in names


def test_csv_export_of_nothing_approved_explains_instead(reviewer_client, make_endorsement):
    pending = make_endorsement(status=Status.PENDING)

    response = export(reviewer_client, [pending])

    assert response.status_code == 302
    page = reviewer_client.get(response.url)
    assert any("nothing to export" in m for m in messages_of(page))


# --- What reviewers and others may not do ----------------------------------------------------


@pytest.mark.parametrize(
    "model",
    [
        "coalition_campaign",
        "coalition_sector",
        "coalition_rejectionreason",
        "coalition_organization",
        "auth_user",
        "auth_group",
        "coalition_endorsement",
        "coalition_endorsementevent",
        "coalition_logo",
    ],
)
def test_reviewer_cannot_open_add_pages(reviewer_client, model):
    assert reviewer_client.get(reverse(f"admin:{model}_add")).status_code == 403


def test_reviewer_cannot_change_or_delete_reference_data(
    reviewer_client, reviewer, campaign, sector, reason, make_endorsement
):
    organization = make_endorsement().organization
    attempts = [
        ("coalition_campaign", campaign, {"title": "Hijacked", "slug": "x", "statement": "x"}),
        (
            "coalition_sector",
            sector,
            {"name": "Hijacked", "slug": "x", "order": 0, "transparency_register_category": "I"},
        ),
        ("coalition_rejectionreason", reason, {"code": "x", "text": "Hijacked", "order": 0}),
        (
            "coalition_organization",
            organization,
            {"name": "Hijacked", "website": "https://x.org", "country": "DE", "sector": sector.pk},
        ),
        ("auth_user", reviewer, {"username": "hijacked", "is_superuser": "on"}),
    ]
    for model, obj, data in attempts:
        change = reverse(f"admin:{model}_change", args=[obj.pk])
        delete = reverse(f"admin:{model}_delete", args=[obj.pk])
        assert reviewer_client.post(change, data).status_code == 403, model
        assert reviewer_client.post(delete, {"post": "yes"}).status_code == 403, model
    campaign.refresh_from_db()
    sector.refresh_from_db()
    reason.refresh_from_db()
    organization.refresh_from_db()
    reviewer.refresh_from_db()
    assert "Hijacked" not in {campaign.title, sector.name, reason.text, organization.name}
    assert reviewer.username == "reviewer"
    assert not reviewer.is_superuser
    group = Group.objects.get(name="Reviewers")
    group_change = reverse("admin:auth_group_change", args=[group.pk])
    assert reviewer_client.post(group_change, {"name": "Owned"}).status_code == 403


def test_reviewer_can_view_but_not_edit_an_organization(reviewer_client, make_endorsement):
    organization = make_endorsement(website="https://viewable.org").organization

    response = reviewer_client.get(
        reverse("admin:coalition_organization_change", args=[organization.pk])
    )

    assert response.status_code == 200
    assert b"viewable.org" in response.content
    assert b'name="_save"' not in response.content


def test_reviewer_cannot_edit_an_endorsement_or_its_status(reviewer_client, make_endorsement):
    pending = make_endorsement(status=Status.PENDING)

    response = reviewer_client.post(
        change_url(pending), {"status": "approved", "contact_name": "Changed"}
    )

    assert response.status_code == 403
    pending.refresh_from_db()
    assert pending.status == Status.PENDING
    assert pending.contact_name != "Changed"


def test_status_cannot_be_edited_even_by_a_superuser(client, superuser, make_endorsement):
    client.force_login(superuser)
    pending = make_endorsement(status=Status.PENDING)

    response = client.post(
        change_url(pending),
        {
            "status": "approved",
            "contact_name": "Corrected Name",
            "contact_role": "Chair",
            "preferred_language": "fr",
            "events-TOTAL_FORMS": 0,
            "events-INITIAL_FORMS": 0,
        },
    )

    assert response.status_code == 302
    pending.refresh_from_db()
    assert pending.contact_name == "Corrected Name"
    assert pending.status == Status.PENDING
    assert not EndorsementEvent.objects.exists()


@pytest.mark.parametrize("user_fixture", ["reviewer", "superuser"])
def test_nobody_can_delete_an_endorsement(client, request, make_endorsement, user_fixture):
    client.force_login(request.getfixturevalue(user_fixture))
    pending = make_endorsement(status=Status.PENDING)

    response = client.post(
        reverse("admin:coalition_endorsement_delete", args=[pending.pk]), {"post": "yes"}
    )
    page = client.get(CHANGELIST)

    assert response.status_code == 403
    assert Endorsement.objects.filter(pk=pending.pk).exists()
    assert b"delete_selected" not in page.content


@pytest.mark.parametrize("user_fixture", ["reviewer", "superuser"])
def test_nobody_can_add_change_or_delete_audit_events(
    client, request, make_endorsement, user_fixture
):
    client.force_login(request.getfixturevalue(user_fixture))
    endorsement = make_endorsement(status=Status.PENDING)
    event = EndorsementEvent.objects.create(
        endorsement=endorsement, actor="system", from_status="pending", to_status="approved"
    )

    add = client.post(reverse("admin:coalition_endorsementevent_add"), {"note": "forged"})
    change = client.post(
        reverse("admin:coalition_endorsementevent_change", args=[event.pk]), {"note": "edited"}
    )
    delete = client.post(
        reverse("admin:coalition_endorsementevent_delete", args=[event.pk]), {"post": "yes"}
    )
    view = client.get(reverse("admin:coalition_endorsementevent_change", args=[event.pk]))

    assert (add.status_code, change.status_code, delete.status_code) == (403, 403, 403)
    assert view.status_code == 200
    event.refresh_from_db()
    assert event.note == ""
    assert EndorsementEvent.objects.count() == 1


def test_audit_events_cannot_be_added_or_edited_through_the_endorsement_page(
    client, superuser, make_endorsement
):
    client.force_login(superuser)
    endorsement = make_endorsement(status=Status.PENDING)
    event = EndorsementEvent.objects.create(
        endorsement=endorsement, actor="system", from_status="pending", to_status="approved"
    )

    client.post(
        change_url(endorsement),
        {
            "contact_name": "Someone",
            "contact_role": "",
            "preferred_language": "en",
            "events-TOTAL_FORMS": 2,
            "events-INITIAL_FORMS": 1,
            "events-0-id": event.pk,
            "events-0-note": "edited",
            "events-0-DELETE": "on",
            "events-1-note": "forged",
            "events-1-actor": "reviewer",
            "events-1-from_status": "pending",
            "events-1-to_status": "approved",
        },
    )

    event.refresh_from_db()
    assert event.note == ""
    assert list(EndorsementEvent.objects.all()) == [event]


def test_staff_without_the_reviewers_group_see_no_endorsement(staff_client, make_endorsement):
    pending = make_endorsement(status=Status.PENDING)

    assert staff_client.get(CHANGELIST).status_code == 403
    assert staff_client.get(change_url(pending)).status_code == 403


def test_anonymous_users_are_sent_to_the_admin_login_from_its_pages(client, make_endorsement):
    pending = make_endorsement(status=Status.PENDING)
    urls = [
        CHANGELIST,
        change_url(pending),
        reverse("admin:coalition_endorsementevent_changelist"),
        reverse("admin:coalition_campaign_changelist"),
        reverse("admin:coalition_outboundemail_changelist"),
        reverse("admin:index"),
    ]
    login = reverse("admin:login")
    for url in urls:
        for method in (client.get, client.post):
            response = method(url)
            assert response.status_code == 302, url
            assert response.url.startswith(f"{login}?next="), url
    pending.refresh_from_db()
    assert pending.status == Status.PENDING


# --- The admin index -------------------------------------------------------------------------

NOBODY_HEARS = "Nobody is told about new applications"


def test_the_admin_index_warns_when_nobody_would_hear_of_new_applications(client, settings, db):
    # A fresh setup whose superuser was made without an address, and no ADMINS.
    settings.ADMINS = []
    client.force_login(User.objects.create_superuser("admin", "", "admin-password"))

    response = client.get(reverse("admin:index"))

    assert response.status_code == 200
    assert NOBODY_HEARS in response.content.decode()


@pytest.mark.parametrize("who", ["superuser with an address", "ADMINS"])
def test_the_admin_index_does_not_warn_when_someone_would_hear(client, settings, db, who):
    settings.ADMINS = [("Ops", "ops@registry.example")] if who == "ADMINS" else []
    address = "admin@registry.example" if who != "ADMINS" else ""
    client.force_login(User.objects.create_superuser("admin", address, "admin-password"))

    response = client.get(reverse("admin:index"))

    assert response.status_code == 200
    assert NOBODY_HEARS not in response.content.decode()


def test_the_admin_index_warning_ignores_users_who_would_not_be_told(client, settings, db):
    settings.ADMINS = []
    client.force_login(User.objects.create_superuser("admin", "", "admin-password"))
    inactive = User.objects.create_user(
        "gone", "gone@registry.example", "pw", is_staff=True, is_active=False
    )
    inactive.groups.add(Group.objects.get(name="Reviewers"))
    User.objects.create_user("outsider", "outsider@registry.example", "pw").groups.add(
        Group.objects.get(name="Reviewers")
    )

    response = client.get(reverse("admin:index"))

    assert NOBODY_HEARS in response.content.decode()


# --- The rest of the admin -------------------------------------------------------------------


def test_outbox_is_visible_to_superusers_and_read_only(client, superuser, reviewer):
    email = OutboundEmail.objects.create(
        to=["a@example.org"],
        subject="Stuck",
        body_text="x",
        template="approved",
        attempts=3,
        last_error="SMTPServerDisconnected: gone",
    )
    client.force_login(superuser)

    listing = client.get(reverse("admin:coalition_outboundemail_changelist"), {"sent": "no"})
    add = client.get(reverse("admin:coalition_outboundemail_add"))
    change = client.post(
        reverse("admin:coalition_outboundemail_change", args=[email.pk]), {"subject": "x"}
    )

    assert listing.status_code == 200
    assert b"SMTPServerDisconnected" in listing.content
    assert (add.status_code, change.status_code) == (403, 403)
    email.refresh_from_db()
    assert email.subject == "Stuck"
    client.force_login(reviewer)
    assert client.get(reverse("admin:coalition_outboundemail_changelist")).status_code == 403


def test_reviewer_can_browse_reference_data_and_logos(
    reviewer_client, campaign, sector, reason, make_endorsement
):
    endorsement = make_endorsement()
    logo = make_logo()
    endorsement.organization.logo = logo
    endorsement.organization.save()

    for model in [
        "campaign",
        "sector",
        "rejectionreason",
        "organization",
        "logo",
        "endorsementevent",
    ]:
        assert reviewer_client.get(reverse(f"admin:coalition_{model}_changelist")).status_code == (
            200
        ), model
    logo_page = reviewer_client.get(reverse("admin:coalition_logo_change", args=[logo.pk]))
    assert logo_page.status_code == 200
    assert b"/media/logos/aaaaaaaa.png" in logo_page.content


def test_superuser_can_edit_reference_data(client, superuser, campaign, sector):
    client.force_login(superuser)
    child = Sector.objects.create(
        slug="child", name="Child", transparency_register_category="III", parent=sector
    )

    response = client.post(
        reverse("admin:coalition_campaign_change", args=[campaign.pk]),
        {
            "title_en": "Renamed",
            "title_de": "Umbenannt",
            "slug": campaign.slug,
            "statement_en": "We ask.",
            "is_default": "on",
        },
    )
    sector_form = client.get(reverse("admin:coalition_sector_change", args=[child.pk]))

    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.title == "Renamed"
    assert campaign.title_de == "Umbenannt"
    # A parent must be a top-level sector, so children are not offered as parents.
    parents = sector_form.context["adminform"].form.fields["parent"].queryset
    assert list(parents) == [sector]


def test_editing_a_campaign_in_the_admin_refreshes_public_caches(
    client, superuser, campaign, django_capture_on_commit_callbacks
):

    client.force_login(superuser)
    before = freshness.public_version()
    data = {
        "slug": campaign.slug,
        "title_en": "A new title",
        "statement_en": campaign.statement,
        "accepts_applications": "on",
        "is_default": "on",
    }

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/admin/coalition/campaign/{campaign.pk}/change/", data)

    assert response.status_code == 302
    assert freshness.public_version() != before


def test_the_admin_shows_which_translations_are_missing(client, superuser, campaign, sector):
    client.force_login(superuser)
    campaign.title_fr = "Un titre"
    campaign.statement_fr = "Une déclaration."
    campaign.save()

    campaigns = client.get(reverse("admin:coalition_campaign_changelist")).content.decode()
    sectors = client.get(reverse("admin:coalition_sector_changelist")).content.decode()

    assert "missing translations" in campaigns.lower()
    assert "German" in campaigns
    assert "French" not in campaigns.split("missing translations", 1)[-1].split("German")[0]
    assert "French, German" in sectors
