"""Proving a domain (issue 15): DNS and web checks against real servers on loopback, the
queue, the manage page, the daily re-check, and the verified mark everywhere it shows."""

from __future__ import annotations

import io
import ssl
import time
from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from coalition.endorsements import tokens
from coalition.endorsements.mail import mail_context
from coalition.jobs import outbox, tasks
from coalition.models import DomainCheck, DomainProof, Endorsement, Organization, OutboundEmail
from coalition.proofs import checks
from coalition.proofs import services as proofs
from coalition.wall import selectors
from coalition.wall.queries import AllyQuery
from tests.proof_servers import (
    Site,
    Zone,
    certificates,
    dns_server,
    silent_dns_server,
    web_server,
)

Status = Endorsement.Status
DOMAIN = "rowan-helpline.org"
TOKEN = "0123456789abcdef0123456789abcdef"


@pytest.fixture
def zone(settings):
    """A real DNS server on loopback, the only resolver the checks ask."""
    zone = Zone()
    with dns_server(zone) as address:
        settings.DOMAIN_PROOF_DNS_SERVERS = [address]
        settings.DOMAIN_PROOF_TIMEOUT = 1
        yield zone


@pytest.fixture
def website(zone, settings):
    """A real HTTP server on loopback; the zone resolves the test's names to it. Plain HTTP and
    loopback are allowed, as they must be for it to be reached at all."""
    site = Site()
    with web_server(site) as port:
        settings.DOMAIN_PROOF_ALLOW_HTTP = True
        settings.DOMAIN_PROOF_ALLOW_PRIVATE = True
        settings.DOMAIN_PROOF_WEB_PORT = port
        for host in (DOMAIN, f"www.{DOMAIN}", "elsewhere.org"):
            zone.a[host] = ["127.0.0.1"]
        yield site


def codes(findings) -> list[tuple[str, str]]:
    return [(finding.method, finding.code) for finding in findings]


def words(result) -> list[str]:
    return [proofs.describe(finding.as_json()) for finding in result.findings]


# DNS -----------------------------------------------------------------------------------------


def test_a_txt_record_at_the_domain_proves_it(zone):
    zone.txt[DOMAIN] = ["v=spf1 -all", f"coalition-verification={TOKEN}"]

    result = checks.check_domain(DOMAIN, TOKEN)

    assert result.method == "dns"
    assert codes(result.findings) == [("dns", "found")]
    assert result.findings[0].params == {"name": DOMAIN}


def test_a_txt_record_at_the_underscore_name_proves_it(zone):
    zone.txt[f"_coalition-verification.{DOMAIN}"] = [f"coalition-verification={TOKEN}"]

    result = checks.check_domain(DOMAIN, TOKEN)

    assert result.method == "dns"
    assert result.findings[-1].params == {"name": f"_coalition-verification.{DOMAIN}"}


def test_a_txt_record_with_another_token_proves_nothing(zone):
    zone.txt[DOMAIN] = ["coalition-verification=ffffffffffffffffffffffffffffffff"]

    result = checks.check_domain(DOMAIN, TOKEN)

    assert result.method is None
    assert f"the TXT record at {DOMAIN} holds another token" in words(result)


def test_no_txt_record_is_reported_by_name(zone):
    result = checks.check_domain(DOMAIN, TOKEN)

    assert result.method is None
    assert words(result)[:2] == [
        f"no TXT record found at {DOMAIN}",
        f"no TXT record found at _coalition-verification.{DOMAIN}",
    ]


def test_a_dns_server_that_never_answers_times_out_quickly(settings, monkeypatch):
    # What each lookup and fetch was allowed to wait, not a stopwatch: the waits the check asks
    # for add up to three steps at most, whatever the number of lookups.
    allowed: list[float] = []
    step = checks.Deadline.step

    def recorded_step(deadline: checks.Deadline) -> float:
        allowed.append(step(deadline))
        return allowed[-1]

    monkeypatch.setattr(checks.Deadline, "step", recorded_step)
    with silent_dns_server() as address:
        settings.DOMAIN_PROOF_DNS_SERVERS = [address]
        settings.DOMAIN_PROOF_TIMEOUT = 0.3
        result = checks.check_domain(DOMAIN, TOKEN)

    assert result.method is None
    assert result.transient
    assert ("dns", "timeout") in codes(result.findings)
    assert f"the DNS servers did not answer in time for {DOMAIN}" in words(result)
    assert allowed
    assert all(wait <= 0.3 for wait in allowed)
    assert sum(allowed) <= 3 * 0.3 + 0.01


