"""A campaign's team changes: invitations sent, withdrawn and accepted, members' roles changed
and members removed. Every change writes a ``TeamEvent`` (the team's audit trail) in the same
transaction, and the invitation's mail goes through the outbox once it commits.

An invitation's link carries a random token; only its SHA-256 is stored, so a copy of the
database opens no account. The link works once, for ``INVITATION_VALID``. With
``REQUIRE_STAFF_2FA`` on, a new account comes with its authenticator (TOTP) device, proven by
a code from the app before the account exists at all: the device's key is derived from the
token (and ``SECRET_KEY``), so showing the QR code changes nothing, and a half-made account
that cannot sign in never exists.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from coalition.campaigns import team
from coalition.campaigns.models import (
    Campaign,
    CampaignInvitation,
    CampaignMember,
    TeamEvent,
    TeamRole,
)
from coalition.errors import ServiceError
from coalition.jobs.services import mail_queue
from coalition.web import links

INVITATION_VALID = timedelta(days=7)
_TOTP_SALT = "coalition.campaigns.invitations.totp"
LANGUAGE_CODES = tuple(code for code, _name in settings.LANGUAGES)
Action = TeamEvent.Action


class TeamError(ServiceError):
    """A change to a team that is refused; its message is meant for people."""


class InvitationGone(TeamError):
    """The link is unknown, used, withdrawn or expired: nothing can be done with it."""


class AccountExists(TeamError):
    """An account with the invitation's address exists: its owner signs in to join with it."""


def token_hash(token: str) -> str:
    """The one digest of a link's token that is stored (``CampaignInvitation.token_hash``)."""
    return hashlib.sha256(token.encode()).hexdigest()


def join_link(token: str) -> str:
    """The invitation's absolute link (``/review/join/<token>/``)."""
    return links.absolute(reverse("review:join", args=[token]))


def invitation_for_token(token: str, *, lock: bool = False) -> CampaignInvitation:
    """The open invitation ``token`` names, or ``InvitationGone`` saying why it is not."""
    if not token or len(token) > 100:
        raise InvitationGone(_("This invitation link is not valid."))
    rows = CampaignInvitation.objects.select_related("campaign", "invited_by")
    if lock:
        rows = rows.select_for_update(of=("self",))
    invitation = rows.filter(token_hash=token_hash(token)).first()
    if invitation is None:
        raise InvitationGone(_("This invitation link is not valid."))
    if invitation.accepted_at is not None:
        raise InvitationGone(_("This invitation has been used already. Sign in to the workspace."))
    if invitation.revoked_at is not None:
        raise InvitationGone(
            _("This invitation was withdrawn. Ask the campaign’s owners for a new one.")
        )
    if not invitation.is_open():
        raise InvitationGone(
            _("This invitation has expired. Ask the campaign’s owners for a new one.")
        )
    return invitation


def account_for(email: str) -> AbstractBaseUser | None:
    """The account an address belongs to (its username or its email), if any."""
    User = get_user_model()
    return (
        User.objects.filter(username__iexact=email).first()
        or User.objects.filter(email__iexact=email).order_by("pk").first()
    )


def _member_with_email(campaign: Campaign, email: str) -> CampaignMember | None:
    return (
        CampaignMember.objects.select_related("user")
        .filter(campaign=campaign, user__email__iexact=email)
        .first()
    )


def _check_may_manage(by: AbstractBaseUser | None, campaign: Campaign) -> None:
    # ``by=None`` is the shell (a command), which may do anything.
    if by is not None and not team.may_own(by, campaign):
        raise TeamError(_("Only the campaign’s owners manage its team."))


def _role_label(role: str) -> str:
    return str(TeamRole(role).label)


def _clean_email(email: str) -> str:
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise TeamError(_("Enter a valid email address.")) from None
    return email


# Invitations --------------------------------------------------------------------------------


