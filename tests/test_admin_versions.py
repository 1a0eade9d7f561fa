"""The admin and organizations' versions: changes to an approved entry wait for a reviewer, who
sees them next to the approved version and approves or declines them; the changelist shows
which entries have changes waiting; reviewers can revoke manage links."""

from __future__ import annotations

import io

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group, Permission, User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from coalition import logos, services, tokens
from coalition.models import Endorsement, OrganizationVersion
from tests.admin_helpers import change_url, make_logo, messages_of, results
from tests.conftest import image_bytes

Status = Endorsement.Status
State = OrganizationVersion.State

CHANGELIST = reverse("admin:coalition_endorsement_changelist")


def version_url(endorsement: Endorsement, version: OrganizationVersion, decision: str) -> str:
    return reverse(
        f"admin:coalition_endorsement_version_{decision}", args=[endorsement.pk, version.pk]
    )


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


def test_change_page_shows_the_proposal_next_to_the_approved_version_with_its_buttons(
    reviewer_client, approved, proposal
):
    response = reviewer_client.get(change_url(approved))

    content = response.content.decode()
    assert "Changes waiting for review" in content
    assert "On the wall now" in content
    assert "https://old-site.org/" in content
    assert "https://new-site.org" in content
    assert "Old statement" in content
    assert ">Approve changes</button>" in content
    assert ">Decline changes</button>" in content
    assert version_url(approved, proposal, "approve") in content
    assert version_url(approved, proposal, "decline") in content


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


def test_approving_a_website_the_organization_refuses_is_an_error_message(
    reviewer_client, approved
):
    version = OrganizationVersion.objects.create(
        organization=approved.organization, state=State.PROPOSED, website="javascript:alert(1)"
    )

    response = reviewer_client.post(version_url(approved, version, "approve"), follow=True)

    assert response.status_code == 200
    assert any("Enter a website address" in m for m in messages_of(response))
    version.refresh_from_db()
    assert version.state == State.PROPOSED
    approved.organization.refresh_from_db()
    assert approved.organization.website == "https://old-site.org/"
    assert approved.organization.versions.get(state=State.CURRENT).website == (
        "https://old-site.org/"
    )


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


def test_pending_application_shows_its_processed_logo_before_the_approve_button(
    reviewer_client, make_endorsement
):
    pending = make_endorsement(status=Status.PENDING)
    pending.organization.logo = logo = make_logo("b" * 64)
    pending.organization.save()

    response = reviewer_client.get(change_url(pending))

    content = response.content.decode()
    assert f'src="{logo.webp_2x.url}"' in content
    assert content.index(logo.webp_2x.url) < content.index(">Approve</button>")


def test_a_proposed_new_logo_is_shown_processed_next_to_the_buttons(
    reviewer_client, approved, tmp_path
):
    processed = logos.process(logos.validate_and_open(io.BytesIO(image_bytes((300, 150)))))
    version = propose(approved, logo=processed)
    new_logo = version.logo

    response = reviewer_client.get(change_url(approved))

    content = response.content.decode()
    assert response.context["proposed_logo_changed"] is True
    for file in [new_logo.png, new_logo.webp, new_logo.png_2x, new_logo.webp_2x]:
        assert f'src="{file.url}"' in content
    proposal_section = content[content.index('id="proposed-changes"') :]
    assert proposal_section.index(new_logo.webp_2x.url) < proposal_section.index(
        ">Approve changes</button>"
    )


# --- Approving and declining changes ---------------------------------------------------------


def test_approve_changes_makes_them_public_and_keeps_the_old_version(
    reviewer_client, reviewer, approved, proposal, django_capture_on_commit_callbacks
):
    old_version = approved.organization.versions.get(state=State.CURRENT)

    with django_capture_on_commit_callbacks(execute=True):
        response = reviewer_client.post(version_url(approved, proposal, "approve"))

    assert response.status_code == 302
    assert response.url == change_url(approved)
    organization = approved.organization
    organization.refresh_from_db()
    assert organization.website == "https://new-site.org/"
    assert organization.statement == "New <b>statement</b>"
    proposal.refresh_from_db()
    old_version.refresh_from_db()
    assert proposal.state == State.CURRENT
    assert (proposal.decided_by, proposal.decided_at is not None) == (reviewer, True)
    assert old_version.state == State.PREVIOUS
    page = reviewer_client.get(response.url)
    assert any("have been approved" in m for m in messages_of(page))
    assert b"Changes waiting for review" not in page.content
    assert LogEntry.objects.filter(object_id=str(approved.pk), user=reviewer).exists()


def test_approving_a_new_website_rechecks_the_contact_domain(reviewer_client, make_endorsement):
    endorsement = approved_with_current_version(
        make_endorsement, website="https://match.org", contact_email="a@match.org"
    )
    Endorsement.objects.filter(pk=endorsement.pk).update(domain_verified=True)
    version = propose(endorsement, website="https://elsewhere.net")

    reviewer_client.post(version_url(endorsement, version, "approve"))

    endorsement.refresh_from_db()
    assert endorsement.domain_verified is False


