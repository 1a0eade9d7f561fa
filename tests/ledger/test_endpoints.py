"""log.json, signatories.json, its .minisig and the well-known key, as the public gets them."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from coalition import services
from coalition.endorsements import edits
from coalition.ledger import chain, selectors, signing
from coalition.models import Campaign, Endorsement, LogEntry, SignedList
from tests.ledger.helpers import approve

Status = Endorsement.Status
LOG = "/campaigns/keep-detection/log.json"
LIST = "/campaigns/keep-detection/signatories.json"
SIG = LIST + ".minisig"
KEY = "/.well-known/coalition-registry.pub"


def _key(client) -> signing.PublicKey:
    response = client.get(KEY)
    assert response.status_code == 200
    return signing.public_keys_parse(response.content.decode())[0]


def _fetch_and_verify(client) -> dict:
    document = client.get(LIST)
    signature = client.get(SIG)
    assert document.status_code == signature.status_code == 200
    signing.verify(document.content, signature.content.decode(), _key(client))
    return json.loads(document.content)


@pytest.fixture
def allies(campaign, make_endorsement, reviewer):
    greek = make_endorsement(name="Ελληνικό Δίκτυο 🌍", country="GR")
    # Its contact's address is at its website's domain, and confirmed.
    Endorsement.objects.filter(pk=greek.pk).update(domain_verified=True)
    return [approve(greek, reviewer), approve(make_endorsement(name="Harbour Light"), reviewer)]


def test_the_list_names_the_allies_their_public_fields_the_proof_and_the_log_head(
    client, campaign, allies
):
    data = _fetch_and_verify(client)

    assert data["campaign"] == {
        "slug": "keep-detection",
        "title": "Keep detection legal",
        "url": "http://testserver/campaigns/keep-detection/",
    }
    head = LogEntry.objects.order_by("-seq").first()
    assert data["log"]["seq"] == 2
    assert data["log"]["hash"] == head.hash
    assert data["key_id"] == signing.key_id()
    assert data["count"] == 2
    first = data["allies"][0]
    assert first["id"] == allies[0].public_id
    assert first["name"] == "Ελληνικό Δίκτυο 🌍"
    assert first["country"] == "GR"
    assert first["sector"] == "child-protection-ngo"
    assert first["logo"] is None
    # The contact's address is at the website's domain: the factory's contacts are.
    assert first["proof"] == "email"
    assert data["allies"][1]["proof"] is None
    assert first["joined_at"] == chain.format_time(LogEntry.objects.get(seq=1).time)
    assert set(first) == {
        "id",
        "name",
        "website",
        "country",
        "sector",
        "logo",
        "proof",
        "joined_at",
    }
    assert "Ελληνικό Δίκτυο 🌍".encode() in client.get(LIST).content


def test_the_list_and_its_signature_served_apart_are_the_same_bytes_every_time(
    client, campaign, allies
):
    first = (client.get(LIST).content, client.get(SIG).content)
    # Rebuilt from the database, not from a cache: the same state gives the same bytes.
    from django.core.cache import cache

    cache.clear()
    second = (client.get(LIST).content, client.get(SIG).content)
    assert first == second
    assert SignedList.objects.count() == 1


def test_a_change_then_a_fetch_of_both_still_verifies(
    client, campaign, allies, make_endorsement, reviewer, django_capture_on_commit_callbacks
):
    before = _fetch_and_verify(client)

    # What a change does once it commits (the public versions move on, the caches in front
    # are purged) happens as in production.
    with django_capture_on_commit_callbacks(execute=True):
        services.endorsement_withdraw(endorsement=allies[0])
    after = _fetch_and_verify(client)
    with django_capture_on_commit_callbacks(execute=True):
        approve(make_endorsement(name="Third"), reviewer)
    latest = _fetch_and_verify(client)

    assert [a["name"] for a in before["allies"]] == ["Ελληνικό Δίκτυο 🌍", "Harbour Light"]
    assert [a["name"] for a in after["allies"]] == ["Harbour Light"]
    assert [a["name"] for a in latest["allies"]] == ["Harbour Light", "Third"]
    assert (before["log"]["seq"], after["log"]["seq"], latest["log"]["seq"]) == (2, 3, 4)
    assert latest["generated_at"] >= after["generated_at"] >= before["generated_at"]


def test_a_tampered_byte_of_the_list_fails_verification(client, campaign, allies):
    document = client.get(LIST).content
    signature = client.get(SIG).content.decode()
    tampered = document.replace(b"Harbour Light", b"Harbour Lighd")

    with pytest.raises(signing.SignatureInvalid, match="altered"):
        signing.verify(tampered, signature, _key(client))


def test_the_signature_covers_the_trusted_comment(client, campaign, allies):
    document = client.get(LIST).content
    signature = client.get(SIG).content.decode()
    lines = signature.splitlines()
    assert lines[2].startswith("trusted comment: timestamp:")
    assert "file:signatories.json campaign:keep-detection log:2:" in lines[2]
    lines[2] = lines[2].replace("log:2:", "log:3:")

    with pytest.raises(signing.SignatureInvalid, match="trusted comment"):
        signing.verify(document, "\n".join(lines) + "\n", _key(client))


def test_pending_rejected_and_not_us_applications_appear_in_neither(
    client, campaign, allies, make_endorsement, reviewer, reason
):
    make_endorsement(name="Still Pending Org", status=Status.PENDING)
    rejected = make_endorsement(name="Rejected Org", status=Status.PENDING)
    services.endorsement_reject(endorsement=rejected, by=reviewer, reason=reason)
    not_us = make_endorsement(name="Not Us Org", status=Status.UNCONFIRMED)
    services.endorsement_withdraw(endorsement=not_us, actor="system", reported=True)

    text = client.get(LIST).content.decode() + client.get(LOG).content.decode()

    for name in ("Still Pending Org", "Rejected Org", "Not Us Org", "@org"):
        assert name not in text
    assert "contact" not in text.lower()


def test_the_log_pages_with_after_and_a_next_link(client, campaign, allies, monkeypatch):
    monkeypatch.setattr(selectors, "LOG_PAGE_SIZE", 1)
    services.endorsement_withdraw(endorsement=allies[0])

    seen, url = [], LOG
    while url:
        response = client.get(url)
        assert response.status_code == 200
        assert response["Content-Type"] == "application/json; charset=utf-8"
        page = response.json()
        seen += page["entries"]
        url = page["next"] and page["next"].removeprefix("http://testserver")

    assert [e["seq"] for e in seen] == [1, 2, 3]
    assert chain.check_chain(seen)[0] == 3
    assert client.get(LOG + "?after=3").json()["entries"] == []


@pytest.mark.parametrize("after", ["-1", "x", "1.5", "99999999999", "١"])
def test_a_bad_after_is_a_400_naming_the_parameter(client, campaign, after):
    response = client.get(LOG, {"after": after})

    assert response.status_code == 400
    assert response.json()["errors"][0]["parameter"] == "after"
    assert response["Cache-Control"] == "no-store"


@pytest.mark.parametrize("path", [LOG, LIST, SIG])
def test_an_unknown_or_embargoed_campaign_is_a_json_404(client, campaign, path):
    from datetime import timedelta

    from django.utils import timezone

    Campaign.objects.create(
        slug="secret", title="Secret", publish_at=timezone.now() + timedelta(days=3)
    )
    for slug in ("nothing-here", "secret"):
        response = client.get(path.replace("keep-detection", slug))
        assert response.status_code == 404
        assert response.json()["detail"]


def test_without_a_key_the_list_and_its_key_answer_503_not_500(client, campaign, allies, settings):
    settings.SIGNING_KEY_FILE = settings.BASE_DIR / "var" / "no-such-key"

    for path in (LIST, SIG, KEY):
        response = client.get(path)
        assert response.status_code == 503
        assert "signing key" in response.json()["detail"]
        assert response["Cache-Control"] == "no-store"
    assert client.get(LOG).status_code == 200


def test_the_responses_carry_the_campaigns_cache_key_so_a_change_purges_both(
    client, campaign, allies
):
    for path in (LOG, LIST, SIG):
        response = client.get(path)
        assert f"campaign-{campaign.pk}" in response["xkey"].split()
        assert response["Access-Control-Allow-Origin"] == "*"


def test_the_well_known_file_lists_retired_keys_after_the_current_one(
    client, campaign, allies, settings, tmp_path
):
    old = signing.secret_key_new()
    document = client.get(LIST).content
    old_signature = signing.sign(document, key=old)
    retired = tmp_path / "old.pub"
    retired.write_text(old.public.file_text())
    settings.SIGNING_OLD_PUBLIC_KEYS = str(retired)

    keys = signing.public_keys_parse(client.get(KEY).content.decode())

    assert [key.key_id_text for key in keys] == [signing.key_id(), old.public.key_id_text]
    signing.verify(document, old_signature, keys[1])
    with pytest.raises(signing.SignatureInvalid, match="not with the public key"):
        signing.verify(document, old_signature, keys[0])


def test_an_approved_edit_shows_in_the_list_and_the_log_alike(
    client, campaign, allies, reviewer, django_capture_on_commit_callbacks
):
    _fetch_and_verify(client)
    with django_capture_on_commit_callbacks(execute=True):
        edits.organization_edit_by_reviewer(
            organization=allies[1].organization,
            by=reviewer,
            name="Harbour Light Trust",
            website=allies[1].organization.website,
            country="IE",
            sector=allies[1].organization.sector,
            registry_id="",
            statements={},
        )

    data = _fetch_and_verify(client)
    entries = client.get(LOG).json()["entries"]
    assert entries[-1]["event"] == "changed"
    assert entries[-1]["fields"] == {"name": "Harbour Light Trust", "country": "IE"}
    assert chain.replay(entries)[allies[1].public_id]["name"] == "Harbour Light Trust"
    assert data["allies"][1]["name"] == "Harbour Light Trust"


@pytest.mark.parametrize("path", [LOG, LIST, SIG])
def test_the_query_count_does_not_grow_with_the_allies(
    client, campaign, make_endorsement, reviewer, path
):
    from django.core.cache import cache

    for _ in range(3):
        approve(make_endorsement(), reviewer)
    cache.clear()
    client.get(path)  # the list's first state is recorded once (SignedList)
    cache.clear()
    with CaptureQueriesContext(connection) as few:
        assert client.get(path).status_code == 200
    for _ in range(20):
        approve(make_endorsement(), reviewer)
    cache.clear()
    client.get(path)
    cache.clear()
    with CaptureQueriesContext(connection) as many:
        assert client.get(path).status_code == 200
    assert len(many.captured_queries) == len(few.captured_queries) <= 6


@pytest.mark.parametrize(
    ("language", "words"),
    [("fr", "Aucune campagne publique"), ("de", "keine öffentliche Kampagne")],
)
def test_errors_speak_the_readers_language(client, campaign, language, words):
    response = client.get(LOG.replace("keep-detection", "nothing"), HTTP_ACCEPT_LANGUAGE=language)

    assert response.status_code == 404
    assert words in response.json()["detail"]


def test_the_list_is_the_same_in_every_language_so_its_signature_always_matches(
    client, campaign, allies
):
    campaign.title_fr = "Garder la détection légale"
    campaign.save()

    french = client.get(LIST, HTTP_ACCEPT_LANGUAGE="fr").content
    signature = client.get(SIG, HTTP_ACCEPT_LANGUAGE="de").content.decode()
    english = client.get(LIST, HTTP_ACCEPT_LANGUAGE="en").content

    assert french == english
    assert json.loads(french)["campaign"]["title"] == "Keep detection legal"
    signing.verify(french, signature, _key(client))