def invitation_send(
    *,
    campaign: Campaign,
    email: str,
    role: str,
    by: AbstractBaseUser | None,
    language: str,
) -> tuple[CampaignInvitation, str]:
    """Invite ``email`` to ``campaign``'s team with ``role``; the mail, in ``language``, carries
    the link (returned too, absolute). An open invitation to the same address is withdrawn and
    replaced; someone already on the team is refused (a role is changed on the team page)."""
    email = _clean_email(email)
    if role not in TeamRole.values:
        raise TeamError(_("Choose the role: owner or reviewer."))
    if language not in LANGUAGE_CODES:
        raise TeamError(_("Choose the language of the invitation."))
    _check_may_manage(by, campaign)
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        # One change to a team at a time: two owners inviting the same address at once leave
        # one open invitation, not two.
        Campaign.objects.select_for_update().filter(pk=campaign.pk).first()
        member = _member_with_email(campaign, email)
        if member is not None:
            if member.role == role:
                message = _("%(email)s is already on this team as %(role)s.")
            else:
                message = _(
                    "%(email)s is already on this team as %(role)s: change their role in the "
                    "list of members instead."
                )
            raise TeamError(message % {"email": email, "role": _role_label(member.role).lower()})
        now = timezone.now()
        for old in CampaignInvitation.objects.select_for_update().filter(
            campaign=campaign, email__iexact=email, accepted_at=None, revoked_at=None
        ):
            if not old.is_open(now):
                continue
            old.revoked_at = now
            old.save(update_fields=["revoked_at"])
            TeamEvent.objects.create(
                campaign=campaign,
                action=Action.INVITATION_WITHDRAWN,
                by=by,
                email=old.email,
                role=old.role,
                note=gettext_noop("Replaced by a new invitation."),
            )
        invitation = CampaignInvitation.objects.create(
            campaign=campaign,
            email=email,
            role=role,
            language=language,
            token_hash=token_hash(token),
            invited_by=by,
            expires_at=now + INVITATION_VALID,
        )
        TeamEvent.objects.create(
            campaign=campaign,
            action=Action.INVITED,
            by=by,
            email=email,
            role=role,
            note=""
            if by is not None
            else gettext_noop("Sent from the shell (manage.py invite_to_campaign)."),
        )
        link = join_link(token)
        mail_queue(
            template="team-invitation",
            to=[email],
            context={
                "campaign": campaign,
                "invitation": invitation,
                "inviter": (by.get_full_name() or by.get_username()) if by is not None else "",
                "join_url": link,
                "valid_days": INVITATION_VALID.days,
            },
            language=language,
        )
    return invitation, link


def invitation_withdraw(
    *, invitation: CampaignInvitation, by: AbstractBaseUser | None
) -> CampaignInvitation:
    """Withdraw an open invitation: its link stops working at once."""
    _check_may_manage(by, invitation.campaign)
    with transaction.atomic():
        invitation = CampaignInvitation.objects.select_for_update().get(pk=invitation.pk)
        if not invitation.is_open():
            raise TeamError(_("This invitation is no longer open."))
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
        TeamEvent.objects.create(
            campaign=invitation.campaign,
            action=Action.INVITATION_WITHDRAWN,
            by=by,
            email=invitation.email,
            role=invitation.role,
        )
    return invitation


# Two-factor enrolment of a new account ----------------------------------------------------


def enrolment_key(token: str) -> str:
    """The TOTP key (hex) of the device a new account made from ``token`` gets: the same on
    every showing of the join page, known to no one without the link and ``SECRET_KEY``."""
    return salted_hmac(_TOTP_SALT, token, algorithm="sha256").digest()[:20].hex()


def enrolment_device(token: str, email: str) -> TOTPDevice:
    """The device, unsaved, for showing its QR code and key (``config_url``, ``bin_key``)."""
    # The account it will belong to, unsaved: the app shows its username beside the codes.
    User = get_user_model()
    return TOTPDevice(
        user=User(username=email), name=email[:64], key=enrolment_key(token), confirmed=False
    )


def _verify_code(device: TOTPDevice, code: str) -> int | None:
    """The time step ``code`` matches (this one, or one before or after), or None."""
    code = "".join((code or "").split())
    if not (code.isdigit() and len(code) == device.digits):
        return None
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = timezone.now().timestamp()
    if totp.verify(int(code), tolerance=device.tolerance):
        return totp.t()
    return None


# Joining -------------------------------------------------------------------------------------


def split_name(name: str) -> tuple[str, str]:
    """ "Ana María Ruiz" → ("Ana María", "Ruiz"): the last word is the last name."""
    words = " ".join((name or "").split())
    first, _space, last = words.rpartition(" ")
    return (first, last) if first else (words, "")


