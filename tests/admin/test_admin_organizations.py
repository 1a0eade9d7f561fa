"""The admin's organization page: an edit of what the public sees of an approved organization
goes through the services, as a version the editor approved, with a row in the audit trail."""

from __future__ import annotations

import pytest
from django.urls import reverse

from coalition import services
from coalition.admin.organizations import OrganizationForm
from coalition.models import (
    Campaign,
    Endorsement,
    EndorsementEvent,
    Organization,
    OrganizationVersion,
    OutboundEmail,
)
from coalition.publishing import freshness
from tests.admin_helpers import messages_of

Status = Endorsement.Status
State = OrganizationVersion.State


def edit_url(organization: Organization) -> str:
    return reverse("admin:coalition_organization_change", args=[organization.pk])


def form_data(organization: Organization, **changes) -> dict[str, str]:
    """What the organization page posts back when nothing is changed, plus ``changes``."""
    data = {
        "name": organization.name,
        "website": organization.website,
        "country": organization.country.code,
        "sector": str(organization.sector_id),
        "registry_id": organization.registry_id,
        "statement_en": organization.statement_en or "",
        "statement_fr": organization.statement_fr or "",
        "statement_de": organization.statement_de or "",
    }
    return {**data, **changes}


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


@pytest.fixture
def ally(make_endorsement) -> Endorsement:
    """An approved endorsement whose organization has its first version, as the form makes it."""
    endorsement = make_endorsement(
        status=Status.APPROVED, name="Old Name", website="https://old-site.org"
    )
    organization = endorsement.organization
    OrganizationVersion.objects.create(
        organization=organization, state=State.CURRENT, website=organization.website
    )
    return endorsement


def test_renaming_an_approved_organization_is_a_version_the_editor_approved_with_an_audit_row(
    admin_client, superuser, ally, django_capture_on_commit_callbacks
):
    organization = ally.organization
    assert "Old Name" in admin_client.get("/").content.decode()  # cached from here on
    before = freshness.public_version()

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            edit_url(organization), form_data(organization, name="Brand New Name")
        )

    assert response.status_code == 302
    organization.refresh_from_db()
    assert organization.name == "Brand New Name"
    version = organization.versions.get(state=State.CURRENT)
    assert (version.decided_by, version.website) == (superuser, "https://old-site.org/")
    assert version.decided_at is not None
    assert organization.versions.filter(state=State.PREVIOUS).count() == 1
    event = EndorsementEvent.objects.get(endorsement=ally)
    assert (event.actor, event.user) == (EndorsementEvent.Actor.REVIEWER, superuser)
    assert (event.from_status, event.to_status) == (Status.APPROVED, Status.APPROVED)
    assert "“Old Name” → “Brand New Name”" in event.note
    assert freshness.public_version() != before
    wall = admin_client.get("/").content.decode()
    assert "Brand New Name" in wall
    assert "Old Name" not in wall
    ally.refresh_from_db()
    assert ally.status == Status.APPROVED
    assert not OutboundEmail.objects.exists()  # nobody is mailed about a reviewer's edit


def test_a_new_website_for_an_approved_organization_is_public_at_once_and_rechecks_domains(
    admin_client, superuser, make_endorsement
):
    endorsement = make_endorsement(
        status=Status.APPROVED, website="https://old-site.org", contact_email="a@new-site.org"
    )
    organization = endorsement.organization
    assert not endorsement.domain_verified

    response = admin_client.post(
        edit_url(organization),
        form_data(organization, website="new-site.org", statement_en="We stand with them."),
    )

    assert response.status_code == 302
    organization.refresh_from_db()
    assert (organization.website, organization.domain) == ("https://new-site.org/", "new-site.org")
    assert organization.statement_en == "We stand with them."
    version = organization.versions.get(state=State.CURRENT)
    assert (version.website, version.statement_en) == (organization.website, organization.statement)
    assert version.decided_by == superuser
    endorsement.refresh_from_db()
    assert endorsement.domain_verified
    assert "website" in endorsement.events.get().note


