"""The reviewers' workspace at /review/: who gets in, the queue, and one screen per decision."""

from __future__ import annotations

import re
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from coalition import services
from coalition.endorsements import tokens
from coalition.endorsements.mail import mail_context
from coalition.jobs import outbox
from coalition.models import (
    Campaign,
    Endorsement,
    EndorsementEvent,
    OrganizationVersion,
    OutboundEmail,
    ReviewClaim,
    Sector,
)
from tests.factories import on_own_domains
from tests.wall_helpers import make_logo

Status = Endorsement.Status
QUEUE = "/review/"


def screen(endorsement: Endorsement) -> str:
    return f"/review/{endorsement.public_id}/"


def waiting(endorsement: Endorsement, *, days: float) -> Endorsement:
    Endorsement.objects.filter(pk=endorsement.pk).update(
        confirmed_at=timezone.now() - timedelta(days=days)
    )
    endorsement.refresh_from_db()
    return endorsement


def names(response) -> list[str]:
    return [row["organization"].name for row in response.context["rows"]]


@pytest.fixture
def make_endorsement(make_endorsement):
    """conftest's, with a registrable domain of its own for each organization (there they share
    example.org, which the evidence flags as a shared domain)."""
    return on_own_domains(make_endorsement, "review-org")


@pytest.fixture
def other_client(other_reviewer) -> Client:
    client = Client()
    client.force_login(other_reviewer)
    return client


# Who gets in -------------------------------------------------------------------------------


def test_a_visitor_is_sent_to_the_admins_sign_in_and_back(client, db):
    response = client.get("/review/decided/?q=acme")

    assert response.status_code == 302
    assert response["Location"] == "/admin/login/?next=/review/decided/%3Fq%3Dacme"


def test_staff_outside_the_reviewers_group_are_refused(client, db):
    clerk = User.objects.create_user("clerk", "clerk@registry.example", "pw", is_staff=True)
    client.force_login(clerk)

    response = client.get(QUEUE)

    assert response.status_code == 403
    assert b"This workspace is for reviewers" in response.content


def test_a_signed_in_user_who_is_not_staff_is_refused(client, db):
    client.force_login(User.objects.create_user("someone", "s@example.org", "pw"))

    assert client.get(QUEUE).status_code == 403


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "{screen}"),
        ("get", "{screen}status/"),
        ("get", "{screen}take-over/"),
        ("post", "{screen}approve/"),
        ("post", "{screen}reject/"),
        ("post", "{screen}remove/"),
        ("post", "{screen}evidence/"),
        ("post", "{screen}claim/"),
        ("post", "{screen}release/"),
        ("get", "/review/changes/"),
        ("get", "/review/reported/"),
    ],
)
def test_every_workspace_page_refuses_staff_who_may_not_decide(
    client, make_endorsement, method, path
):
    endorsement = make_endorsement()
    clerk = User.objects.create_user("clerk", "clerk@registry.example", "pw", is_staff=True)
    client.force_login(clerk)

    response = getattr(client, method)(path.format(screen=screen(endorsement)))

    assert response.status_code == 403
    endorsement.refresh_from_db()
    assert endorsement.status == Status.PENDING
    assert not ReviewClaim.objects.exists()


def test_superusers_and_reviewers_get_in(client, reviewer, superuser):
    for user in (reviewer, superuser):
        client.force_login(user)
        assert client.get(QUEUE).status_code == 200


def test_with_two_factors_required_a_reviewer_without_a_code_signs_in_again(
    client, reviewer, settings
):
    settings.REQUIRE_STAFF_2FA = True
    TOTPDevice.objects.create(user=reviewer, name="phone", confirmed=True)
    client.force_login(reviewer)  # password only: not verified with a code

    response = client.get(QUEUE)

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/?next=/review/")


def test_workspace_pages_are_never_cached_anywhere(reviewer_client, db):
    response = reviewer_client.get(QUEUE)

    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]


def test_workspace_pages_have_no_inline_script_or_style(reviewer_client, make_endorsement):
    endorsement = make_endorsement()

    for path in (QUEUE, screen(endorsement)):
        html = reviewer_client.get(path).content.decode()
        assert not re.search(r"<script(?![^>]*\bsrc=)", html), path
        assert not re.search(r"<style\b|\sstyle=|\son[a-z]+=", html), path
        assert "https://" not in re.sub(r'href="https?://[^"]*"', "", html).split("<body", 1)[0]


