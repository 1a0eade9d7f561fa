"""Updates to allies (``coalition.updates.services``): who may write and send, who receives,
once, in which language, with which headers; the opt-in on the form and the manage page."""

from __future__ import annotations

import email
from email import policy

import pytest
import time_machine
from django.contrib.auth.models import User
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from coalition import services as coalition_services
from coalition.campaigns.models import CampaignMember, TeamRole
from coalition.endorsements import tokens
from coalition.models import Campaign, CampaignUpdate, Endorsement, OutboundEmail, UpdateDelivery
from coalition.updates import services
from tests.factories import application_form

Status = Endorsement.Status


@pytest.fixture
def owner(campaign) -> User:
    user = User.objects.create_user("owner", "owner@registry.example", "pw", is_staff=True)
    CampaignMember.objects.create(campaign=campaign, user=user, role=TeamRole.OWNER)
    return user


@pytest.fixture(autouse=True)
def _commits(monkeypatch, django_capture_on_commit_callbacks):
    """Each service's transaction "commits" in these tests: what it left for after the commit
    (the worker's turn, in immediate mode) runs as in production."""

    def committed(service):
        def call(**kwargs):
            with django_capture_on_commit_callbacks(execute=True):
                return service(**kwargs)

        return call

    for name in ("update_send", "update_test_send", "updates_choice_change"):
        monkeypatch.setattr(services, name, committed(getattr(services, name)))


def write(campaign, by, **texts) -> CampaignUpdate:
    subjects = {
        "en": "Vote on 12 March",
        **{k[8:]: v for k, v in texts.items() if k.startswith("subject_")},
    }
    bodies = {
        "en": "The committee votes on 12 March. Read more: https://example.org/vote?utm_source=x",
        **{k[5:]: v for k, v in texts.items() if k.startswith("body_")},
    }
    return services.update_save(campaign=campaign, by=by, subjects=subjects, bodies=bodies)


def ally(make_endorsement, *, opt_in=True, status=Status.APPROVED, language="en", **fields):
    endorsement = make_endorsement(status=status, **fields)
    Endorsement.objects.filter(pk=endorsement.pk).update(
        updates_opt_in=opt_in, preferred_language=language
    )
    endorsement.refresh_from_db()
    return endorsement


def update_mails() -> list:
    return [m for m in mail.outbox if "List-Unsubscribe" in m.extra_headers]


def test_sending_mails_each_approved_ally_who_opted_in_once(make_endorsement, campaign, owner):
    wanted = [ally(make_endorsement) for _ in range(3)]
    ally(make_endorsement, opt_in=False)
    ally(make_endorsement, status=Status.PENDING)
    ally(make_endorsement, status=Status.WITHDRAWN)
    erased = ally(make_endorsement)
    Endorsement.objects.filter(pk=erased.pk).update(
        personal_data_erased_at="2026-01-01T00:00Z", contact_email=""
    )
    update = write(campaign, owner)

    queued = services.update_send(update=update, by=owner)

    assert queued == 3
    assert sorted(m.to[0] for m in update_mails()) == sorted(e.contact_email for e in wanted)
    assert UpdateDelivery.objects.filter(sent_at__isnull=False).count() == 3
    update.refresh_from_db()
    assert update.sent_at is not None
    assert update.sent_by == owner


def test_an_update_is_sent_once_and_a_second_send_is_refused(make_endorsement, campaign, owner):
    ally(make_endorsement)
    update = write(campaign, owner)
    services.update_send(update=update, by=owner)
    with pytest.raises(services.UpdateError):
        services.update_send(update=update, by=owner)
    with pytest.raises(services.UpdateError):
        services.update_save(
            campaign=campaign, by=owner, subjects={"en": "x"}, bodies={"en": "y"}, update=update
        )
    assert len(update_mails()) == 1
    assert UpdateDelivery.objects.count() == 1


def test_someone_who_does_not_own_the_campaign_may_not_write_test_or_send(
    make_endorsement, campaign, owner, reviewer
):
    ally(make_endorsement)
    other = Campaign.objects.create(slug="other", title="Other", statement="x")
    stranger = User.objects.create_user("s", "s@registry.example", "pw", is_staff=True)
    CampaignMember.objects.create(campaign=other, user=stranger, role=TeamRole.OWNER)
    CampaignMember.objects.create(campaign=campaign, user=reviewer, role=TeamRole.REVIEWER)
    update = write(campaign, owner)
    for person in (reviewer, stranger):
        with pytest.raises(services.UpdateError):
            write(campaign, person)
        with pytest.raises(services.UpdateError):
            services.update_test_send(update=update, by=person)
        with pytest.raises(services.UpdateError):
            services.update_send(update=update, by=person)
    assert mail.outbox == []
    assert UpdateDelivery.objects.count() == 0


def test_a_superuser_may_send_any_campaigns_update(make_endorsement, campaign, superuser):
    ally(make_endorsement)
    update = write(campaign, superuser)
    assert services.update_send(update=update, by=superuser) == 1