def invitation_accept(
    *,
    token: str,
    name: str = "",
    password: str = "",
    user: AbstractBaseUser | None = None,
    totp_code: str = "",
) -> CampaignMember:
    """Join the team the invitation names, once. ``user``: an account signed in already, whose
    address is the invitation's. Otherwise a new staff account is made, named ``name`` with
    ``password`` (Django's password validators) and, with ``REQUIRE_STAFF_2FA`` on, its TOTP
    device proven by ``totp_code``; an address that has an account must sign in first
    (``AccountExists``). Anything refused changes nothing."""
    User = get_user_model()
    with transaction.atomic():
        invitation = invitation_for_token(token, lock=True)
        now = timezone.now()
        if user is not None:
            if (user.email or "").lower() != invitation.email and (
                user.get_username().lower() != invitation.email
            ):
                raise TeamError(
                    _("This invitation is for %(email)s: sign in with that account.")
                    % {"email": invitation.email}
                )
            if not user.is_staff:
                user.is_staff = True
                user.save(update_fields=["is_staff"])
        else:
            if account_for(invitation.email) is not None:
                raise AccountExists(
                    _(
                        "An account with the address %(email)s exists already: sign in with "
                        "it to join the team."
                    )
                    % {"email": invitation.email}
                )
            first_name, last_name = split_name(name)
            if not first_name:
                raise TeamError(_("Enter your name."))
            user = User(
                username=invitation.email,
                email=invitation.email,
                first_name=first_name[:150],
                last_name=last_name[:150],
                is_staff=True,
            )
            try:
                password_validation.validate_password(password, user=user)
            except ValidationError as error:
                raise TeamError(" ".join(error.messages)) from None
            device = None
            if settings.REQUIRE_STAFF_2FA:
                device = enrolment_device(token, invitation.email)
                step = _verify_code(device, totp_code)
                if step is None:
                    raise TeamError(
                        _("That code is not the one your authenticator app shows now. Try again.")
                    )
            user.set_password(password)
            user.save()
            password_validation.password_changed(password, user=user)
            if device is not None:
                device.user = user
                device.confirmed = True
                # The code just used cannot be used again to sign in.
                device.last_t = step
                device.save()
        member, created = CampaignMember.objects.get_or_create(
            campaign=invitation.campaign, user=user, defaults={"role": invitation.role}
        )
        invitation.accepted_at = now
        invitation.accepted_by = user
        invitation.save(update_fields=["accepted_at", "accepted_by"])
        TeamEvent.objects.create(
            campaign=invitation.campaign,
            action=Action.JOINED,
            by=user,
            user=user,
            email=invitation.email,
            role=member.role,
            note="" if created else gettext_noop("Was on the team already."),
        )
    return member


# Members -------------------------------------------------------------------------------------


def _last_owner(member: CampaignMember) -> bool:
    return (
        member.role == TeamRole.OWNER
        and not CampaignMember.objects.filter(campaign_id=member.campaign_id, role=TeamRole.OWNER)
        .exclude(pk=member.pk)
        .exists()
    )


def _locked(member: CampaignMember) -> CampaignMember:
    # The campaign row first, then the member: two owners demoting each other at once cannot
    # both pass the last-owner check.
    Campaign.objects.select_for_update().filter(pk=member.campaign_id).first()
    locked = (
        CampaignMember.objects.select_for_update()
        .select_related("user", "campaign")
        .filter(pk=member.pk)
        .first()
    )
    if locked is None:
        raise TeamError(_("This person is no longer on the team."))
    return locked


def member_remove(*, member: CampaignMember, by: AbstractBaseUser | None) -> None:
    """Take ``member`` off the team; it takes effect on their next request. The campaign's
    last owner stays."""
    _check_may_manage(by, member.campaign)
    with transaction.atomic():
        member = _locked(member)
        if _last_owner(member):
            raise TeamError(
                _(
                    "%(name)s is the campaign’s last owner and cannot be removed: make someone "
                    "else an owner first."
                )
                % {"name": member.user.get_full_name() or member.user.get_username()}
            )
        TeamEvent.objects.create(
            campaign=member.campaign,
            action=Action.REMOVED,
            by=by,
            user=member.user,
            email=member.user.email,
            from_role=member.role,
        )
        member.delete()


def member_role_change(
    *, member: CampaignMember, role: str, by: AbstractBaseUser | None
) -> CampaignMember:
    """Make ``member`` an owner or a reviewer of their campaign. The last owner stays one."""
    if role not in TeamRole.values:
        raise TeamError(_("Choose the role: owner or reviewer."))
    _check_may_manage(by, member.campaign)
    with transaction.atomic():
        member = _locked(member)
        if member.role == role:
            raise TeamError(
                _("%(name)s is already %(role)s.")
                % {
                    "name": member.user.get_full_name() or member.user.get_username(),
                    "role": _role_label(role).lower(),
                }
            )
        if _last_owner(member):
            raise TeamError(
                _(
                    "%(name)s is the campaign’s last owner: make someone else an owner before "
                    "changing their role."
                )
                % {"name": member.user.get_full_name() or member.user.get_username()}
            )
        from_role, member.role = member.role, role
        member.save(update_fields=["role"])
        TeamEvent.objects.create(
            campaign=member.campaign,
            action=Action.ROLE_CHANGED,
            by=by,
            user=member.user,
            email=member.user.email,
            role=role,
            from_role=from_role,
        )
    return member
