"""After approval, something to share: the approval mail and the manage page offer the ally's
badge, the snippet to paste and share links (coalition/campaigns/sharing.py); nothing of it
before approval; the Mastodon page asks for the server and redirects only to its ``/share``."""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from coalition import services
from coalition.campaigns import sharing
from coalition.endorsements import tokens
from coalition.models import Endorsement

Status = Endorsement.Status


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = "https://coalition.example.org"


def approve(endorsement: Endorsement) -> Endorsement:
    return services.endorsement_approve(
        endorsement=endorsement, by=None, acknowledged=True, note="Checked by hand."
    )


def manage_path(endorsement: Endorsement) -> str:
    return reverse("manage", kwargs={"token": tokens.manage_token(endorsement)})


def snippet_of(page: str) -> str:
    found = re.search(r'<textarea id="badge-snippet"[^>]*>(.*?)</textarea>', page, re.S)
    assert found, "no snippet on the page"
    return html.unescape(found.group(1))


# The approval mail ---------------------------------------------------------------------------


def test_the_approval_mail_offers_the_badge_its_snippet_and_share_links(
    make_endorsement, mailoutbox, django_capture_on_commit_callbacks
):
    ally = make_endorsement(status=Status.PENDING, name="Alder Helpline")
    with django_capture_on_commit_callbacks(execute=True):
        approve(ally)

    mail = mailoutbox[-1]
    badge = f"https://coalition.example.org/campaigns/keep-detection/badge/{ally.public_id}.svg"
    entry = f"https://coalition.example.org/campaigns/keep-detection/allies/{ally.public_id}/"
    text = mail.body
    assert f"{badge}\n" in text
    assert f"{badge}?theme=dark" in text
    assert (
        f'<a href="{entry}"><img src="{badge}" alt="Alder Helpline stands with “Keep detection '
        f'legal”" width="320" height="84"></a>'
    ) in text
    assert "We signed “Keep detection legal”. https://coalition.example.org/" in text
    assert "Bluesky: https://bsky.app/intent/compose?text=We+signed" in text
    assert "Mastodon: https://coalition.example.org/share/mastodon/?text=We+signed" in text
    assert "LinkedIn: https://www.linkedin.com/sharing/share-offsite/?url=https%3A%2F%2F" in text
    assert "X: https://x.com/intent/post?text=We+signed" in text
    assert "mailto:" not in text  # forwarding the mail is the mail client's own
    page = mail.alternatives[0][0]
    assert 'href="mailto:?subject=We%20signed' in page
    assert f'<img src="{badge}"' in page
    assert escape(f'<a href="{entry}"><img src="{badge}"') in page
    assert 'href="https://bsky.app/intent/compose?text=We+signed' in page


def test_a_french_contact_gets_a_french_badge_and_message(
    make_endorsement, mailoutbox, django_capture_on_commit_callbacks
):
    ally = make_endorsement(status=Status.PENDING, name="Aide Enfance")
    ally.preferred_language = "fr"
    ally.save()
    with django_capture_on_commit_callbacks(execute=True):
        approve(ally)

    text = mailoutbox[-1].body
    assert f"/badge/{ally.public_id}.svg?lang=fr" in text
    assert "/fr/campaigns/keep-detection/allies/" in text
    assert "Nous avons signé «\u00a0Keep detection legal\u00a0»." in text
    assert "https://coalition.example.org/fr/share/mastodon/?text=" in text


def test_mails_before_approval_and_after_removal_offer_no_badge(
    make_endorsement, mailoutbox, reviewer, reason, django_capture_on_commit_callbacks
):
    pending = make_endorsement(status=Status.UNCONFIRMED)
    rejected = make_endorsement(status=Status.PENDING)
    removed = make_endorsement(status=Status.PENDING)
    with django_capture_on_commit_callbacks(execute=True):
        services.endorsement_confirm(endorsement=pending)
        services.endorsement_reject(endorsement=rejected, by=reviewer, reason=reason)
        approve(removed)
        services.endorsement_remove(endorsement=removed, by=reviewer)

    to_contacts = [mail for mail in mailoutbox if mail.to != [reviewer.email]]
    kinds = [mail.subject for mail in to_contacts]
    assert len(to_contacts) == 4, kinds
    approval = [mail for mail in to_contacts if "/badge/" in mail.body]
    assert len(approval) == 1
    assert removed.public_id in approval[0].body
    assert all(
        "/badge/" not in mail.alternatives[0][0] for mail in to_contacts if mail not in approval
    )


# The manage page -----------------------------------------------------------------------------


@pytest.mark.parametrize("status", [Status.UNCONFIRMED, Status.PENDING, Status.REJECTED])
def test_the_manage_page_shows_nothing_to_share_before_approval(client, make_endorsement, status):
    ally = make_endorsement(status=status)

    page = client.get(manage_path(ally)).content.decode()

    assert "/badge/" not in page
    assert 'id="badge-snippet"' not in page
    assert "bsky.app" not in page