def test_private_names_are_never_looked_up(zone):
    for name in ("printer.local", "intranet.corp", "1.0.0.127.in-addr.arpa", "192.168.1.10"):
        result = checks.check_domain(name, TOKEN)
        assert codes(result.findings) == [("dns", "private_name")], name
    assert zone.asked == []


def test_the_resolver_list_takes_hosts_and_ports(settings):
    settings.DOMAIN_PROOF_DNS_SERVERS = ["192.0.2.1", "192.0.2.2:5353", "[2001:db8::1]:54", "::1"]
    assert checks.nameservers() == [
        ("192.0.2.1", 53),
        ("192.0.2.2", 5353),
        ("2001:db8::1", 54),
        ("::1", 53),
    ]
    settings.DOMAIN_PROOF_DNS_SERVERS = ["192.0.2.1:dns"]
    with pytest.raises(ImproperlyConfigured, match="DOMAIN_PROOF_DNS_SERVERS"):
        checks.nameservers()


# The web ---------------------------------------------------------------------------------------


def test_the_file_with_the_token_proves_the_domain(website):
    website.file(DOMAIN, f"{TOKEN}\n".encode())

    result = checks.check_domain(DOMAIN, TOKEN)

    assert result.method == "well-known"
    assert codes(result.findings)[-1] == ("well-known", "found")
    request = website.requests[-1]
    assert request["Host"] == f"{DOMAIN}:{website.port}"
    assert request["User-Agent"].startswith("CoalitionRegistry-DomainCheck/")


def test_a_missing_file_is_a_404(website):
    result = checks.check_domain(DOMAIN, TOKEN)

    assert result.method is None
    assert "the file was not found (404)" in words(result)


def test_a_file_with_another_token_proves_nothing(website):
    website.file(DOMAIN, b"ffffffffffffffffffffffffffffffff")

    result = checks.check_domain(DOMAIN, TOKEN)

    assert result.method is None
    assert "the file holds another token" in words(result)


def test_a_redirect_within_the_domain_is_followed_without_cookies(website):
    www = f"http://www.{DOMAIN}:{website.port}/.well-known/coalition-verification.txt"
    website.file(DOMAIN, b"", status=302, Location=www, Set_Cookie="session=abc; Path=/")
    website.file(f"www.{DOMAIN}", TOKEN.encode())

    result = checks.check_domain(DOMAIN, TOKEN)

    assert result.method == "well-known"
    assert [request["Host"].split(":")[0] for request in website.requests] == [
        DOMAIN,
        f"www.{DOMAIN}",
    ]
    assert all("Cookie" not in request for request in website.requests)


def test_a_redirect_to_another_domain_is_refused(website):
    elsewhere = f"http://elsewhere.org:{website.port}/.well-known/coalition-verification.txt"
    website.file(DOMAIN, b"", status=301, Location=elsewhere)
    website.file("elsewhere.org", TOKEN.encode())

    result = checks.check_domain(DOMAIN, TOKEN)

    assert result.method is None
    assert f"the website redirected to elsewhere.org, outside {DOMAIN}" in words(result)
    assert [request["Host"].split(":")[0] for request in website.requests] == [DOMAIN]


def test_more_than_three_redirects_are_refused(website):
    website.file(DOMAIN, b"", status=302, Location="/.well-known/coalition-verification.txt")

    result = checks.check_domain(DOMAIN, TOKEN)

    assert result.method is None
    assert "the website redirected more than 3 times" in words(result)
    assert len(website.requests) == 4