def test_the_audit_row_goes_to_each_approved_endorsement_only(admin_client, ally):
    other = Campaign.objects.create(slug="other", title="Other", statement="x")
    pending = Endorsement.objects.create(
        organization=ally.organization, campaign=other, status=Status.PENDING
    )

    admin_client.post(edit_url(ally.organization), form_data(ally.organization, country="FR"))

    assert ally.events.count() == 1
    assert "country: “DE” → “FR”" in ally.events.get().note
    assert not pending.events.exists()


def test_an_edit_of_nothing_public_adds_no_version_and_no_audit_row(admin_client, ally):
    organization = ally.organization

    response = admin_client.post(
        edit_url(organization), form_data(organization, registry_id="123-45")
    )

    assert response.status_code == 302
    organization.refresh_from_db()
    assert organization.registry_id == "123-45"
    assert organization.versions.count() == 1
    assert not EndorsementEvent.objects.exists()


def test_an_organization_not_yet_approved_is_edited_without_an_audit_row(
    admin_client, make_endorsement
):
    organization = make_endorsement(status=Status.PENDING, name="Typo Nmae").organization

    response = admin_client.post(edit_url(organization), form_data(organization, name="Typo Name"))

    assert response.status_code == 302
    organization.refresh_from_db()
    assert organization.name == "Typo Name"
    assert not EndorsementEvent.objects.exists()
    assert not organization.versions.exists()


def test_editing_the_statement_while_the_organization_proposes_changes_is_refused(
    admin_client, ally
):
    organization = ally.organization
    proposal = services.organization_update(
        endorsement=ally, website="https://proposed.org", statement="Proposed"
    )

    response = admin_client.post(
        edit_url(organization), form_data(organization, statement_en="The reviewer's words")
    )

    assert response.status_code == 200
    assert "Approve or decline them on its endorsement" in response.content.decode()
    organization.refresh_from_db()
    assert not organization.statement_en
    proposal.refresh_from_db()
    assert proposal.state == State.PROPOSED
    assert not EndorsementEvent.objects.exists()


def test_renaming_while_the_organization_proposes_changes_leaves_the_proposal_waiting(
    admin_client, ally
):
    organization = ally.organization
    proposal = services.organization_update(
        endorsement=ally, website="https://proposed.org", statement="Proposed"
    )

    response = admin_client.post(edit_url(organization), form_data(organization, name="Renamed"))

    assert response.status_code == 302
    organization.refresh_from_db()
    assert (organization.name, organization.website) == ("Renamed", "https://old-site.org/")
    proposal.refresh_from_db()
    assert proposal.state == State.PROPOSED


def test_changes_proposed_between_the_check_and_the_save_are_an_error_message_not_a_500(
    admin_client, ally, monkeypatch
):
    organization = ally.organization
    services.organization_update(endorsement=ally, website="https://proposed.org", statement="")
    # As if the organization proposed its changes after the form was checked.
    monkeypatch.setattr(OrganizationForm, "clean", lambda form: form.cleaned_data)

    data = form_data(organization, website="https://elsewhere.org")

    response = admin_client.post(edit_url(organization), data, follow=True)

    assert response.status_code == 200
    assert any("waiting for review" in message for message in messages_of(response))
    organization.refresh_from_db()
    assert organization.website == "https://old-site.org/"


def test_a_website_the_organization_cannot_take_is_a_form_error(admin_client, ally):
    organization = ally.organization

    response = admin_client.post(
        edit_url(organization), form_data(organization, website="http://localhost/")
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["website"]
    organization.refresh_from_db()
    assert organization.website == "https://old-site.org/"


def test_superusers_may_still_add_an_organization(admin_client, sector):
    response = admin_client.post(
        reverse("admin:coalition_organization_add"),
        {"name": "Added", "website": "added.org", "country": "DE", "sector": sector.pk},
    )

    assert response.status_code == 302
    assert Organization.objects.get().website == "https://added.org/"


def test_superusers_may_still_delete_a_mail_from_the_outbox(admin_client):
    email = OutboundEmail.objects.create(to=["a@example.org"], subject="x", body_text="x")

    response = admin_client.post(
        reverse("admin:coalition_outboundemail_delete", args=[email.pk]), {"post": "yes"}
    )

    assert response.status_code == 302
    assert not OutboundEmail.objects.exists()
