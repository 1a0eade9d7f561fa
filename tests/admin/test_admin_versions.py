"""The admin and organizations' versions: changes to an approved entry wait for a reviewer, who
sees them here next to the approved version (and decides in the review workspace); the
changelist shows which entries have changes waiting; reviewers can revoke manage links."""

from __future__ import annotations

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group, Permission, User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from coalition import services
from coalition.endorsements import tokens
from coalition.models import Endorsement, OrganizationVersion
from tests.admin_helpers import change_url, make_logo, messages_of, results

Status = Endorsement.Status
State = OrganizationVersion.State

CHANGELIST = reverse("admin:coalition_endorsement_changelist")


def revoke_url(endorsement: Endorsement) -> str:
    return reverse("admin:coalition_endorsement_revoke_manage_links", args=[endorsement.pk])


def approved_with_current_version(make_endorsement, **kwargs) -> Endorsement:
    """An approved endorsement whose organization has its first version, as the form makes it."""
    endorsement = make_endorsement(status=Status.APPROVED, **kwargs)
    organization = endorsement.organization
    OrganizationVersion.objects.create(
        organization=organization,
        state=State.CURRENT,
        website=organization.website,
        logo=organization.logo,
        statement=organization.statement,
    )
    return endorsement


def propose(endorsement: Endorsement, **changes) -> OrganizationVersion:
    organization = endorsement.organization
    data = {"website": organization.website, "statement": organization.statement, **changes}
    return services.organization_update(endorsement=endorsement, **data)


@pytest.fixture
def approved(make_endorsement) -> Endorsement:
    endorsement = approved_with_current_version(
        make_endorsement, name="Approved Ally", website="https://old-site.org"
    )
    organization = endorsement.organization
    organization.logo = make_logo()
    organization.statement = "Old statement"
    organization.save()
    organization.versions.update(logo=organization.logo, statement="Old statement")
    return endorsement


@pytest.fixture
def proposal(approved) -> OrganizationVersion:
    version = propose(approved, website="https://new-site.org", statement="New <b>statement</b>")
    assert version.state == State.PROPOSED
    return version


@pytest.fixture
def viewer_client(client, db):
    """Staff who may view endorsements and versions, but not decide."""
    user = User.objects.create_user("viewer", "viewer@registry.example", "pw", is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_endorsement", "view_organizationversion"])
    )
    client.force_login(user)
    return client


# --- The change page -------------------------------------------------------------------------


def test_change_page_lists_the_versions_newest_first(reviewer_client, approved, proposal):
    response = reviewer_client.get(change_url(approved))

    assert response.status_code == 200
    rows = [row["version"] for row in response.context["versions"]]
    assert [v.state for v in rows] == [State.PROPOSED, State.CURRENT]
    content = response.content.decode()
    assert "Versions of the organization" in content
    assert "Proposed, waiting for review" in content
    assert 'class="version-current"' in content


def test_the_proposal_marks_only_what_changed(reviewer_client, approved):
    # The same website, written without the trailing slash, is not a change.
    propose(approved, website="https://OLD-site.org", statement="Only this changed")

    response = reviewer_client.get(change_url(approved))

    context = response.context
    assert context["proposed_statement_changed"] is True
    assert context["proposed_website_changed"] is False
    assert context["proposed_logo_changed"] is False
    assert response.content.count(b'class="changed-marker"') == 1


def test_the_proposal_is_escaped(reviewer_client, approved, proposal):
    response = reviewer_client.get(change_url(approved))

    assert b"New <b>statement</b>" not in response.content
    assert b"New &lt;b&gt;statement&lt;/b&gt;" in response.content


def test_a_website_that_is_not_a_web_address_is_shown_but_not_linked(reviewer_client, approved):
    OrganizationVersion.objects.create(
        organization=approved.organization, state=State.PROPOSED, website="javascript:alert(1)"
    )

    response = reviewer_client.get(change_url(approved))

    assert response.status_code == 200
    assert b"javascript:alert(1)" in response.content
    assert b'href="javascript:' not in response.content


def test_change_page_without_a_proposal_has_no_proposal_buttons(reviewer_client, approved):
    response = reviewer_client.get(change_url(approved))

    assert response.status_code == 200
    assert b"Changes waiting for review" not in response.content
    assert b"Approve changes" not in response.content
    assert len(response.context["versions"]) == 1


def test_change_page_shows_every_rendition_of_the_processed_logo(reviewer_client, approved):
    response = reviewer_client.get(change_url(approved))

    content = response.content.decode()
    logo = approved.organization.logo
    for file in [logo.png, logo.webp, logo.png_2x, logo.webp_2x]:
        assert f'src="{file.url}"' in content, file.name
    for label in ["PNG 1x", "WebP 1x", "PNG 2x", "WebP 2x"]:
        assert label in content
    # Near the decision buttons: the logo module comes right before them.
    assert content.index('id="logo-as-processed"') < content.index('id="endorsement-decisions"')


# --- The changelist --------------------------------------------------------------------------


def test_changelist_filters_and_marks_entries_with_changes_waiting(
    reviewer_client, approved, proposal, make_endorsement
):
    quiet = approved_with_current_version(make_endorsement, name="Quiet Ally")

    everything = reviewer_client.get(CHANGELIST)
    waiting = reviewer_client.get(CHANGELIST, {"changes_waiting": "yes"})
    not_waiting = reviewer_client.get(CHANGELIST, {"changes_waiting": "no"})
    facets = reviewer_client.get(CHANGELIST, {"_facets": "1"})

    titles = [str(spec.title) for spec in everything.context["cl"].filter_specs]
    assert "changes waiting for review" in titles
    assert results(waiting) == [approved]
    assert results(not_waiting) == [quiet]
    assert everything.content.count(b'class="changes-waiting"') == 1
    assert facets.status_code == 200