def test_a_10_mb_file_is_cut_at_64_kb(website):
    website.prefix = TOKEN.encode()
    website.file(DOMAIN, 10 * 1024 * 1024)

    result = checks.check_domain(DOMAIN, TOKEN)

    assert result.method is None
    assert "the file is larger than 64 KB" in words(result)
    # The connection was dropped once 64 KB were read: the server could not send it all.
    for _ in range(50):
        if website.sent:
            break
        time.sleep(0.05)
    assert website.sent
    assert website.sent[0] < 10 * 1024 * 1024


def test_a_hostname_resolving_to_loopback_is_refused_when_private_addresses_are_not(
    website, settings
):
    settings.DOMAIN_PROOF_ALLOW_PRIVATE = False
    website.file(DOMAIN, TOKEN.encode())

    result = checks.check_domain(DOMAIN, TOKEN)

    assert result.method is None
    assert f"{DOMAIN} points to a private address (127.0.0.1), which is not checked" in words(
        result
    )
    assert website.requests == []


def test_only_public_unicast_addresses_may_be_connected_to(settings):
    settings.DOMAIN_PROOF_ALLOW_PRIVATE = False
    for address in ("127.0.0.1", "10.1.2.3", "192.168.0.1", "169.254.169.254", "100.64.0.1"):
        assert not checks.address_allowed(address), address
    for address in ("::1", "fe80::1", "fc00::1", "::ffff:127.0.0.1", "224.0.0.1", "240.0.0.1"):
        assert not checks.address_allowed(address), address
    assert checks.address_allowed("93.184.215.14")
    assert checks.address_allowed("2606:2800:21f:cb07:6820:80da:af6b:8b2c")


def test_the_web_check_asks_for_https_unless_plain_http_is_allowed(settings):
    settings.DOMAIN_PROOF_WEB_PORT = 0
    settings.DOMAIN_PROOF_ALLOW_HTTP = False
    assert checks.first_url(DOMAIN) == (f"https://{DOMAIN}/.well-known/coalition-verification.txt")
    settings.DOMAIN_PROOF_ALLOW_HTTP = True
    assert checks.first_url(DOMAIN).startswith("http://")


def test_without_plain_http_the_check_speaks_only_https(website, settings):
    # The first request goes to the loopback server as HTTPS, which it does not speak.
    settings.DOMAIN_PROOF_ALLOW_HTTP = False
    result = checks.check_domain(DOMAIN, TOKEN)
    assert result.method is None
    assert codes(result.findings)[-1] in {("well-known", "tls"), ("well-known", "bad_answer")}


@pytest.fixture
def secure_website(zone, settings, tmp_path, monkeypatch):
    """An HTTPS server on loopback with a certificate for the test's domain, from a test CA
    that the checks are told to trust (and nothing else)."""
    ca, cert, key = certificates(tmp_path, [DOMAIN, f"www.{DOMAIN}"])
    site = Site()
    with web_server(site, tls=(cert, key)) as port:
        settings.DOMAIN_PROOF_ALLOW_HTTP = False
        settings.DOMAIN_PROOF_ALLOW_PRIVATE = True
        settings.DOMAIN_PROOF_WEB_PORT = port
        zone.a[DOMAIN] = ["127.0.0.1"]
        zone.a["another-name.org"] = ["127.0.0.1"]
        monkeypatch.setattr(
            checks, "tls_context", lambda: ssl.create_default_context(cafile=str(ca))
        )
        yield site


def test_over_https_the_vetted_address_is_asked_with_the_name_in_tls_and_host(secure_website):
    secure_website.file(DOMAIN, TOKEN.encode())

    result = checks.check_domain(DOMAIN, TOKEN)

    assert result.method == "well-known"
    assert result.findings[-1].params == {
        "url": f"https://{DOMAIN}:{secure_website.port}/.well-known/coalition-verification.txt"
    }
    assert secure_website.sni == [DOMAIN]
    assert secure_website.requests[-1]["Host"] == f"{DOMAIN}:{secure_website.port}"