def test_the_workspace_follows_the_language_cookie(reviewer_client, db):
    reviewer_client.cookies["coalition_language"] = "de"

    response = reviewer_client.get(QUEUE)

    assert response["Content-Language"] == "de"
    assert b'<html lang="de">' in response.content


# The queue ---------------------------------------------------------------------------------


def test_needs_a_decision_lists_pending_applications_oldest_confirmation_first(
    reviewer_client, make_endorsement
):
    newer = waiting(make_endorsement(name="Newer"), days=1)
    older = waiting(make_endorsement(name="Older"), days=3)
    make_endorsement(name="Unconfirmed", status=Status.UNCONFIRMED)
    make_endorsement(name="Approved", status=Status.APPROVED)

    response = reviewer_client.get(QUEUE)

    assert names(response) == [older.organization.name, newer.organization.name]
    assert [row["age"] for row in response.context["rows"]] == ["3\xa0days", "1\xa0day"]
    assert {tab["slug"]: tab["count"] for tab in response.context["tabs"]} == {
        "pending": 2,
        "changes": 0,
        "reported": 0,
        "proof": 0,
        "decided": 0,
    }


def test_proposed_changes_lists_approved_organizations_whose_changes_wait(
    reviewer_client, make_endorsement
):
    changing = make_endorsement(name="Changing", status=Status.APPROVED)
    make_endorsement(name="Steady", status=Status.APPROVED)
    services.organization_update(
        endorsement=changing, website="https://changed.example.org", statement="New words"
    )

    response = reviewer_client.get("/review/changes/")

    assert names(response) == ["Changing"]
    assert response.context["tabs"][1]["count"] == 1


def test_reported_lists_applications_withdrawn_through_the_not_us_link(
    client, reviewer_client, make_endorsement
):
    reported = make_endorsement(name="Impersonated")
    withdrawn = make_endorsement(name="Changed its mind")
    services.endorsement_withdraw(endorsement=withdrawn)

    # The contact follows the "this wasn't us" link of a mail, and confirms.
    response = client.post(f"/not-us/{tokens.not_us_token(reported)}/")
    assert response.status_code == 200

    response = reviewer_client.get("/review/reported/")

    assert names(response) == ["Impersonated"]
    event = EndorsementEvent.objects.get(endorsement=reported)
    assert event.reported is True
    assert EndorsementEvent.objects.get(endorsement=withdrawn).reported is False


def test_decided_lists_the_latest_decisions_with_who_and_when(
    reviewer_client, reviewer, make_endorsement, reason
):
    first = make_endorsement(name="First")
    second = make_endorsement(name="Second")
    services.endorsement_approve(endorsement=first, by=reviewer)
    services.endorsement_reject(endorsement=second, by=reviewer, reason=reason)

    response = reviewer_client.get("/review/decided/")

    assert names(response) == ["Second", "First"]
    rows = response.context["rows"]
    assert rows[0]["decided_by"] == "reviewer"
    assert rows[0]["decided_at"] is not None
    assert b"by reviewer" in response.content


def test_the_queue_filters_by_campaign_country_and_sector(
    reviewer_client, make_endorsement, sector
):
    other_campaign = Campaign.objects.create(slug="other", title="Other", statement="Other")
    child = Sector.objects.create(
        slug="hotline", name="Hotline", parent=sector, transparency_register_category="III"
    )
    tech = Sector.objects.create(slug="tech", name="Tech", transparency_register_category="II")
    make_endorsement(name="German hotline", country="DE", sector=child)
    make_endorsement(name="French NGO", country="FR")
    make_endorsement(name="Tech firm", country="DE", sector=tech)
    make_endorsement(name="Elsewhere", campaign=other_campaign)

    assert names(reviewer_client.get(QUEUE, {"campaign": "other"})) == ["Elsewhere"]
    assert set(names(reviewer_client.get(QUEUE, {"country": "FR"}))) == {"French NGO"}
    # A sector includes its sub-sectors.
    assert "German hotline" in names(reviewer_client.get(QUEUE, {"sector": sector.slug}))
    assert names(reviewer_client.get(QUEUE, {"sector": "tech", "country": "DE"})) == ["Tech firm"]


