from __future__ import annotations

import itertools

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.db import IntegrityError

from coalition import services
from coalition.models import Endorsement, EndorsementEvent, OutboundEmail
from coalition.reviewing.reviewers import reviewers_who_may_decide

Status = Endorsement.Status

ALLOWED = {
    (Status.UNCONFIRMED, Status.PENDING),
    (Status.UNCONFIRMED, Status.WITHDRAWN),
    (Status.PENDING, Status.APPROVED),
    (Status.PENDING, Status.REJECTED),
    (Status.PENDING, Status.WITHDRAWN),
    (Status.APPROVED, Status.WITHDRAWN),
    (Status.APPROVED, Status.REMOVED),
}
TARGETS = [Status.PENDING, Status.APPROVED, Status.REJECTED, Status.WITHDRAWN, Status.REMOVED]


def _move(endorsement, to, reviewer, reason):
    if to == Status.PENDING:
        return services.endorsement_confirm(endorsement=endorsement)
    if to == Status.APPROVED:
        return services.endorsement_approve(
            endorsement=endorsement, by=reviewer, note="ok", acknowledged=True
        )
    if to == Status.REJECTED:
        return services.endorsement_reject(
            endorsement=endorsement, by=reviewer, reason=reason, note="checked register"
        )
    if to == Status.REMOVED:
        return services.endorsement_remove(endorsement=endorsement, by=reviewer, note="asked")
    return services.endorsement_withdraw(endorsement=endorsement, note="changed our mind")


def test_the_workflow_is_written_once_and_matches_the_spec():
    written = {(frm, to) for frm, targets in Endorsement.TRANSITIONS.items() for to in targets}
    assert written == ALLOWED


@pytest.mark.parametrize(
    ("from_status", "to"),
    sorted(ALLOWED),
    ids=lambda s: str(s),
)
def test_allowed_transition_changes_status_and_writes_one_audit_event(
    make_endorsement, reviewer, reason, from_status, to
):
    endorsement = make_endorsement(status=from_status)

    _move(endorsement, to, reviewer, reason)

    endorsement.refresh_from_db()
    assert endorsement.status == to
    event = EndorsementEvent.objects.get(endorsement=endorsement)
    assert (event.from_status, event.to_status) == (from_status, to)
    if to in (Status.APPROVED, Status.REJECTED, Status.REMOVED):
        assert event.actor == EndorsementEvent.Actor.REVIEWER
        assert event.user == reviewer
        assert endorsement.decided_by == reviewer
        assert endorsement.decided_at is not None
    else:
        assert event.actor == EndorsementEvent.Actor.APPLICANT
        assert event.user is None
    if to == Status.REJECTED:
        assert event.reason == reason
        assert endorsement.rejection_reason == reason
        assert event.note == "checked register"
    if to == Status.APPROVED:
        assert endorsement.approved_at is not None
    if to == Status.PENDING:
        assert endorsement.confirmed_at is not None


@pytest.mark.parametrize(
    ("from_status", "to"),
    sorted(set(itertools.product(Status.values, TARGETS)) - ALLOWED),
    ids=lambda s: str(s),
)
def test_refused_transition_raises_and_changes_nothing(
    make_endorsement, reviewer, reason, from_status, to
):
    endorsement = make_endorsement(status=from_status)

    with pytest.raises(services.EndorsementTransitionError) as refusal:
        _move(endorsement, to, reviewer, reason)

    assert endorsement.organization.name in str(refusal.value)
    endorsement.refresh_from_db()
    assert endorsement.status == from_status
    assert not EndorsementEvent.objects.filter(endorsement=endorsement).exists()
    assert not OutboundEmail.objects.exists()


def test_a_decision_on_a_stale_copy_is_checked_against_the_database(
    make_endorsement, reviewer, reason
):
    endorsement = make_endorsement(status=Status.PENDING)
    stale_copy = Endorsement.objects.get(pk=endorsement.pk)
    services.endorsement_approve(
        endorsement=endorsement, by=reviewer, acknowledged=True, note="Checked by hand."
    )

    with pytest.raises(services.EndorsementTransitionError):
        services.endorsement_reject(endorsement=stale_copy, by=reviewer, reason=reason)

    stale_copy.refresh_from_db()
    assert stale_copy.status == Status.APPROVED
    assert EndorsementEvent.objects.filter(endorsement=endorsement).count() == 1


def test_rejecting_needs_a_reason(make_endorsement, reviewer):
    endorsement = make_endorsement(status=Status.PENDING)

    with pytest.raises(services.EndorsementTransitionError):
        services.endorsement_reject(endorsement=endorsement, by=reviewer, reason=None)

    endorsement.refresh_from_db()
    assert endorsement.status == Status.PENDING