def test_a_certificate_for_another_name_is_refused(secure_website):
    secure_website.file("another-name.org", TOKEN.encode())

    result = checks.check_domain("another-name.org", TOKEN)

    assert result.method is None
    assert "the certificate of another-name.org is not valid" in words(result)
    assert secure_website.requests == []


# The queue, the manage page and the mark -------------------------------------------------------


@pytest.fixture
def applicant(make_endorsement):
    """A pending application whose contact writes from elsewhere: no email proof."""
    return make_endorsement(website=f"https://www.{DOMAIN}/", contact_email="ada@mail.example")


def manage_url(endorsement: Endorsement, token: str | None = None) -> str:
    token = token or tokens.manage_token(endorsement)
    return reverse("manage", kwargs={"token": token})


def check_url(endorsement: Endorsement, token: str | None = None) -> str:
    # A signed token carries its second of issue: a test comparing two links mints one token.
    token = token or tokens.manage_token(endorsement)
    return reverse("manage-domain-check", kwargs={"token": token})


def token_of(endorsement: Endorsement) -> str:
    return proofs.token_for(endorsement.organization)


def test_check_now_queues_a_check_and_the_page_shows_verified_by_dns(
    client, applicant, zone, django_capture_on_commit_callbacks
):
    page = client.get(manage_url(applicant)).content.decode()
    token = token_of(applicant)
    assert f"coalition-verification={token}" in page
    assert f"_coalition-verification.{DOMAIN}" in page
    assert f"https://{DOMAIN}/.well-known/coalition-verification.txt" in page
    assert "Check now" in page
    zone.txt[DOMAIN] = [f"coalition-verification={token}"]

    link = tokens.manage_token(applicant)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(check_url(applicant, link))

    assert response.status_code == 302
    assert response["Location"] == manage_url(applicant, link) + "#domain-proof"
    check = DomainCheck.objects.get()
    assert (check.outcome, check.method, check.reason) == ("proven", "dns", "applicant")
    assert check.done_at is not None
    proof = DomainProof.objects.get(endorsement=applicant)
    assert (proof.method, proof.domain, proof.checked) == ("dns", DOMAIN, {"name": DOMAIN})
    page = client.get(manage_url(applicant)).content.decode()
    assert f"{DOMAIN} is verified by DNS" in page
    assert Endorsement.objects.get(pk=applicant.pk).verification == "dns"