def test_english_is_required_and_a_language_needs_both_subject_and_text(campaign, owner):
    with pytest.raises(services.UpdateError):
        services.update_save(
            campaign=campaign, by=owner, subjects={"fr": "Vote"}, bodies={"fr": "Texte"}
        )
    with pytest.raises(services.UpdateError):
        write(campaign, owner, subject_fr="Vote le 12 mars")


def test_each_recipient_reads_their_language_else_english(make_endorsement, campaign, owner):
    french = ally(make_endorsement, language="fr")
    german = ally(make_endorsement, language="de")
    update = write(
        campaign, owner, subject_fr="Vote le 12 mars", body_fr="La commission vote le 12 mars."
    )
    services.update_send(update=update, by=owner)
    by_address = {m.to[0]: m for m in update_mails()}
    assert by_address[french.contact_email].subject == "Vote le 12 mars"
    assert "La commission vote" in by_address[french.contact_email].body
    assert by_address[german.contact_email].subject == "Vote on 12 March"
    assert "The committee votes" in by_address[german.contact_email].body
    # The whole mail in one language: the footer follows the text.
    assert "Pour ne plus recevoir de nouvelles" in by_address[french.contact_email].body
    assert "To stop receiving updates" in by_address[german.contact_email].body
    assert UpdateDelivery.objects.get(endorsement=german).language == "en"


def test_every_update_carries_the_list_headers_and_a_message_id_on_the_site(
    make_endorsement, campaign, owner, settings
):
    settings.SITE_URL = "https://registry.example"
    recipient = ally(make_endorsement)
    services.update_send(update=write(campaign, owner), by=owner)
    [sent] = update_mails()
    parsed = email.message_from_bytes(sent.message().as_bytes(), policy=policy.default)
    # Folded onto a line of its own when long (RFC 5322): the same value once unfolded. The
    # token carries the second it was signed in, so it is read back rather than made again.
    header = parsed["List-Unsubscribe"].strip()
    assert header.startswith("<https://registry.example/unsubscribe/")
    assert header.endswith("/>")
    url = header[1:-1]
    token = url.removeprefix("https://registry.example/unsubscribe/").rstrip("/")
    assert tokens.endorsement_from_unsubscribe_token(token) == recipient
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert parsed["Auto-Submitted"] == "auto-generated"
    assert parsed["Precedence"] == "bulk"
    assert parsed["List-Id"] == "<keep-detection.updates.registry.example>"
    assert parsed["Message-ID"].endswith("@registry.example>")
    assert parsed["Date"]
    text = parsed.get_body(("plain",)).get_content()
    html = parsed.get_body(("html",)).get_content()
    assert url in text
    assert url in html
    # The owner's link, clickable in the HTML version and whole in the text.
    assert "https://example.org/vote?utm_source=x" in text
    assert 'href="https://example.org/vote?utm_source=x"' in html


def test_an_update_holds_one_unsubscribe_link_even_when_a_second_turns_while_it_is_made(
    make_endorsement, campaign, owner, monkeypatch
):
    # A signed link carries the second it was made in. Each signing here happens two seconds
    # after the last, as on a slow machine: the header and the text must still hold one link.
    recipient = ally(make_endorsement)
    update = write(campaign, owner)
    sign = tokens.unsubscribe_token
    with time_machine.travel(timezone.now(), tick=False) as clock:

        def two_seconds_later(endorsement):
            clock.shift(2)
            return sign(endorsement)

        monkeypatch.setattr(tokens, "unsubscribe_token", two_seconds_later)
        services.update_send(update=update, by=owner)
        [sent] = update_mails()
    parsed = email.message_from_bytes(sent.message().as_bytes(), policy=policy.default)
    url = parsed["List-Unsubscribe"].strip()[1:-1]
    token = url.rstrip("/").rsplit("/", 1)[1]
    assert tokens.endorsement_from_unsubscribe_token(token) == recipient
    assert url in parsed.get_body(("plain",)).get_content()
    assert f'href="{url}"' in parsed.get_body(("html",)).get_content()


def test_a_mailto_is_offered_only_where_a_person_reads_the_mail(
    make_endorsement, campaign, owner, settings
):
    settings.CAMPAIGN_REPLY_TO = "Campaign team <team@campaign.example>"
    ally(make_endorsement)
    services.update_send(update=write(campaign, owner), by=owner)
    [sent] = update_mails()
    header = sent.extra_headers["List-Unsubscribe"]
    assert header.startswith("<http")
    assert "<mailto:team@campaign.example?subject=unsubscribe&body=http" in header
    assert sent.reply_to == ["Campaign team <team@campaign.example>"]


def test_the_test_send_goes_to_the_owner_alone_in_each_language_and_says_so(
    make_endorsement, campaign, owner
):
    ally(make_endorsement)
    update = write(
        campaign, owner, subject_de="Abstimmung am 12. März", body_de="Der Ausschuss stimmt ab."
    )
    sent = services.update_test_send(update=update, by=owner)
    assert [m.to for m in mail.outbox] == [["owner@registry.example"]] * 2
    assert {m.subject for m in mail.outbox} == {
        "[Test] Vote on 12 March",
        "[Test] Abstimmung am 12. März",
    }
    assert all(e.endorsement is None for e in sent)
    assert UpdateDelivery.objects.count() == 0
    update.refresh_from_db()
    assert update.sent_at is None
    only_german = services.update_test_send(update=update, by=owner, language="de")
    assert len(only_german) == 1