def test_the_queue_searches_name_domain_email_and_public_id(reviewer_client, make_endorsement):
    target = make_endorsement(
        name="Linden Helpline", website="https://linden.example.net", contact_email="mira@post.de"
    )
    make_endorsement(name="Other")

    for search in ("linden help", "linden.example", "mira@post", target.public_id):
        assert names(reviewer_client.get(QUEUE, {"q": search})) == ["Linden Helpline"], search


def test_a_filter_that_names_nothing_is_a_clear_400(reviewer_client, make_endorsement):
    make_endorsement()

    response = reviewer_client.get(QUEUE, {"campaign": "no-such-campaign"})

    assert response.status_code == 400
    assert b"Select a valid choice" in response.content


def test_an_unknown_page_number_shows_the_last_page_rather_than_failing(
    reviewer_client, make_endorsement
):
    make_endorsement()

    assert reviewer_client.get(QUEUE, {"page": "999"}).status_code == 200
    assert reviewer_client.get(QUEUE, {"page": "x"}).status_code == 200


def test_each_row_shows_its_flags_and_who_claimed_it(
    reviewer_client, other_reviewer, make_endorsement
):
    make_endorsement(name="Unicef", website="https://unicef.org", status=Status.APPROVED)
    lookalike = make_endorsement(
        name="Unlcef", website="https://unlcef.org", contact_email="info@unlcef.org"
    )
    services.evidence_refresh(endorsement=lookalike)
    claim = services.claim_open(endorsement=lookalike, by=other_reviewer)

    response = reviewer_client.get(QUEUE)
    html = response.content.decode()

    assert "Lookalike name" in html
    assert "Lookalike domain" in html
    assert f"Bea since {timezone.localtime(claim.claimed_at):%H:%M}" in html


def _fill(make_endorsement, count: int, *, holder: User, decided_by: User | None) -> None:
    for n in range(count):
        endorsement = make_endorsement()
        endorsement.organization.logo = make_logo(color=(n % 250, 40, 90))
        endorsement.organization.save()
        services.evidence_refresh(endorsement=endorsement)
        if decided_by is not None:
            services.endorsement_approve(
                endorsement=endorsement, by=decided_by, acknowledged=True, note="Checked by hand."
            )
        else:
            services.claim_open(endorsement=endorsement, by=holder)


