"""Reviewers reach nothing in the admin beyond their permissions, on every registered page."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.auth.models import User
from django.db import models
from django.test import RequestFactory
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from coalition import services
from coalition.images import logos
from coalition.models import (
    AllyImport,
    CachePurge,
    CampaignInvitation,
    CampaignMember,
    DomainCheck,
    DomainProof,
    Endorsement,
    Organization,
    OrganizationVersion,
    TeamEvent,
    TeamRole,
    WebhookDelivery,
    WebhookEndpoint,
)
from coalition.privacy.services import privacy_notice_publish
from tests.admin_helpers import registered_models
from tests.conftest import image_bytes

Status = Endorsement.Status


@pytest.fixture
def one_of_each(make_endorsement, reason, superuser, django_capture_on_commit_callbacks) -> None:
    """A row of every model the admin shows, so that each change, delete and history page can
    be asked for."""
    endorsement = make_endorsement(status=Status.PENDING)
    logo = logos.logo_from_upload(io.BytesIO(image_bytes()))
    Organization.objects.filter(pk=endorsement.organization_id).update(logo=logo)
    OrganizationVersion.objects.create(
        organization=endorsement.organization,
        state=OrganizationVersion.State.CURRENT,
        website=endorsement.organization.website,
        logo=logo,
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.endorsement_approve(
            endorsement=endorsement, by=superuser, acknowledged=True, note="Checked by hand."
        )
    access = {
        "username": "someone",
        "ip_address": "203.0.113.5",
        "user_agent": "test",
        "http_accept": "*/*",
        "path_info": "/admin/login/",
    }
    AccessAttempt.objects.create(**access, get_data="", post_data="", failures_since_start=1)
    AccessLog.objects.create(**access)
    AccessFailureLog.objects.create(**access)
    TOTPDevice.objects.create(user=superuser, name="phone")
    now = timezone.now()
    DomainProof.objects.create(
        endorsement=endorsement,
        method="dns",
        domain=endorsement.organization.domain,
        first_proven_at=now,
        proven_at=now,
    )
    DomainCheck.objects.create(endorsement=endorsement, domain="example.org", reason="recheck")
    CachePurge.objects.create(target="http://127.0.0.1:6081", keys=["site"])
    privacy_notice_publish(texts={"en": "What we keep."}, user=superuser)
    campaign = endorsement.campaign
    CampaignMember.objects.create(campaign=campaign, user=superuser, role=TeamRole.OWNER)
    CampaignInvitation.objects.create(
        campaign=campaign,
        email="new@registry.example",
        role=TeamRole.REVIEWER,
        language="en",
        token_hash="0" * 64,
        expires_at=now + timedelta(days=7),
    )
    TeamEvent.objects.create(campaign=campaign, action=TeamEvent.Action.INVITED, by=superuser)
    AllyImport.objects.create(campaign=campaign, created_by=superuser, file_name="allies.csv")
    hook = WebhookEndpoint.objects.create(
        url="https://hooks.partner.example/coalition", events=["endorsement.approved"]
    )
    WebhookDelivery.objects.create(
        endpoint=hook, message_id="msg_one", event="endorsement.approved", payload="{}"
    )
    for model in registered_models():
        assert model.objects.exists(), f"add a {model.__name__} to this fixture"


def _as(user: User):
    request = RequestFactory().get("/admin/")
    request.user = user
    return request


def _expected(reviewer: User, superuser: User, model: type[models.Model], action: str) -> int:
    """200 where the reviewer's permissions allow the action and the admin offers it at all
    (some pages are read-only for everyone), else 403."""
    model_admin = admin.site.get_model_admin(model)
    opts = model._meta
    permission = f"{opts.app_label}.{action}_{opts.model_name}"
    if action == "view":
        granted = reviewer.has_perm(permission) or reviewer.has_perm(
            f"{opts.app_label}.change_{opts.model_name}"
        )
        offered = model_admin.has_view_or_change_permission(_as(superuser))
    else:
        granted = reviewer.has_perm(permission)
        offered = getattr(model_admin, f"has_{action}_permission")(_as(superuser))
    return 200 if granted and offered else 403


def test_a_reviewer_reaches_only_what_their_permissions_allow_on_every_admin_page(
    client, reviewer, superuser, one_of_each
):
    client.force_login(reviewer)
    checked = allowed = 0
    for model in registered_models():
        opts = model._meta
        base = f"/admin/{opts.app_label}/{opts.model_name}/"
        obj = model.objects.order_by("pk").first()
        pages = {
            "changelist": (base, "view"),
            "add": (f"{base}add/", "add"),
            "change": (f"{base}{obj.pk}/change/", "view"),
            "delete": (f"{base}{obj.pk}/delete/", "delete"),
            "history": (f"{base}{obj.pk}/history/", "view"),
        }
        for page, (url, action) in pages.items():
            expected = _expected(reviewer, superuser, model, action)
            assert client.get(url).status_code == expected, (model.__name__, page, url)
            checked += 1
            allowed += expected == 200

        # Writes are refused where the reviewer may only look, and change nothing.
        if not reviewer.has_perm(f"{opts.app_label}.change_{opts.model_name}"):
            assert client.post(f"{base}{obj.pk}/change/", {}).status_code == 403, model
        if not reviewer.has_perm(f"{opts.app_label}.delete_{opts.model_name}"):
            assert client.post(f"{base}{obj.pk}/delete/", {"post": "yes"}).status_code == 403
            assert model.objects.filter(pk=obj.pk).exists(), model
        if not reviewer.has_perm(f"{opts.app_label}.add_{opts.model_name}"):
            assert client.post(f"{base}add/", {}).status_code == 403, model
    assert checked == 5 * len(registered_models())
    # Reviewers can do their job: the coalition's lists, pages and histories they may view.
    assert allowed >= 3 * 7


def test_a_reviewer_sees_the_review_queue_and_nothing_about_staff_accounts(
    client, reviewer, superuser, one_of_each
):
    client.force_login(reviewer)

    assert client.get("/admin/coalition/endorsement/").status_code == 200
    assert client.get("/admin/coalition/endorsementevent/").status_code == 200
    for url in (
        "/admin/auth/user/",
        f"/admin/auth/user/{superuser.pk}/password/",
        "/admin/auth/group/",
        "/admin/axes/accessattempt/",
        "/admin/axes/accesslog/",
        "/admin/otp_totp/totpdevice/",
    ):
        assert client.get(url).status_code == 403, url
    device = TOTPDevice.objects.get()
    for url in (
        f"/admin/otp_totp/totpdevice/{device.pk}/qrcode/",
        f"/admin/otp_totp/totpdevice/{device.pk}/config/",
    ):
        assert client.get(url).status_code in (403, 404), url
        assert device.key not in client.get(url).content.decode()


def test_the_admin_index_lists_only_what_a_reviewer_may_see(client, reviewer, one_of_each):
    client.force_login(reviewer)

    body = client.get("/admin/").content.decode()

    assert "/admin/coalition/endorsement/" in body
    assert "/admin/auth/user/" not in body
    assert "/admin/axes/" not in body
    assert "/admin/otp_totp/" not in body