def test_a_failed_check_says_why_on_the_manage_page(
    client, applicant, website, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(check_url(applicant))

    page = client.get(manage_url(applicant)).content.decode()
    assert "not proven" in page
    assert f"no TXT record found at {DOMAIN}" in page
    assert "the file was not found (404)" in page
    assert DomainCheck.objects.get().outcome == "failed"
    assert not DomainProof.objects.exists()


def test_no_check_runs_inside_the_request_and_the_page_polls_until_it_is_done(
    client, applicant, zone, settings, django_capture_on_commit_callbacks
):
    settings.BACKGROUND_WORK_IMMEDIATE = False
    zone.txt[DOMAIN] = [f"coalition-verification={token_of(applicant)}"]

    with django_capture_on_commit_callbacks(execute=True):
        client.post(check_url(applicant))
        client.post(check_url(applicant))  # a second press while waiting queues nothing

    assert zone.asked == []
    assert DomainCheck.objects.count() == 1
    link = tokens.manage_token(applicant)
    page = client.get(manage_url(applicant, link))
    body = page.content.decode()
    assert f'data-domain-check-status="{check_url(applicant, link)}"' in body
    assert "coalition/domain-proof.js" in body
    assert "<script>" not in body
    assert client.get(check_url(applicant)).json() == {"pending": True, "verification": None}

    assert tasks.run(proofs.QUEUE).done == 1

    assert client.get(check_url(applicant)).json() == {"pending": False, "verification": "dns"}
    assert zone.asked


def test_check_now_is_limited_to_ten_an_hour_per_organization(
    client, applicant, zone, django_capture_on_commit_callbacks
):
    for _ in range(10):
        with django_capture_on_commit_callbacks(execute=True):
            assert client.post(check_url(applicant)).status_code == 302

    response = client.post(check_url(applicant))

    assert response.status_code == 429
    assert "asked for 10 checks in the last hour" in response.content.decode()
    assert DomainCheck.objects.count() == 10
    with time_machine.travel(timezone.now() + timedelta(minutes=61)):
        assert proofs.checks_left(applicant.organization) == 10


def test_the_token_is_random_and_one_per_organization(applicant, make_endorsement):
    other = make_endorsement()
    first = token_of(applicant)
    assert len(first) == 32
    assert first == token_of(applicant)
    assert first != token_of(other)


def test_the_confirmation_mail_explains_the_proofs_only_when_the_email_proof_does_not_hold(
    make_endorsement,
):
    elsewhere = make_endorsement(status=Status.UNCONFIRMED, contact_email="ada@mail.example")
    at_domain = make_endorsement(status=Status.UNCONFIRMED)
    Endorsement.objects.filter(pk=at_domain.pk).update(domain_verified=True)
    at_domain.refresh_from_db()

    _subject, text, html = outbox.render("confirm", mail_context(elsewhere), "en")
    token = token_of(elsewhere)
    for body in (text, html):
        assert f"coalition-verification={token}" in body
        assert "/.well-known/coalition-verification.txt" in body
        assert "Check now" in body
    _subject, text, html = outbox.render("confirm", mail_context(at_domain), "en")
    assert "coalition-verification" not in text + html


def approved(endorsement: Endorsement) -> Endorsement:
    Endorsement.objects.filter(pk=endorsement.pk).update(
        status=Status.APPROVED, approved_at=timezone.now()
    )
    return Endorsement.objects.get(pk=endorsement.pk)


def api_ally(endorsement: Endorsement) -> dict:
    return APIClient().get(f"/api/v1/allies/{endorsement.public_id}/").json()


def test_the_wall_and_the_api_show_the_mark_once_the_domain_is_proven(
    client, applicant, zone, django_capture_on_commit_callbacks
):
    ally = approved(applicant)
    assert "(verified)" not in client.get("/").content.decode()
    assert (api_ally(ally)["verified"], api_ally(ally)["verification"]) == (False, None)
    zone.txt[DOMAIN] = [f"coalition-verification={token_of(ally)}"]

    with django_capture_on_commit_callbacks(execute=True):
        client.post(check_url(ally))

    # The cached renderings were made under the old public version: the change shows at once.
    assert "(verified)" in client.get("/").content.decode()
    assert (api_ally(ally)["verified"], api_ally(ally)["verification"]) == (True, "dns")
    assert "(verified)" in client.get("/embed/keep-detection/").content.decode()


def record(endorsement: Endorsement, method: str | None, **proof) -> None:
    finding = checks.Finding(method or "dns", "found" if method else "no_record", {"name": DOMAIN})
    job = DomainCheck.objects.create(
        endorsement=endorsement, domain=DOMAIN, reason="recheck", done_at=timezone.now()
    )
    proofs.domain_check_record(
        job=job,
        endorsement=endorsement,
        domain=proof.get("domain", DOMAIN),
        result=checks.CheckResult(method, [finding]),
    )


def test_the_verified_filter_and_the_mark_follow_one_rule(make_endorsement):
    by_email = make_endorsement(name="By email")
    Endorsement.objects.filter(pk=by_email.pk).update(domain_verified=True)
    by_email = approved(by_email)
    by_dns = approved(make_endorsement(name="By DNS", website=f"https://{DOMAIN}"))
    record(by_dns, "dns")
    gone = approved(make_endorsement(name="Gone", website=f"https://{DOMAIN}"))
    record(gone, "well-known")
    record(gone, None)
    moved = approved(make_endorsement(name="Moved", website="https://moved.example.org"))
    record(moved, "dns", domain="old-domain.example.org")
    approved(make_endorsement(name="Unproven", contact_email="x@mail.example"))

    def verified(flag: bool) -> list[str]:
        query = AllyQuery(campaign=None, verified=flag)
        return sorted(ally.organization.name for ally in selectors.ally_list(query))

    assert verified(True) == ["By DNS", "By email"]
    assert verified(False) == ["Gone", "Moved", "Unproven"]
    marks = {
        ally.organization.name: ally.verification
        for ally in selectors.ally_list(AllyQuery(campaign=None))
    }
    assert marks == {
        "By email": "email",
        "By DNS": "dns",
        "Gone": None,
        "Moved": None,
        "Unproven": None,
    }
    assert [proofs.needs_other_verification(e) for e in (by_email, by_dns, gone)] == [
        False,
        False,
        True,
    ]


def test_the_ally_list_reads_the_mark_without_a_query_per_ally(
    make_endorsement, django_assert_num_queries
):
    for n in range(5):
        record(approved(make_endorsement(website=f"https://org{n}.{DOMAIN}")), "dns")
    allies = selectors.ally_list(AllyQuery(campaign=None))
    with django_assert_num_queries(1):
        assert [ally.verification for ally in allies] == ["dns"] * 5


def test_the_daily_recheck_hides_a_lost_proof_and_flags_it_after_a_week(
    client, applicant, zone, django_capture_on_commit_callbacks
):
    ally = approved(applicant)
    zone.txt[DOMAIN] = [f"coalition-verification={token_of(ally)}"]
    with django_capture_on_commit_callbacks(execute=True):
        call_command("recheck_domains", stdout=io.StringIO())
    assert not DomainCheck.objects.exists()  # nothing proven by DNS yet: nothing to re-check
    with django_capture_on_commit_callbacks(execute=True):
        client.post(check_url(ally))
    assert api_ally(ally)["verification"] == "dns"

    del zone.txt[DOMAIN]
    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("recheck_domains", stdout=out)
    assert "1 checks queued" in out.getvalue()
    proof = DomainProof.objects.get(endorsement=ally)
    assert proof.missing_since is not None
    assert proof.flagged_at is None
    assert api_ally(ally)["verification"] is None
    assert "(verified)" not in client.get("/").content.decode()
    assert list(proofs.flagged()) == []
    told = OutboundEmail.objects.get(template="proof-missing")
    assert told.to == [ally.contact_email]
    assert f"could no longer find the proof that {ally.organization.name} controls" in (
        told.body_text
    )
    assert "/manage/" in told.body_text

    with time_machine.travel(timezone.now() + timedelta(days=7, minutes=1)):
        with django_capture_on_commit_callbacks(execute=True):
            call_command("recheck_domains", stdout=io.StringIO())
        assert list(proofs.flagged()) == [ally]
        # Told once: a proof still missing the next day is no news.
        assert OutboundEmail.objects.filter(template="proof-missing").count() == 1
        zone.txt[DOMAIN] = [f"coalition-verification={token_of(ally)}"]
        with django_capture_on_commit_callbacks(execute=True):
            call_command("recheck_domains", stdout=io.StringIO())
    proof.refresh_from_db()
    assert (proof.missing_since, proof.flagged_at) == (None, None)
    assert api_ally(ally)["verification"] == "dns"
    assert list(DomainCheck.objects.values_list("reason", "outcome")) == [
        ("recheck", "proven"),
        ("recheck", "failed"),
        ("recheck", "failed"),
        ("applicant", "proven"),
    ]


def test_a_recheck_that_meets_only_silence_is_tried_again_before_the_proof_counts_as_lost(
    applicant, settings, django_capture_on_commit_callbacks
):
    ally = approved(applicant)
    record(ally, "dns")
    with silent_dns_server() as address:
        settings.DOMAIN_PROOF_DNS_SERVERS = [address]
        settings.DOMAIN_PROOF_TIMEOUT = 0.2
        with django_capture_on_commit_callbacks(execute=True):
            proofs.domain_recheck_all()
        check = DomainCheck.objects.filter(done_at__isnull=True).get()
        assert check.next_attempt_at is not None
        assert "did not answer in time" in check.last_error
        assert DomainProof.objects.get(endorsement=ally).missing_since is None
        for _attempt in range(2):
            DomainCheck.objects.filter(pk=check.pk).update(next_attempt_at=None)
            tasks.run(proofs.QUEUE)
    check.refresh_from_db()
    assert (check.outcome, check.attempts) == ("failed", 3)
    assert DomainProof.objects.get(endorsement=ally).missing_since is not None


def test_a_new_website_domain_ends_the_proof_of_the_old_one(applicant):
    ally = approved(applicant)
    record(ally, "dns")
    assert Endorsement.objects.get(pk=ally.pk).verification == "dns"
    organization = Organization.objects.get(pk=ally.organization_id)
    organization.website = "https://another-domain.org"
    organization.save()
    assert Endorsement.objects.get(pk=ally.pk).verification is None


def test_the_reviewers_include_shows_the_status_and_the_history(applicant, zone):
    record(applicant, "dns")
    record(applicant, None)

    html = render_to_string("review/_domain_proof.html", {"endorsement": applicant})

    assert f"{DOMAIN}: not proven" in html
    assert "The proof found before has been missing since" in html
    assert f"no TXT record found at {DOMAIN}" in html
    assert html.count("<tr>") == 3  # a header and two checks
    assert "proven: DNS record" in html


def test_the_worker_does_one_check_a_pass_so_mail_never_waits_behind_many():
    queue = next(queue for queue in tasks.queues() if queue.name == "domain-checks")
    assert queue.batch == 1
    assert queue.model is DomainCheck


def test_an_ally_whose_proof_is_gone_a_week_waits_in_the_queues_proof_missing_tab(
    reviewer_client, make_endorsement
):
    lost = approved(make_endorsement(website=f"https://{DOMAIN}"))
    record(lost, "dns")
    holding = approved(make_endorsement(website=f"https://other.{DOMAIN}"))
    record(holding, "dns", domain=f"other.{DOMAIN}")
    week_ago = timezone.now() - timedelta(days=8)
    DomainProof.objects.filter(endorsement=lost).update(
        missing_since=week_ago, flagged_at=timezone.now()
    )

    page = reviewer_client.get("/review/proof/").content.decode()
    assert "Proof missing" in page
    assert lost.organization.name in page
    assert holding.organization.name not in page
    assert f'datetime="{week_ago.isoformat()[:19]}' in page
    assert f"The proof of {DOMAIN} (DNS record) has been missing since" in page
    queue = reviewer_client.get("/review/decided/").content.decode()
    assert 'Proof missing <span class="tab-count">1</span>' in queue

    DomainProof.objects.filter(endorsement=lost).update(missing_since=None, flagged_at=None)
    page = reviewer_client.get("/review/proof/").content.decode()
    assert lost.organization.name not in page
    assert "Every domain proof still holds." in page


@pytest.mark.parametrize("status", [Status.APPROVED, Status.UNCONFIRMED])
@pytest.mark.parametrize("domain_verified", [False, True])
@pytest.mark.parametrize(
    "proof",
    [
        None,
        {"method": "dns"},
        {"method": "well-known"},
        {"method": "dns", "missing": True},
        {"method": "well-known", "domain": "other-domain.example.org"},
        {"method": "email"},  # not a checked method: never a proof of its own
    ],
)
def test_the_verification_expression_agrees_with_verification_of(
    make_endorsement, status, domain_verified, proof
):
    from coalition.proofs.models import verification_expression, verification_of

    endorsement = make_endorsement(status=status, website=f"https://{DOMAIN}")
    Endorsement.objects.filter(pk=endorsement.pk).update(domain_verified=domain_verified)
    if proof is not None:
        now = timezone.now()
        DomainProof.objects.create(
            endorsement=endorsement,
            method=proof["method"],
            domain=proof.get("domain", DOMAIN),
            first_proven_at=now,
            proven_at=now,
            missing_since=now if proof.get("missing") else None,
        )
    endorsement = Endorsement.objects.select_related("organization", "domain_proof").get(
        pk=endorsement.pk
    )

    in_sql = (
        Endorsement.objects.filter(pk=endorsement.pk)
        .annotate(verification_in_sql=verification_expression())
        .values_list("verification_in_sql", flat=True)
        .get()
    )

    assert in_sql == verification_of(endorsement)