def test_withdrawal_through_a_not_us_report_is_recorded_as_the_system(make_endorsement):
    endorsement = make_endorsement(status=Status.UNCONFIRMED)

    services.endorsement_withdraw(
        endorsement=endorsement,
        actor=EndorsementEvent.Actor.SYSTEM,
        note="The contact reported that they did not apply.",
    )

    event = endorsement.events.get()
    assert event.actor == EndorsementEvent.Actor.SYSTEM
    assert "did not apply" in event.note


def test_audit_events_cannot_be_changed_or_deleted(make_endorsement, reviewer):
    endorsement = make_endorsement(status=Status.PENDING)
    # Proven by its contact's address and like no other: approved without a note.
    Endorsement.objects.filter(pk=endorsement.pk).update(domain_verified=True)
    endorsement.refresh_from_db()
    services.endorsement_approve(endorsement=endorsement, by=reviewer)
    event = endorsement.events.get()

    event.note = "rewritten"
    with pytest.raises(Exception, match="cannot be changed"):
        event.save()
    with pytest.raises(Exception, match="cannot be deleted"):
        event.delete()
    assert endorsement.events.get().note == ""


def test_an_organization_has_at_most_one_live_endorsement_per_campaign(make_endorsement):
    first = make_endorsement(status=Status.APPROVED)

    with pytest.raises(IntegrityError):
        Endorsement.objects.create(
            organization=first.organization, campaign=first.campaign, status=Status.UNCONFIRMED
        )


def test_an_organization_may_apply_again_after_withdrawing(make_endorsement):
    first = make_endorsement(status=Status.PENDING)
    services.endorsement_withdraw(endorsement=first)

    again = Endorsement.objects.create(organization=first.organization, campaign=first.campaign)

    assert again.status == Status.UNCONFIRMED


def test_each_decision_queues_mail_to_the_applicant_in_their_language(
    make_endorsement, reviewer, reason, django_capture_on_commit_callbacks, mailoutbox
):
    endorsement = make_endorsement(status=Status.PENDING)

    with django_capture_on_commit_callbacks(execute=True):
        services.endorsement_reject(endorsement=endorsement, by=reviewer, reason=reason)

    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == [endorsement.contact_email]
    assert reason.text in mailoutbox[0].body
    assert OutboundEmail.objects.get().sent_at is not None


def test_confirming_tells_the_reviewers(
    make_endorsement, reviewer, django_capture_on_commit_callbacks, mailoutbox
):
    endorsement = make_endorsement(status=Status.UNCONFIRMED)

    with django_capture_on_commit_callbacks(execute=True):
        services.endorsement_confirm(endorsement=endorsement)

    recipients = sorted(address for message in mailoutbox for address in message.to)
    assert recipients == sorted([endorsement.contact_email, reviewer.email])


def test_reviewer_mail_falls_back_to_admins(
    make_endorsement, settings, django_capture_on_commit_callbacks, mailoutbox
):
    settings.ADMINS = [("Ops", "ops@registry.example")]
    endorsement = make_endorsement(status=Status.UNCONFIRMED)

    with django_capture_on_commit_callbacks(execute=True):
        services.endorsement_confirm(endorsement=endorsement)

    assert ["ops@registry.example"] in [message.to for message in mailoutbox]


def test_approval_and_withdrawal_bump_the_public_version(
    make_endorsement, reviewer, django_capture_on_commit_callbacks
):
    from django.core.cache import cache

    endorsement = make_endorsement(status=Status.PENDING)
    before = cache.get(services.PUBLIC_VERSION_KEY)
    with django_capture_on_commit_callbacks(execute=True):
        services.endorsement_approve(
            endorsement=endorsement, by=reviewer, acknowledged=True, note="Checked by hand."
        )
    after_approval = cache.get(services.PUBLIC_VERSION_KEY)
    with django_capture_on_commit_callbacks(execute=True):
        services.endorsement_withdraw(endorsement=endorsement)
    after_withdrawal = cache.get(services.PUBLIC_VERSION_KEY)

    assert after_approval is not None
    assert after_approval != before
    assert after_withdrawal != after_approval


@pytest.fixture
def told_of_a_new_application(make_endorsement, django_capture_on_commit_callbacks, mailoutbox):
    """Confirm an application; return who was mailed about it besides its contact."""

    def told() -> list[str]:
        endorsement = make_endorsement(status=Status.UNCONFIRMED)
        with django_capture_on_commit_callbacks(execute=True):
            services.endorsement_confirm(endorsement=endorsement)
        return sorted(
            address
            for message in mailoutbox
            if endorsement.contact_email not in message.to
            for address in message.to
        )

    return told


def test_a_fresh_setups_superuser_is_told_about_new_applications(
    told_of_a_new_application, superuser, settings
):
    # What `make run` leaves: one superuser (ensure_superuser), no reviewer, no ADMINS.
    settings.ADMINS = []

    told = told_of_a_new_application()

    assert told == [superuser.email]