def test_the_manage_page_of_an_approved_ally_offers_badge_snippet_and_links(
    client, make_endorsement
):
    ally = make_endorsement(status=Status.APPROVED, name="Alder Helpline")
    badge = f"https://coalition.example.org/campaigns/keep-detection/badge/{ally.public_id}.svg"

    response = client.get(manage_path(ally))

    page = response.content.decode()
    assert response.status_code == 200
    assert f'<img src="{badge}" width="320" height="84" alt="The badge, light">' in page
    assert f'<img src="{badge}?theme=dark" width="320" height="84" alt="The badge, dark">' in page
    snippet = snippet_of(page)
    assert snippet == sharing.badge_snippet(ally, sharing.badge.BadgeLooks())
    assert f'<img src="{badge}"' in snippet
    assert 'data-copy-from="badge-snippet"' in page
    share = page.split('class="share"', 1)[1].split("</div>", 1)[0]
    names = re.findall(r'rel="noopener noreferrer" target="_blank">([^<]+)<', share)
    assert names == ["Email", "Bluesky", "Mastodon", "LinkedIn", "X"]
    assert 'data-copy-link="https://coalition.example.org/"' in share
    # No script but the site's own.
    assert all(src.startswith("/static/") for src in re.findall(r'<script src="([^"]+)"', page))


def test_a_refused_withdrawal_keeps_the_share_section_of_the_manage_page(client, make_endorsement):
    ally = make_endorsement(status=Status.APPROVED, name="Alder Helpline")
    withdraw = reverse("manage-withdraw", kwargs={"token": tokens.manage_token(ally)})

    # The box left unticked: the page comes back whole, saying why, and nothing changed.
    response = client.post(withdraw, {})

    page = response.content.decode()
    assert response.status_code == 400
    assert "Tick the box to confirm the withdrawal." in page
    assert snippet_of(page) == sharing.badge_snippet(ally, sharing.badge.BadgeLooks())
    assert "bsky.app" in page
    ally.refresh_from_db()
    assert ally.status == Status.APPROVED


def test_the_manage_page_draws_the_snippet_in_the_language_and_colours_chosen(
    client, make_endorsement
):
    ally = make_endorsement(status=Status.APPROVED, name="Alder Helpline")

    page = client.get(manage_path(ally), {"badge_lang": "de", "badge_theme": "dark"}).content
    snippet = snippet_of(page.decode())

    assert f"/badge/{ally.public_id}.svg?theme=dark&amp;lang=de" in snippet
    assert 'alt="Alder Helpline unterstützt „Keep detection legal“"' in snippet
    assert "/de/campaigns/keep-detection/allies/" in snippet
    assert '<option value="de" lang="de" selected>Deutsch</option>' in page.decode()


def test_options_that_name_nothing_give_the_default_badge(client, make_endorsement):
    ally = make_endorsement(status=Status.APPROVED)

    response = client.get(manage_path(ally), {"badge_lang": "xx", "badge_theme": "neon"})

    assert response.status_code == 200
    assert f"/badge/{ally.public_id}.svg&quot;" in snippet_of(response.content.decode()).replace(
        '"', "&quot;"
    )


def test_the_snippets_link_leads_to_the_allys_entry(client, make_endorsement):
    ally = make_endorsement(status=Status.APPROVED, name="Alder Helpline")
    snippet = snippet_of(client.get(manage_path(ally)).content.decode())
    href = re.search(r'<a href="([^"]+)"', snippet).group(1)

    entry = client.get(urlsplit(href).path)

    assert entry.status_code == 200
    assert "Alder Helpline" in entry.content.decode()


def test_the_share_links_carry_the_message_and_the_campaigns_address(make_endorsement):
    ally = make_endorsement(status=Status.APPROVED)

    share = sharing.ally_share(ally)

    by_name = {link["name"]: urlsplit(link["url"]) for link in share.links}
    message = "We signed “Keep detection legal”."
    url = "https://coalition.example.org/"
    assert parse_qs(by_name["Bluesky"].query) == {"text": [f"{message} {url}"]}
    assert parse_qs(by_name["X"].query) == {"text": [message], "url": [url]}
    assert parse_qs(by_name["LinkedIn"].query) == {"url": [url]}
    assert by_name["Mastodon"].netloc == "coalition.example.org"
    assert parse_qs(by_name["Mastodon"].query) == {"text": [f"{message} {url}"]}
    assert by_name["Email"].scheme == "mailto"
    assert parse_qs(by_name["Email"].query) == {
        "subject": [message],
        "body": [f"{message}\n\n{url}"],
    }


def test_only_an_approved_ally_is_offered_anything(make_endorsement):
    with pytest.raises(ValueError, match="approved"):
        sharing.ally_share(make_endorsement(status=Status.PENDING))


# Mastodon ------------------------------------------------------------------------------------