def test_changelist_marker_goes_once_the_changes_are_decided(
    reviewer_client, reviewer, approved, proposal
):
    services.organization_version_decline(version=proposal, by=reviewer)

    response = reviewer_client.get(CHANGELIST, {"changes_waiting": "yes"})

    assert results(response) == []
    assert b'class="changes-waiting"' not in response.content


def _changelist_queries(client, make_endorsement, count: int) -> int:
    for _n in range(count):
        endorsement = approved_with_current_version(make_endorsement)
        propose(endorsement, website=f"https://changed-{endorsement.pk}.org")
    with CaptureQueriesContext(connection) as queries:
        response = client.get(CHANGELIST, {"changes_waiting": "yes"})
    assert response.status_code == 200
    assert response.content.count(b'class="changes-waiting"') == len(results(response))
    assert len(results(response)) >= count
    return len(queries)


def test_changelist_query_count_does_not_grow_with_entries_waiting(
    reviewer_client, make_endorsement
):
    with_3 = _changelist_queries(reviewer_client, make_endorsement, 3)
    with_30 = _changelist_queries(reviewer_client, make_endorsement, 27)

    assert with_30 == with_3


# --- Revoking manage links -------------------------------------------------------------------


def test_revoke_manage_links_makes_old_links_stop_working(
    reviewer_client, reviewer, client, approved
):
    old_token = tokens.manage_token(approved)
    before = approved.manage_token_version

    response = reviewer_client.post(revoke_url(approved))

    assert response.status_code == 302
    assert response.url == change_url(approved)
    approved.refresh_from_db()
    assert approved.manage_token_version == before + 1
    with pytest.raises(tokens.InvalidLink):
        tokens.endorsement_from_manage_token(old_token)
    assert tokens.endorsement_from_manage_token(tokens.manage_token(approved)) == approved
    page = reviewer_client.get(response.url)
    assert any("no longer work" in m for m in messages_of(page))
    entry = LogEntry.objects.get(object_id=str(approved.pk))
    assert (entry.user, entry.change_message) == (reviewer, "Revoked manage links")


def test_an_old_manage_url_is_refused_after_revoking(reviewer_client, client, approved):
    old_url = reverse("manage", kwargs={"token": tokens.manage_token(approved)})
    assert client.get(old_url).status_code == 200

    reviewer_client.post(revoke_url(approved))

    assert client.get(old_url).status_code == 400


def test_get_on_the_revoke_url_changes_nothing(reviewer_client, approved):
    response = reviewer_client.get(revoke_url(approved))

    assert response.status_code == 405
    approved.refresh_from_db()
    assert approved.manage_token_version == 1
    assert not LogEntry.objects.exists()


def test_change_page_offers_revoke_to_reviewers(reviewer_client, make_endorsement):
    pending = make_endorsement(status=Status.PENDING)

    response = reviewer_client.get(change_url(pending))

    assert b">Revoke manage links</button>" in response.content
    assert revoke_url(pending).encode() in response.content


def test_only_those_who_may_decide_may_revoke_manage_links(
    viewer_client, superuser, approved, proposal
):
    page = viewer_client.get(change_url(approved))
    assert page.status_code == 200
    assert b"Changes waiting for review" in page.content
    assert b"Revoke manage links" not in page.content
    assert viewer_client.post(revoke_url(approved)).status_code == 403

    staff = Client()
    staff.force_login(
        User.objects.create_user("staff", "staff@registry.example", "pw", is_staff=True)
    )
    assert staff.post(revoke_url(approved)).status_code == 403

    anonymous = Client().post(revoke_url(approved))
    assert anonymous.status_code == 302
    assert anonymous.url.startswith(f"{reverse('admin:login')}?next=")
    approved.refresh_from_db()
    assert approved.manage_token_version == 1

    admin_client = Client()
    admin_client.force_login(superuser)
    assert b">Revoke manage links</button>" in admin_client.get(change_url(approved)).content


# --- The versions' own admin -----------------------------------------------------------------


def test_reviewers_group_may_view_versions(db):
    group = Group.objects.get(name="Reviewers")

    assert group.permissions.filter(codename="view_organizationversion").exists()


def test_reviewer_can_browse_versions(reviewer_client, approved, proposal):
    listing = reviewer_client.get(reverse("admin:coalition_organizationversion_changelist"))
    page = reviewer_client.get(
        reverse("admin:coalition_organizationversion_change", args=[proposal.pk])
    )

    assert listing.status_code == 200
    assert b"new-site.org" in listing.content
    assert page.status_code == 200
    assert b"new-site.org" in page.content
    assert b'name="_save"' not in page.content


@pytest.mark.parametrize("user_fixture", ["reviewer", "superuser"])
def test_nobody_can_add_change_or_delete_versions(
    client, request, approved, proposal, user_fixture
):
    client.force_login(request.getfixturevalue(user_fixture))

    add = client.post(
        reverse("admin:coalition_organizationversion_add"),
        {"organization": approved.organization.pk, "state": "current", "website": "https://x.org"},
    )
    change = client.post(
        reverse("admin:coalition_organizationversion_change", args=[proposal.pk]),
        {"state": "current", "website": "https://forged.org"},
    )
    delete = client.post(
        reverse("admin:coalition_organizationversion_delete", args=[proposal.pk]), {"post": "yes"}
    )

    assert (add.status_code, change.status_code, delete.status_code) == (403, 403, 403)
    proposal.refresh_from_db()
    assert (proposal.state, proposal.website) == (State.PROPOSED, "https://new-site.org")
    assert OrganizationVersion.objects.count() == 2