def test_every_active_staff_user_who_may_decide_is_told_and_nobody_else(
    told_of_a_new_application, reviewer, superuser, settings
):
    settings.ADMINS = [("Ops", "ops@registry.example")]
    reviewers = Group.objects.get(name="Reviewers")
    inactive = User.objects.create_user(
        "gone", "gone@registry.example", "pw", is_staff=True, is_active=False
    )
    not_staff = User.objects.create_user("outsider", "outsider@registry.example", "pw")
    reviewers.user_set.add(inactive, not_staff)
    User.objects.create_superuser("old-admin", "old-admin@registry.example", "pw", is_active=False)
    User.objects.create_user("staff", "staff@registry.example", "pw", is_staff=True)
    User.objects.create_user("no-address", "", "pw", is_staff=True).groups.add(reviewers)

    told = told_of_a_new_application()

    # ADMINS only stand in for nobody: here two people who may decide have an address.
    assert told == sorted([reviewer.email, superuser.email])


def test_when_nobody_who_may_decide_has_an_address_admins_are_told(
    told_of_a_new_application, settings
):
    settings.ADMINS = [("Ops", "ops@registry.example")]
    User.objects.create_superuser("admin", "", "pw")
    inactive = User.objects.create_user(
        "gone", "gone@registry.example", "pw", is_staff=True, is_active=False
    )
    inactive.groups.add(Group.objects.get(name="Reviewers"))

    told = told_of_a_new_application()

    assert told == ["ops@registry.example"]


def test_who_may_decide_is_whoever_the_admin_lets_decide(reviewer, superuser, db):
    deputies = Group.objects.create(name="Deputies")
    deputies.permissions.add(
        Permission.objects.get(codename="decide_endorsement"),
        Permission.objects.get(codename="view_endorsement"),
    )
    deputy = User.objects.create_user("deputy", "deputy@registry.example", "pw", is_staff=True)
    deputy.groups.add(deputies)
    # Deciding without seeing the endorsement is not possible in the admin.
    blind = User.objects.create_user("blind", "blind@registry.example", "pw", is_staff=True)
    blind.user_permissions.add(Permission.objects.get(codename="decide_endorsement"))
    User.objects.create_user("viewer", "viewer@registry.example", "pw", is_staff=True)

    assert set(reviewers_who_may_decide()) == {reviewer, superuser, deputy}


def _decided_elsewhere_while_checking(monkeypatch, *, to: str) -> None:
    """Another writer commits ``to`` between the service's read and its update: what row
    locks prevent on PostgreSQL, and what only the ``status=`` guard of the update prevents
    where there are no row locks (SQLite)."""
    real = Endorsement.can_become

    def can_become_then_raced(self, status):
        allowed = real(self, status)
        Endorsement.objects.filter(pk=self.pk).update(status=to)
        return allowed

    monkeypatch.setattr(Endorsement, "can_become", can_become_then_raced)


def test_a_decision_raced_by_another_writer_is_refused_even_without_row_locks(
    monkeypatch, make_endorsement, reviewer, reason
):
    endorsement = make_endorsement(status=Status.PENDING)
    _decided_elsewhere_while_checking(monkeypatch, to=Status.WITHDRAWN)

    with pytest.raises(services.EndorsementTransitionError):
        services.endorsement_approve(
            endorsement=endorsement, by=reviewer, acknowledged=True, note="Checked by hand."
        )

    # (The other writer's change is rolled back with the refused transaction here.)
    endorsement.refresh_from_db()
    assert endorsement.status != Status.APPROVED
    assert not EndorsementEvent.objects.filter(to_status=Status.APPROVED).exists()


def test_the_race_test_fails_once_the_status_guard_is_removed(
    monkeypatch, make_endorsement, reviewer
):
    """The test above is what covers the guard: with the ``status=`` condition dropped from the
    update, the raced approval overwrites the withdrawal."""
    endorsement = make_endorsement(status=Status.PENDING)
    _decided_elsewhere_while_checking(monkeypatch, to=Status.WITHDRAWN)
    real_filter = type(Endorsement.objects.all()).filter

    def filter_without_guard(queryset, *args, **kwargs):
        if set(kwargs) == {"pk", "status"}:
            kwargs.pop("status")
        return real_filter(queryset, *args, **kwargs)

    monkeypatch.setattr(type(Endorsement.objects.all()), "filter", filter_without_guard)

    services.endorsement_approve(
        endorsement=endorsement, by=reviewer, acknowledged=True, note="Checked by hand."
    )

    endorsement.refresh_from_db()
    assert endorsement.status == Status.APPROVED  # the withdrawal was lost: the guard matters