def _queries(client, path: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("tab", ["", "decided/"])
def test_a_queue_page_takes_the_same_queries_for_3_rows_as_for_30(
    reviewer_client, other_reviewer, make_endorsement, django_assert_max_num_queries, tab
):
    decider = other_reviewer if tab else None
    _fill(make_endorsement, 3, holder=other_reviewer, decided_by=decider)
    with_3 = _queries(reviewer_client, f"/review/{tab}")
    _fill(make_endorsement, 27, holder=other_reviewer, decided_by=decider)

    with django_assert_max_num_queries(with_3):
        response = reviewer_client.get(f"/review/{tab}")

    assert len(response.context["rows"]) == 30


# One screen per decision -------------------------------------------------------------------


def test_the_decision_screen_shows_everything_needed_to_decide(reviewer_client, make_endorsement):
    endorsement = make_endorsement(name="Linden Helpline", website="https://linden.example.org")
    organization = endorsement.organization
    organization.logo = make_logo()
    organization.registry_id = "123456789012-34"
    organization.statement_en = "We stand together."
    organization.statement_de = "Wir stehen zusammen."
    organization.save()

    html = reviewer_client.get(screen(endorsement)).content.decode()

    assert "Linden Helpline" in html
    assert 'href="https://linden.example.org/" rel="noopener noreferrer"' in html
    assert "Germany" in html
    assert "Child-protection NGO" in html
    assert "123456789012-34" in html
    assert 'lang="en"><p><span class="language">English</span> We stand together.' in html
    assert 'lang="de"><p><span class="language">German</span> Wir stehen zusammen.' in html
    assert endorsement.contact_name in html
    assert endorsement.contact_role in html
    assert endorsement.contact_email in html
    assert "Registry ID format" in html  # the evidence
    assert html.count('class="tile tile-') == 2  # light and dark
    logo = organization.logo
    assert f'width="{logo.width}" height="{logo.height}"' in html  # at wall size
    for label in ("Approve", "Reject", "Audit trail"):
        assert label in html


def test_opening_an_application_claims_it_and_the_others_see_it(
    reviewer_client, other_client, reviewer, make_endorsement
):
    endorsement = make_endorsement()

    reviewer_client.get(screen(endorsement))
    claim = ReviewClaim.objects.get(endorsement=endorsement)
    assert claim.reviewer == reviewer

    response = other_client.get(screen(endorsement))
    html = response.content.decode()
    assert f"Being reviewed by reviewer since {timezone.localtime(claim.claimed_at):%H:%M}" in html
    assert "Take over…" in html
    assert 'action="/review/' + endorsement.public_id + '/approve/"' not in html
    assert ReviewClaim.objects.get(endorsement=endorsement).reviewer == reviewer


def test_looking_at_an_approved_application_claims_nothing(reviewer_client, make_endorsement):
    endorsement = make_endorsement(status=Status.APPROVED)

    assert reviewer_client.get(screen(endorsement)).status_code == 200
    assert not ReviewClaim.objects.exists()


def test_taking_over_asks_first_then_takes_the_claim(
    reviewer_client, other_client, reviewer, other_reviewer, make_endorsement
):
    endorsement = make_endorsement()
    reviewer_client.get(screen(endorsement))

    asked = other_client.get(f"{screen(endorsement)}take-over/")
    assert asked.status_code == 200
    assert b"Take over" in asked.content
    assert ReviewClaim.objects.get().reviewer == reviewer

    done = other_client.post(f"{screen(endorsement)}take-over/", {"holder": reviewer.pk})
    assert done.status_code == 302
    claim = ReviewClaim.objects.get()
    assert claim.reviewer == other_reviewer
    assert claim.taken_over_from == reviewer
    # The first reviewer's page now says who has it.
    assert b"Being reviewed by Bea since" in reviewer_client.get(screen(endorsement)).content


def test_a_reviewer_cannot_decide_while_another_holds_the_claim(
    reviewer_client, other_client, make_endorsement
):
    endorsement = make_endorsement()
    reviewer_client.get(screen(endorsement))

    response = other_client.post(f"{screen(endorsement)}approve/", {})

    assert response.status_code == 409
    assert b"Take it over first to decide" in response.content
    endorsement.refresh_from_db()
    assert endorsement.status == Status.PENDING


def test_approving_goes_through_the_service_and_opens_the_next_application(
    reviewer_client, reviewer, make_endorsement, mailoutbox
):
    first = waiting(make_endorsement(name="First"), days=3)
    second = waiting(make_endorsement(name="Second"), days=2)
    reviewer_client.get(screen(first))

    response = reviewer_client.post(f"{screen(first)}approve/", {"approve-note": "Looks right."})

    assert response.status_code == 302
    assert response["Location"] == screen(second)
    first.refresh_from_db()
    assert first.status == Status.APPROVED
    assert first.decided_by == reviewer
    event = EndorsementEvent.objects.get(endorsement=first)
    assert (event.user, event.note, event.acknowledgement) == (reviewer, "Looks right.", "")
    assert not ReviewClaim.objects.filter(endorsement=first).exists()
    followed = reviewer_client.get(response["Location"])
    assert "“First” has been approved." in followed.content.decode()


def test_the_next_application_skips_those_another_reviewer_holds(
    reviewer_client, other_reviewer, make_endorsement
):
    first = waiting(make_endorsement(name="First"), days=3)
    held = waiting(make_endorsement(name="Held"), days=2)
    free = waiting(make_endorsement(name="Free"), days=1)
    services.claim_open(endorsement=held, by=other_reviewer)

    response = reviewer_client.post(f"{screen(first)}approve/", {})

    assert response["Location"] == screen(free)


def test_after_the_last_decision_the_queue_says_nothing_is_left(reviewer_client, make_endorsement):
    only = make_endorsement(name="Only")

    response = reviewer_client.post(f"{screen(only)}approve/", {}, follow=True)

    assert response.redirect_chain[-1][0] == QUEUE
    assert b"Nothing is waiting for a decision." in response.content


def test_the_next_application_keeps_the_queues_filters(reviewer_client, make_endorsement):
    first = waiting(make_endorsement(name="First", country="FR"), days=3)
    waiting(make_endorsement(name="German", country="DE"), days=2)
    french = waiting(make_endorsement(name="French", country="FR"), days=1)

    response = reviewer_client.post(f"{screen(first)}approve/", {"country": "FR"})

    assert response["Location"] == f"{screen(french)}?country=FR"


def test_approving_a_flagged_application_needs_the_tick_recorded_in_the_audit_row(
    reviewer_client, reviewer, make_endorsement
):
    make_endorsement(name="Unicef", website="https://unicef.org", status=Status.APPROVED)
    lookalike = make_endorsement(
        name="Unlcef", website="https://unlcef.org", contact_email="info@unlcef.org"
    )
    services.evidence_refresh(endorsement=lookalike)

    refused = reviewer_client.post(f"{screen(lookalike)}approve/", {})
    assert refused.status_code == 400
    assert b"tick that you checked it is a different organization" in refused.content
    lookalike.refresh_from_db()
    assert lookalike.status == Status.PENDING

    reviewer_client.post(
        f"{screen(lookalike)}approve/",
        {"approve-acknowledge": "on", "approve-note": "Their register entry differs."},
    )

    lookalike.refresh_from_db()
    assert lookalike.status == Status.APPROVED
    event = EndorsementEvent.objects.get(endorsement=lookalike)
    assert event.acknowledgement.startswith("Checked that this is a different organization")
    assert "“Unicef” (unicef.org)" in event.acknowledgement


def test_a_tick_without_a_note_does_not_approve_a_flagged_application(
    reviewer_client, make_endorsement
):
    make_endorsement(name="Unicef", website="https://unicef.org", status=Status.APPROVED)
    lookalike = make_endorsement(
        name="Unlcef", website="https://unlcef.org", contact_email="info@unlcef.org"
    )

    html = reviewer_client.get(screen(lookalike)).content.decode()
    refused = reviewer_client.post(f"{screen(lookalike)}approve/", {"approve-acknowledge": "on"})

    assert 'name="approve-note"' in html
    assert "(optional)" not in html.split('name="approve-note"')[0].rsplit("<label", 1)[1]
    assert refused.status_code == 400
    assert "Say what you checked." in refused.content.decode()
    lookalike.refresh_from_db()
    assert lookalike.status == Status.PENDING


def test_the_services_refusal_is_shown_in_the_form_not_a_500(
    monkeypatch, reviewer_client, make_endorsement
):
    make_endorsement(name="Unicef", website="https://unicef.org", status=Status.APPROVED)
    lookalike = make_endorsement(
        name="Unlcef", website="https://unlcef.org", contact_email="info@unlcef.org"
    )
    # The screen saw nothing to acknowledge (a lookalike approved meanwhile): the service did.
    monkeypatch.setattr("review.views.approval", SimpleNamespace(approval_reasons=lambda e: []))

    response = reviewer_client.post(f"{screen(lookalike)}approve/", {"approve-note": "Fine."})

    assert response.status_code == 400
    html = response.content.decode()
    assert "needs an acknowledgement and a note" in html
    assert "“Unicef” (unicef.org)" in html
    lookalike.refresh_from_db()
    assert lookalike.status == Status.PENDING


def test_approving_an_unflagged_application_needs_no_tick(reviewer_client, make_endorsement):
    endorsement = make_endorsement(website="https://solo.net", contact_email="a@solo.net")

    html = reviewer_client.get(screen(endorsement)).content.decode()
    assert "I checked that this is a different organization." not in html
    reviewer_client.post(f"{screen(endorsement)}approve/", {})

    endorsement.refresh_from_db()
    assert endorsement.status == Status.APPROVED


def test_a_shared_domain_needs_the_tick_too(reviewer_client, make_endorsement):
    make_endorsement(name="Acme", website="https://acme.org")
    second = make_endorsement(name="Acme Two", website="https://two.acme.org")

    html = reviewer_client.get(screen(second)).content.decode()

    assert "I checked that this is a different organization." in html
    assert reviewer_client.post(f"{screen(second)}approve/", {}).status_code == 400


def test_rejecting_needs_a_reason_and_tells_the_applicant_its_text_only(
    reviewer_client, make_endorsement, reason, mailoutbox, django_capture_on_commit_callbacks
):
    endorsement = make_endorsement()

    refused = reviewer_client.post(f"{screen(endorsement)}reject/", {"reject-note": "x"})
    assert refused.status_code == 400
    assert b"Choose a reason for the rejection." in refused.content

    with django_capture_on_commit_callbacks(execute=True):
        reviewer_client.post(
            f"{screen(endorsement)}reject/",
            {"reject-reason": reason.pk, "reject-note": "A shop, not an NGO."},
        )

    endorsement.refresh_from_db()
    assert endorsement.status == Status.REJECTED
    assert endorsement.rejection_reason == reason
    (message,) = mailoutbox
    assert reason.text in message.body
    assert "A shop" not in message.body


def test_removing_needs_a_confirmation(reviewer_client, make_endorsement):
    endorsement = make_endorsement(status=Status.APPROVED)

    refused = reviewer_client.post(f"{screen(endorsement)}remove/", {"remove-note": "Asked."})
    assert refused.status_code == 400
    endorsement.refresh_from_db()
    assert endorsement.status == Status.APPROVED

    reviewer_client.post(
        f"{screen(endorsement)}remove/", {"remove-confirm": "on", "remove-note": "Asked."}
    )

    endorsement.refresh_from_db()
    assert endorsement.status == Status.REMOVED
    assert EndorsementEvent.objects.get(endorsement=endorsement).note == "Asked."


@pytest.mark.parametrize(
    ("decision", "data", "status", "template"),
    [
        ("approve", {}, Status.PENDING, "approved"),
        ("reject", {"reject-reason": "REASON"}, Status.PENDING, "rejected"),
        ("remove", {"remove-confirm": "on"}, Status.APPROVED, "removed"),
    ],
)
def test_every_mail_a_decision_sends_is_the_one_the_applicant_already_gets(
    reviewer_client,
    make_endorsement,
    reason,
    mailoutbox,
    django_capture_on_commit_callbacks,
    decision,
    data,
    status,
    template,
):
    endorsement = make_endorsement(status=status)
    data = {key: reason.pk if value == "REASON" else value for key, value in data.items()}

    with django_capture_on_commit_callbacks(execute=True):
        reviewer_client.post(f"{screen(endorsement)}{decision}/", data)

    endorsement.refresh_from_db()
    sent = OutboundEmail.objects.filter(endorsement=endorsement)
    assert [email.template for email in sent] == [template]
    subject, text, _html = outbox.render(
        template, mail_context(endorsement), endorsement.preferred_language
    )
    (message,) = mailoutbox
    assert message.to == [endorsement.contact_email]
    # The same message; only the signed links differ (each is signed anew, at its own time).
    unlinked = re.compile(r"https?://\S+")
    assert message.subject == subject
    assert unlinked.sub("…", message.body) == unlinked.sub("…", text)


def test_when_someone_else_decided_first_the_page_says_who_and_how(
    reviewer_client, other_reviewer, make_endorsement, reason
):
    endorsement = make_endorsement()
    reviewer_client.get(screen(endorsement))  # the claim is the first reviewer's …
    ReviewClaim.objects.all().delete()  # … until it lapsed
    services.endorsement_reject(endorsement=endorsement, by=other_reviewer, reason=reason)

    response = reviewer_client.post(f"{screen(endorsement)}approve/", {})

    assert response.status_code == 409
    html = response.content.decode()
    assert "Someone else decided first. Rejected by Bea on" in html
    endorsement.refresh_from_db()
    assert endorsement.status == Status.REJECTED
    assert EndorsementEvent.objects.filter(endorsement=endorsement).count() == 1


def test_the_status_says_who_decided_and_who_holds_the_claim(
    reviewer_client, other_client, reviewer, make_endorsement
):
    endorsement = make_endorsement()
    reviewer_client.get(screen(endorsement))

    state = other_client.get(f"{screen(endorsement)}status/").json()
    assert state["status"] == "pending"
    assert state["outcome"] == ""
    assert state["claim"]["mine"] is False
    assert state["claim"]["holder"] == "reviewer"

    services.endorsement_approve(endorsement=endorsement, by=reviewer)
    state = other_client.get(f"{screen(endorsement)}status/").json()
    assert state["status"] == "approved"
    assert state["outcome"].startswith("Approved by reviewer on ")


def test_the_script_renews_only_its_own_claim(
    reviewer_client, other_client, reviewer, make_endorsement
):
    endorsement = make_endorsement()
    reviewer_client.get(screen(endorsement))
    ReviewClaim.objects.update(expires_at=timezone.now() + timedelta(minutes=1))

    other_client.post(f"{screen(endorsement)}claim/", HTTP_ACCEPT="application/json")
    assert ReviewClaim.objects.get().expires_at < timezone.now() + timedelta(minutes=2)

    state = reviewer_client.post(
        f"{screen(endorsement)}claim/", HTTP_ACCEPT="application/json"
    ).json()
    assert state["claim"]["mine"] is True
    assert ReviewClaim.objects.get().expires_at > timezone.now() + timedelta(minutes=14)


def test_stop_reviewing_releases_the_claim(reviewer_client, make_endorsement):
    endorsement = make_endorsement()
    reviewer_client.get(screen(endorsement))

    response = reviewer_client.post(f"{screen(endorsement)}release/")

    assert response.status_code == 302
    assert not ReviewClaim.objects.exists()


def test_recompute_finds_a_lookalike_approved_since(reviewer_client, reviewer, make_endorsement):
    endorsement = make_endorsement(name="Unlcef", website="https://unlcef.org")
    services.evidence_refresh(endorsement=endorsement)
    services.endorsement_approve(
        endorsement=make_endorsement(name="Unicef", website="https://unicef.org"),
        by=reviewer,
        acknowledged=True,
        note="Checked by hand.",
    )

    response = reviewer_client.post(f"{screen(endorsement)}evidence/")

    assert response.status_code == 302
    stored = endorsement.evidence
    stored.refresh_from_db()
    assert stored.needs_acknowledgement is True


def test_proposed_changes_are_shown_side_by_side_and_decided_here(
    reviewer_client, reviewer, make_endorsement
):
    endorsement = make_endorsement(status=Status.APPROVED, website="https://before.example.org")
    services.organization_update(
        endorsement=endorsement,
        website="https://after.example.org",
        statement="Our new statement",
        logo=None,
    )
    version = OrganizationVersion.objects.get(state=OrganizationVersion.State.PROPOSED)

    html = reviewer_client.get(screen(endorsement)).content.decode()
    assert "https://before.example.org/" in html
    assert 'href="https://after.example.org"' in html
    assert "Our new statement" in html

    response = reviewer_client.post(
        f"{screen(endorsement)}changes/{version.pk}/approve/", {"tab": "changes"}
    )

    assert response.status_code == 302
    version.refresh_from_db()
    assert version.state == OrganizationVersion.State.CURRENT
    assert version.decided_by == reviewer
    endorsement.organization.refresh_from_db()
    assert endorsement.organization.website == "https://after.example.org/"


def test_declining_proposed_changes_keeps_the_approved_version(reviewer_client, make_endorsement):
    endorsement = make_endorsement(status=Status.APPROVED, website="https://before.example.org")
    services.organization_update(
        endorsement=endorsement, website="https://after.example.org", statement=""
    )
    version = OrganizationVersion.objects.get(state=OrganizationVersion.State.PROPOSED)

    reviewer_client.post(f"{screen(endorsement)}changes/{version.pk}/decline/")

    version.refresh_from_db()
    assert version.state == OrganizationVersion.State.DECLINED
    endorsement.organization.refresh_from_db()
    assert endorsement.organization.website == "https://before.example.org/"


def test_another_organizations_proposal_cannot_be_reached_from_this_page(
    reviewer_client, make_endorsement
):
    mine = make_endorsement(status=Status.APPROVED)
    other = make_endorsement(status=Status.APPROVED)
    services.organization_update(endorsement=other, website="https://x.example.org", statement="")
    version = OrganizationVersion.objects.get(state=OrganizationVersion.State.PROPOSED)

    response = reviewer_client.post(f"{screen(mine)}changes/{version.pk}/approve/")

    assert response.status_code == 404
    version.refresh_from_db()
    assert version.state == OrganizationVersion.State.PROPOSED


def test_approving_changes_to_a_new_website_rechecks_the_contact_domain(
    reviewer_client, make_endorsement
):
    endorsement = make_endorsement(
        status=Status.APPROVED, website="https://match.org", contact_email="a@match.org"
    )
    assert endorsement.domain_verified is True
    services.organization_update(
        endorsement=endorsement, website="https://elsewhere.net", statement=""
    )
    version = OrganizationVersion.objects.get(state=OrganizationVersion.State.PROPOSED)

    reviewer_client.post(f"{screen(endorsement)}changes/{version.pk}/approve/")

    endorsement.refresh_from_db()
    assert endorsement.domain_verified is False


def test_a_superseded_proposal_cannot_be_approved(reviewer_client, make_endorsement):
    endorsement = make_endorsement(status=Status.APPROVED, website="https://before.example.org")
    services.organization_update(
        endorsement=endorsement, website="https://first.example.org", statement=""
    )
    first = OrganizationVersion.objects.get(state=OrganizationVersion.State.PROPOSED)
    services.organization_update(
        endorsement=endorsement, website="https://newest.example.org", statement=""
    )

    response = reviewer_client.post(f"{screen(endorsement)}changes/{first.pk}/approve/")

    assert response.status_code == 409
    assert "no longer waiting for review" in response.content.decode()
    first.refresh_from_db()
    assert first.state == OrganizationVersion.State.SUPERSEDED
    endorsement.organization.refresh_from_db()
    assert endorsement.organization.website == "https://before.example.org/"


def test_approving_a_website_the_organization_refuses_is_shown_not_a_500(
    reviewer_client, make_endorsement
):
    endorsement = make_endorsement(status=Status.APPROVED, website="https://before.example.org")
    version = OrganizationVersion.objects.create(
        organization=endorsement.organization,
        state=OrganizationVersion.State.PROPOSED,
        website="javascript:alert(1)",
    )

    response = reviewer_client.post(f"{screen(endorsement)}changes/{version.pk}/approve/")

    assert response.status_code == 400
    assert "Enter a website address" in response.content.decode()
    version.refresh_from_db()
    assert version.state == OrganizationVersion.State.PROPOSED
    endorsement.organization.refresh_from_db()
    assert endorsement.organization.website == "https://before.example.org/"


def test_an_unknown_application_is_a_404(reviewer_client, db):
    assert reviewer_client.get("/review/000000000000/").status_code == 404


def test_previous_and_next_follow_the_queue_order(reviewer_client, make_endorsement):
    first = waiting(make_endorsement(name="First"), days=3)
    middle = waiting(make_endorsement(name="Middle"), days=2)
    last = waiting(make_endorsement(name="Last"), days=1)

    context = reviewer_client.get(screen(middle)).context

    assert context["previous_url"] == screen(first)
    assert context["next_url"] == screen(last)


def test_approving_an_unproven_organization_needs_a_tick_and_a_note(
    reviewer_client, make_endorsement
):
    unproven = make_endorsement(contact_email="someone@mail.example.net")

    refused = reviewer_client.post(f"{screen(unproven)}approve/", {"approve-note": ""})

    assert refused.status_code == 400
    assert "verified it another way" in refused.content.decode()
    unproven.refresh_from_db()
    assert unproven.status == Status.PENDING

    reviewer_client.post(
        f"{screen(unproven)}approve/",
        {"approve-verified_otherwise": "on", "approve-note": "Called their office."},
    )

    unproven.refresh_from_db()
    assert unproven.status == Status.APPROVED
    event = unproven.events.get(to_status=Status.APPROVED)
    assert event.note == "Called their office."
    assert "I verified this organization another way" in event.acknowledgement