def test_the_mastodon_page_shows_the_post_and_asks_for_the_server(client):
    response = client.get(reverse("share-mastodon"), {"text": "We signed “X”. https://a.example/"})

    page = response.content.decode()
    assert response.status_code == 200
    assert "We signed “X”. https://a.example/</textarea>" in page
    assert 'name="instance"' in page
    assert "no-store" in response["Cache-Control"]


@pytest.mark.parametrize(
    ("typed", "host"),
    [
        ("mastodon.social", "mastodon.social"),
        (" Mastodon.Social. ", "mastodon.social"),
        ("https://mastodon.social/@someone", "mastodon.social"),
        ("http://chaos.social/home", "chaos.social"),
        ("@me@social.example.org", "social.example.org"),
        ("me@piaille.fr", "piaille.fr"),
        ("mastodon.ελ", "mastodon.xn--qxam"),
        ("soziale-medien.de", "soziale-medien.de"),
    ],
)
def test_the_server_typed_is_read_as_a_host_name(client, typed, host):
    response = client.post(reverse("share-mastodon"), {"text": "Hello & bye", "instance": typed})

    assert response.status_code == 303
    assert response["Location"] == f"https://{host}/share?text=Hello+%26+bye"


@pytest.mark.parametrize(
    "typed",
    [
        "javascript:alert(1)",
        "javascript://mastodon.social/%0aalert(1)",
        "data:text/html,hi",
        "mastodon social",
        "mastodon.social:8443",
        "127.0.0.1",
        "10.0.0.1",
        "[::1]",
        "https://[2001:db8::1]/",
        "localhost",
        "-bad-.example",
        "a..example",
        "example.123",
        "",
        "https://",
        "x" * 300 + ".example",
    ],
)
def test_a_server_that_is_no_host_name_is_refused_with_a_message(client, typed):
    response = client.post(reverse("share-mastodon"), {"text": "Hello", "instance": typed})

    assert response.status_code == 400
    assert not response.has_header("Location")
    page = response.content.decode()
    assert 'class="error-summary"' in page
    assert 'id="id_instance_error"' in page
    if typed and len(typed) <= 300:
        assert "Enter the name of your server, such as mastodon.social" in page


def test_the_redirect_needs_the_forms_csrf_token(make_endorsement):
    strict = Client(enforce_csrf_checks=True)
    path = reverse("share-mastodon")

    refused = strict.post(path, {"text": "Hello", "instance": "mastodon.social"})
    strict.get(path)
    token = strict.cookies["csrftoken"].value
    allowed = strict.post(
        path, {"text": "Hello", "instance": "mastodon.social", "csrfmiddlewaretoken": token}
    )

    assert refused.status_code == 403
    assert allowed.status_code == 303


def test_a_get_never_redirects_whatever_it_carries(client):
    response = client.get(reverse("share-mastodon"), {"text": "Hello", "instance": "evil.example"})

    assert response.status_code == 200
    assert not response.has_header("Location")


@pytest.mark.parametrize("text", ["x" * (sharing.SHARE_TEXT_MAX_LENGTH + 1), "bell\x07"])
def test_a_post_text_that_cannot_be_sent_is_a_400_saying_so(client, text):
    brought = client.get(reverse("share-mastodon"), {"text": text})
    sent = client.post(reverse("share-mastodon"), {"text": text, "instance": "mastodon.social"})

    assert brought.status_code == 400
    assert sent.status_code == 400
    assert not sent.has_header("Location")


def test_the_mastodon_page_speaks_french(client):
    page = client.get("/fr/share/mastodon/", {"text": "Bonjour"}).content.decode()

    assert "Partager sur Mastodon" in page


def test_the_mastodon_page_lets_its_form_lead_on_to_https_only(client):
    from tests.conftest import csp

    policy = csp(client.get(reverse("share-mastodon"), {"text": "Hello"}))

    assert policy["form-action"] == ["'self'", "https:"]
    assert policy["script-src"] == ["'self'"]


def test_without_an_allys_page_the_badge_leads_to_the_wall_searched_for_it(
    client, make_endorsement, campaign, sector, monkeypatch
):
    from tests.wall_helpers import bulk_allies

    # 200 allies before it by name: on the plain wall it is on page 2.
    bulk_allies(campaign, sector, 200, prefix="Aardvark Society")
    ally = make_endorsement(status=Status.APPROVED, name="Zephyr Kinderhilfe 🌍 " + "e" * 150)
    monkeypatch.setattr(sharing, "ALLY_PAGE", "no-such-page")

    url = sharing.entry_url(ally)

    split = urlsplit(url)
    assert split.fragment == f"ally-{ally.public_id}"
    (search,) = parse_qs(split.query)["search"]
    assert len(search) <= 100
    assert ally.organization.name.startswith(search)
    assert f'id="ally-{ally.public_id}"' not in client.get(split.path).content.decode()
    searched = client.get(f"{split.path}?{split.query}")
    assert searched.status_code == 200
    assert f'id="ally-{ally.public_id}"' in searched.content.decode()