def test_unsubscribing_skips_what_was_waiting_and_no_later_update_comes(
    make_endorsement, campaign, owner, settings
):
    settings.BACKGROUND_WORK_IMMEDIATE = False
    leaving = ally(make_endorsement)
    staying = ally(make_endorsement)
    services.update_send(update=write(campaign, owner), by=owner)
    assert services.updates_choice_change(endorsement=leaving, wanted=False) is True
    assert services.updates_choice_change(endorsement=leaving, wanted=False) is False
    settings.BACKGROUND_WORK_IMMEDIATE = True
    from coalition.updates import tasks

    tasks.wake()
    assert [m.to[0] for m in update_mails()] == [staying.contact_email]
    delivery = UpdateDelivery.objects.get(endorsement=leaving)
    assert delivery.skipped_at is not None
    assert delivery.sent_at is None

    services.update_send(update=write(campaign, owner), by=owner)
    assert [m.to[0] for m in update_mails()] == [staying.contact_email] * 2


def test_an_ally_who_left_after_the_send_is_skipped(make_endorsement, campaign, owner, settings):
    settings.BACKGROUND_WORK_IMMEDIATE = False
    leaving = ally(make_endorsement)
    services.update_send(update=write(campaign, owner), by=owner)
    coalition_services.endorsement_withdraw(endorsement=leaving)
    mail.outbox.clear()
    from coalition.updates import tasks

    settings.BACKGROUND_WORK_IMMEDIATE = True
    tasks.wake()
    assert update_mails() == []
    assert UpdateDelivery.objects.get().skipped_at is not None


def test_the_form_box_is_unticked_and_stored_with_its_words(client, campaign, sector):
    page = client.get(reverse("apply", kwargs={"slug": campaign.slug}))
    assert 'name="updates_opt_in"' in page.content.decode()
    assert 'name="updates_opt_in" checked' not in page.content.decode()
    client.post(
        reverse("apply", kwargs={"slug": campaign.slug}),
        application_form(sector, updates_opt_in="on"),
    )
    yes = Endorsement.objects.get()
    assert yes.updates_opt_in is True
    assert yes.updates_opt_in_words == "Send us updates about this campaign"
    assert yes.updates_opt_in_changed_at is not None


def test_the_box_in_french_keeps_the_french_words(client, campaign, sector):
    client.post(
        "/fr" + reverse("apply", kwargs={"slug": campaign.slug}),
        application_form(sector, updates_opt_in="on"),
    )
    words = Endorsement.objects.get().updates_opt_in_words
    assert words
    assert words != "Send us updates about this campaign"


def test_no_box_no_updates(client, campaign, sector):
    client.post(reverse("apply", kwargs={"slug": campaign.slug}), application_form(sector))
    endorsement = Endorsement.objects.get()
    assert endorsement.updates_opt_in is False
    assert endorsement.updates_opt_in_words == ""


def test_the_manage_page_changes_the_choice_by_post_only(client, make_endorsement):
    endorsement = ally(make_endorsement, opt_in=False)
    url = reverse("manage", kwargs={"token": tokens.manage_token(endorsement)})
    page = client.get(url)
    assert "Send us updates about this campaign" in page.content.decode()
    updates_url = reverse("manage-updates", kwargs={"token": tokens.manage_token(endorsement)})
    assert client.get(updates_url).status_code == 405
    response = client.post(updates_url, {"updates_opt_in": "on"})
    assert response.status_code == 302
    endorsement.refresh_from_db()
    assert endorsement.updates_opt_in is True
    assert endorsement.updates_opt_in_words == "Send us updates about this campaign"
    client.post(updates_url, {})
    endorsement.refresh_from_db()
    assert endorsement.updates_opt_in is False


def test_the_data_download_includes_the_choice_and_the_updates_received(
    client, make_endorsement, campaign, owner
):
    endorsement = ally(make_endorsement)
    Endorsement.objects.filter(pk=endorsement.pk).update(
        updates_opt_in_words="Send us updates about this campaign"
    )
    services.update_send(update=write(campaign, owner), by=owner)
    data = client.get(
        reverse("manage-data", kwargs={"token": tokens.manage_token(endorsement)})
    ).json()
    assert data["updates"]["opt_in"] is True
    assert data["updates"]["words"] == "Send us updates about this campaign"
    assert [item["subject"] for item in data["updates"]["received"]] == ["Vote on 12 March"]


def test_updates_never_count_against_the_applicants_mail_limit(
    make_endorsement, campaign, owner, settings
):
    settings.MAIL_PER_ADDRESS_PER_HOUR = 1
    ally(make_endorsement)
    services.update_send(update=write(campaign, owner), by=owner)
    assert OutboundEmail.objects.count() == 0