def test_decline_changes_keeps_the_approved_version_public(
    reviewer_client, reviewer, approved, proposal
):
    response = reviewer_client.post(version_url(approved, proposal, "decline"))

    assert response.status_code == 302
    organization = approved.organization
    organization.refresh_from_db()
    assert organization.website == "https://old-site.org/"
    assert organization.statement == "Old statement"
    proposal.refresh_from_db()
    assert proposal.state == State.DECLINED
    assert proposal.decided_by == reviewer
    assert organization.versions.get(state=State.CURRENT).website == "https://old-site.org/"
    page = reviewer_client.get(response.url)
    assert any("have been declined" in m for m in messages_of(page))


def test_a_version_of_another_organization_is_not_found(
    reviewer_client, approved, proposal, make_endorsement
):
    other = approved_with_current_version(make_endorsement)

    for decision in ["approve", "decline"]:
        response = reviewer_client.post(version_url(other, proposal, decision))
        assert response.status_code == 404

    proposal.refresh_from_db()
    assert proposal.state == State.PROPOSED


def test_a_missing_version_or_endorsement_is_not_found(reviewer_client, approved, proposal):
    missing_version = reverse(
        "admin:coalition_endorsement_version_approve", args=[approved.pk, 999_999]
    )
    missing_endorsement = reverse(
        "admin:coalition_endorsement_version_approve", args=[999_999, proposal.pk]
    )

    assert reviewer_client.post(missing_version).status_code == 404
    assert reviewer_client.post(missing_endorsement).status_code == 404


@pytest.mark.parametrize("decision", ["approve", "decline"])
def test_deciding_on_changes_no_longer_waiting_is_an_error_message(
    reviewer_client, approved, proposal, decision
):
    reviewer_client.post(version_url(approved, proposal, "decline"))
    current = approved.organization.versions.get(state=State.CURRENT)

    for version, state in [(proposal, State.DECLINED), (current, State.CURRENT)]:
        response = reviewer_client.post(version_url(approved, version, decision), follow=True)

        assert response.status_code == 200
        assert response.redirect_chain == [(change_url(approved), 302)]
        assert any("no longer waiting for review" in m for m in messages_of(response))
        version.refresh_from_db()
        assert version.state == state
    approved.organization.refresh_from_db()
    assert approved.organization.website == "https://old-site.org/"


def test_a_superseded_proposal_cannot_be_approved(reviewer_client, approved, proposal):
    newer = propose(approved, website="https://newest-site.org")

    response = reviewer_client.post(version_url(approved, proposal, "approve"), follow=True)

    assert any("no longer waiting for review" in m for m in messages_of(response))
    proposal.refresh_from_db()
    newer.refresh_from_db()
    assert (proposal.state, newer.state) == (State.SUPERSEDED, State.PROPOSED)


@pytest.mark.parametrize("decision", ["approve", "decline"])
def test_get_on_a_version_decision_url_changes_nothing(
    reviewer_client, approved, proposal, decision
):
    response = reviewer_client.get(version_url(approved, proposal, decision))

    assert response.status_code == 405
    proposal.refresh_from_db()
    assert proposal.state == State.PROPOSED
    approved.organization.refresh_from_db()
    assert approved.organization.website == "https://old-site.org/"


def test_staff_who_may_only_view_see_versions_but_no_buttons_and_cannot_decide(
    viewer_client, approved, proposal
):
    page = viewer_client.get(change_url(approved))

    assert page.status_code == 200
    assert b"Changes waiting for review" in page.content
    assert b"Approve changes" not in page.content
    assert b"Decline changes" not in page.content
    assert b"Revoke manage links" not in page.content
    for decision in ["approve", "decline"]:
        assert viewer_client.post(version_url(approved, proposal, decision)).status_code == 403
    assert viewer_client.post(revoke_url(approved)).status_code == 403
    proposal.refresh_from_db()
    assert proposal.state == State.PROPOSED


def test_staff_outside_the_reviewers_group_cannot_decide_on_changes(client, approved, proposal):
    user = User.objects.create_user("staff", "staff@registry.example", "pw", is_staff=True)
    client.force_login(user)

    assert client.post(version_url(approved, proposal, "approve")).status_code == 403
    assert client.post(revoke_url(approved)).status_code == 403
    proposal.refresh_from_db()
    assert proposal.state == State.PROPOSED


def test_anonymous_users_are_sent_to_the_login_page(client, approved, proposal):
    login = reverse("admin:login")
    for url in [version_url(approved, proposal, "approve"), revoke_url(approved)]:
        response = client.post(url)
        assert response.status_code == 302
        assert response.url.startswith(f"{login}?next=")
    proposal.refresh_from_db()
    assert proposal.state == State.PROPOSED


def test_superuser_sees_the_proposal_buttons(client, superuser, approved, proposal):
    client.force_login(superuser)

    response = client.get(change_url(approved))

    assert b">Approve changes</button>" in response.content
    assert b">Revoke manage links</button>" in response.content


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


def test_changelist_marker_goes_once_the_changes_are_decided(reviewer_client, approved, proposal):
    reviewer_client.post(version_url(approved, proposal, "decline"))

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
