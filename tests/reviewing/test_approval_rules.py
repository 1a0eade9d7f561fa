"""The approval's rule, in the service itself: what needs acknowledging is refused unless the
caller (a screen, a command, an import) acknowledges it with a note."""

from __future__ import annotations

import pytest

from coalition import services
from coalition.errors import ServiceError
from coalition.models import Endorsement, EndorsementEvent, OutboundEmail
from coalition.reviewing import approval
from tests.factories import on_own_domains

Status = Endorsement.Status


@pytest.fixture
def make_endorsement(make_endorsement):
    """conftest's, with a domain of its own for each organization and the contact's address at
    it counted as the proof it is when applying (there they share example.org, unproven)."""
    return on_own_domains(make_endorsement, "rules-org", contact_at_website=True)


@pytest.fixture
def lookalike(make_endorsement) -> Endorsement:
    make_endorsement(name="Unicef", website="https://unicef.org", status=Status.APPROVED)
    return make_endorsement(name="Unlcef", website="https://unlcef.org")


@pytest.fixture
def shared_domain(make_endorsement) -> Endorsement:
    make_endorsement(name="Acme", website="https://acme.org")
    return make_endorsement(name="Beta Relief", website="https://beta.acme.org")


@pytest.fixture
def shared_registry_id(make_endorsement) -> Endorsement:
    first = make_endorsement(name="Gamma Aid")
    second = make_endorsement(name="Delta Trust")
    for endorsement in (first, second):
        endorsement.organization.registry_id = "123456789012-34"
        endorsement.organization.save()
    return second


@pytest.fixture
def unproven(make_endorsement) -> Endorsement:
    return make_endorsement(name="Epsilon Works", contact_email="someone@mail.example.net")


KINDS = [
    ("lookalike", approval.LOOKALIKE, "“Unicef” (unicef.org)"),
    ("shared_domain", approval.SHARED, "acme.org"),
    ("shared_registry_id", approval.SHARED, "123456789012-34"),
    ("unproven", approval.UNPROVEN, "no proof holds for its domain"),
]


def test_the_refusal_is_a_service_error_importable_from_the_services():
    assert issubclass(services.ApprovalNeedsAcknowledgement, ServiceError)
    assert "ApprovalNeedsAcknowledgement" in services.__all__


@pytest.mark.parametrize(("fixture", "kind", "named"), KINDS, ids=[k[0] for k in KINDS])
def test_an_approval_that_needs_acknowledging_is_refused_without_it(
    request, reviewer, mailoutbox, django_capture_on_commit_callbacks, fixture, kind, named
):
    endorsement = request.getfixturevalue(fixture)

    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(services.ApprovalNeedsAcknowledgement) as refused,
    ):
        services.endorsement_approve(endorsement=endorsement, by=reviewer, note="Looks fine")

    assert endorsement.organization.name in str(refused.value)
    assert named in str(refused.value)
    assert kind in {reason.kind for reason in refused.value.reasons}
    endorsement.refresh_from_db()
    assert endorsement.status == Status.PENDING
    assert not EndorsementEvent.objects.filter(endorsement=endorsement).exists()
    assert mailoutbox == []


@pytest.mark.parametrize(("fixture", "kind", "named"), KINDS, ids=[k[0] for k in KINDS])
@pytest.mark.parametrize("note", ["", "   "], ids=["empty", "blank"])
def test_acknowledging_without_a_note_is_refused_too(request, reviewer, fixture, kind, named, note):
    endorsement = request.getfixturevalue(fixture)

    with pytest.raises(services.ApprovalNeedsAcknowledgement):
        services.endorsement_approve(
            endorsement=endorsement, by=reviewer, acknowledged=True, note=note
        )

    endorsement.refresh_from_db()
    assert endorsement.status == Status.PENDING


@pytest.mark.parametrize(("fixture", "kind", "named"), KINDS, ids=[k[0] for k in KINDS])
def test_acknowledged_with_a_note_it_is_approved_and_the_audit_row_says_what(
    request, reviewer, fixture, kind, named
):
    endorsement = request.getfixturevalue(fixture)

    services.endorsement_approve(
        endorsement=endorsement, by=reviewer, acknowledged=True, note="Called their office."
    )

    endorsement.refresh_from_db()
    assert endorsement.status == Status.APPROVED
    event = endorsement.events.get(to_status=Status.APPROVED)
    assert event.note == "Called their office."
    if kind == approval.UNPROVEN:
        assert "I verified this organization another way" in event.acknowledgement
    else:
        assert event.acknowledgement.startswith("Checked that this is a different organization")


def test_the_audit_row_names_the_lookalike(lookalike, reviewer):
    services.endorsement_approve(
        endorsement=lookalike, by=reviewer, acknowledged=True, note="Their register differs."
    )

    event = lookalike.events.get()
    assert "lookalike name of “Unicef” (unicef.org)" in event.acknowledgement


def test_an_approval_that_needs_nothing_acknowledged_goes_through_as_before(
    make_endorsement, reviewer
):
    endorsement = make_endorsement(name="Zeta Helpline")

    assert approval.approval_reasons(endorsement) == []
    services.endorsement_approve(endorsement=endorsement, by=reviewer)

    endorsement.refresh_from_db()
    assert endorsement.status == Status.APPROVED
    assert endorsement.events.get().acknowledgement == ""


def test_a_command_or_an_import_meets_the_same_rule(unproven):
    with pytest.raises(services.ApprovalNeedsAcknowledgement):
        services.endorsement_approve(endorsement=unproven, by=None)

    services.endorsement_approve(
        endorsement=unproven, by=None, acknowledged=True, note="Imported from the old list."
    )

    unproven.refresh_from_db()
    assert unproven.status == Status.APPROVED
    assert unproven.events.get().actor == EndorsementEvent.Actor.SYSTEM


def test_a_transition_the_workflow_refuses_is_refused_as_such_first(make_endorsement, reviewer):
    rejected = make_endorsement(status=Status.REJECTED, contact_email="a@mail.example.net")

    with pytest.raises(services.EndorsementTransitionError) as refused:
        services.endorsement_approve(endorsement=rejected, by=reviewer)

    assert not isinstance(refused.value, services.ApprovalNeedsAcknowledgement)
    assert "cannot become" in str(refused.value)
    assert not OutboundEmail.objects.exists()
