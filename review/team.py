"""``/review/team/``: a campaign's owners manage its team — the members and their roles, the
open invitations, a new invitation, and the team's audit trail. ``/review/join/<token>/``: the
invited person sets their name and password (and their authenticator with
``REQUIRE_STAFF_2FA`` on) and joins.

Every change goes through ``coalition.campaigns.invitations``; who may is
``coalition.campaigns.team``: a campaign one does not own answers 404, as if it did not exist.
"""

from __future__ import annotations

import io
from base64 import b32encode
from typing import Any

import qrcode
import qrcode.image.svg
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login, password_validation
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.functional import lazy
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from coalition.campaigns import invitations, team
from coalition.campaigns.models import (
    Campaign,
    CampaignInvitation,
    CampaignMember,
    TeamEvent,
    TeamRole,
)
from review import wording
from review.access import base_context, reviewer_required

# How much of the audit trail the page shows, newest first.
EVENTS_SHOWN = 200


# Forms ---------------------------------------------------------------------------------------


class InviteForm(forms.Form):
    email = forms.EmailField(label=_("Email"), max_length=254)
    role = forms.ChoiceField(label=_("Role"), choices=TeamRole.choices, initial=TeamRole.REVIEWER)
    language = forms.ChoiceField(
        label=_("Language"),
        choices=settings.LANGUAGES,
        help_text=_("The language of the invitation mail."),
    )


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=TeamRole.choices)


# The validators' own help, as plain sentences (their HTML list is for the admin's templates).
_password_help = lazy(lambda: " ".join(password_validation.password_validators_help_texts()), str)


class JoinForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=300)
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_password_help(),
    )
    password_again = forms.CharField(
        label=_("Password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args: Any, invitation: CampaignInvitation, with_code: bool, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.invitation = invitation
        if with_code:
            self.fields["code"] = forms.CharField(
                label=_("Code from the app"),
                max_length=10,
                widget=forms.TextInput(
                    attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}
                ),
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        password, again = data.get("password"), data.get("password_again")
        if password and again and password != again:
            self.add_error("password_again", _("The two passwords differ."))
        elif password:
            first, last = invitations.split_name(data.get("name", ""))
            # The validators compare the password with the name and address of the account.
            email = self.invitation.email
            user = get_user_model()(username=email, email=email, first_name=first, last_name=last)
            try:
                password_validation.validate_password(password, user=user)
            except forms.ValidationError as error:
                self.add_error("password", error)
        return data


# The owner's pages ---------------------------------------------------------------------------


def _owned_or_404(request: HttpRequest, slug: str) -> Campaign:
    campaign = get_object_or_404(Campaign, slug=slug)
    if not team.may_own(request.user, campaign):
        raise Http404
    return campaign


@require_GET
@reviewer_required
def team_index(request: HttpRequest) -> HttpResponse:
    """The team page of the one campaign one owns, or the list to choose from."""
    owned = list(team.campaigns_owned_by(request.user).order_by("title"))
    if not owned:
        raise Http404
    if len(owned) == 1:
        return redirect("review:team-campaign", slug=owned[0].slug)
    context = {
        **base_context(request),
        "campaigns": [
            {"campaign": c, "url": reverse("review:team-campaign", args=[c.slug])} for c in owned
        ],
    }
    return render(request, "review/team_choose.html", context)


def _event_row(event: TeamEvent) -> dict[str, Any]:
    who = wording.person(event.by) if event.by_id else ""
    if not event.by_id and event.action == TeamEvent.Action.INVITED:
        who = str(_("the shell (manage.py)"))
    subject = (
        (event.user.get_full_name() or event.user.get_username()) if event.user_id else ""
    ) or event.email
    return {
        "event": event,
        "who": who or str(_("someone who no longer has an account")),
        # Notes the services write are English sentences marked for translation.
        "note": gettext(event.note) if event.note else "",
        "subject": subject,
        "role": TeamRole(event.role).label if event.role else "",
        "from_role": TeamRole(event.from_role).label if event.from_role else "",
    }


def _team_page(
    request: HttpRequest, campaign: Campaign, *, invite_form: InviteForm | None = None, status=200
) -> HttpResponse:
    members = list(
        CampaignMember.objects.filter(campaign=campaign)
        .select_related("user")
        .order_by("role", "user__first_name", "user__username")
    )
    open_invitations = [
        invitation
        for invitation in CampaignInvitation.objects.filter(
            campaign=campaign, accepted_at=None, revoked_at=None
        ).order_by("-created_at")
        if invitation.is_open()
    ]
    events = (
        TeamEvent.objects.filter(campaign=campaign)
        .select_related("by", "user")
        .order_by("-at", "-pk")[:EVENTS_SHOWN]
    )
    current = translation.get_language()
    context = {
        **base_context(request),
        "campaign": campaign,
        "members": [
            {
                "member": member,
                "name": member.user.get_full_name() or member.user.get_username(),
                "is_you": member.user_id == request.user.pk,
                "role_form": RoleForm(initial={"role": member.role}, prefix=f"m{member.pk}"),
            }
            for member in members
        ],
        "invitations": open_invitations,
        "invite_form": invite_form
        or InviteForm(
            initial={"language": current if current in dict(settings.LANGUAGES) else "en"}
        ),
        "events": [_event_row(event) for event in events],
        "several": team.campaigns_owned_by(request.user).count() > 1,
    }
    return render(request, "review/team.html", context, status=status)


@require_GET
@reviewer_required
def team_campaign(request: HttpRequest, slug: str) -> HttpResponse:
    return _team_page(request, _owned_or_404(request, slug))


@require_POST
@reviewer_required
def invite(request: HttpRequest, slug: str) -> HttpResponse:
    campaign = _owned_or_404(request, slug)
    form = InviteForm(request.POST)
    if not form.is_valid():
        return _team_page(request, campaign, invite_form=form, status=400)
    try:
        invitation, _link = invitations.invitation_send(
            campaign=campaign,
            email=form.cleaned_data["email"],
            role=form.cleaned_data["role"],
            language=form.cleaned_data["language"],
            by=request.user,
        )
    except invitations.TeamError as error:
        form.add_error("email", str(error))
        return _team_page(request, campaign, invite_form=form, status=400)
    messages.success(
        request,
        _("Invitation sent to %(email)s. The link works for 7 days.") % {"email": invitation.email},
    )
    return redirect("review:team-campaign", slug=campaign.slug)


@require_POST
@reviewer_required
def withdraw(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    campaign = _owned_or_404(request, slug)
    invitation = get_object_or_404(CampaignInvitation, campaign=campaign, pk=pk)
    try:
        invitations.invitation_withdraw(invitation=invitation, by=request.user)
    except invitations.TeamError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request, _("The invitation to %(email)s is withdrawn.") % {"email": invitation.email}
        )
    return redirect("review:team-campaign", slug=campaign.slug)


@require_POST
@reviewer_required
def change_role(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    campaign = _owned_or_404(request, slug)
    member = get_object_or_404(
        CampaignMember.objects.select_related("user"), campaign=campaign, pk=pk
    )
    form = RoleForm(request.POST, prefix=f"m{member.pk}")
    if not form.is_valid():
        messages.error(request, _("Choose the role: owner or reviewer."))
        return redirect("review:team-campaign", slug=campaign.slug)
    try:
        invitations.member_role_change(
            member=member, role=form.cleaned_data["role"], by=request.user
        )
    except invitations.TeamError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _("%(name)s is now %(role)s.")
            % {
                "name": member.user.get_full_name() or member.user.get_username(),
                "role": str(TeamRole(form.cleaned_data["role"]).label).lower(),
            },
        )
    return redirect("review:team-campaign", slug=campaign.slug)


@require_http_methods(["GET", "HEAD", "POST"])
@reviewer_required
def remove(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """A GET asks "remove them?"; the POST of that page removes."""
    campaign = _owned_or_404(request, slug)
    member = get_object_or_404(
        CampaignMember.objects.select_related("user"), campaign=campaign, pk=pk
    )
    name = member.user.get_full_name() or member.user.get_username()
    if request.method == "POST":
        try:
            invitations.member_remove(member=member, by=request.user)
        except invitations.TeamError as error:
            messages.error(request, str(error))
            return redirect("review:team-campaign", slug=campaign.slug)
        messages.success(request, _("%(name)s is no longer on the team.") % {"name": name})
        if not team.may_review_any(request.user):
            # They removed themselves from their last team.
            return redirect("review:queue")
        if not team.may_own(request.user, campaign):
            return redirect("review:queue")
        return redirect("review:team-campaign", slug=campaign.slug)
    context = {
        **base_context(request),
        "campaign": campaign,
        "member": member,
        "name": name,
        "is_you": member.user_id == request.user.pk,
        "team_url": reverse("review:team-campaign", args=[campaign.slug]),
    }
    return render(request, "review/team_remove.html", context)


# Joining -------------------------------------------------------------------------------------


def _qr_svg(url: str) -> str:
    image = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    out = io.BytesIO()
    image.save(out)
    svg = out.getvalue().decode()
    # The XML declaration is not for inline SVG.
    return svg[svg.index("<svg") :]


def _join_context(request: HttpRequest, invitation: CampaignInvitation, token: str) -> dict:
    context = {
        **base_context(request),
        # Not theirs yet: the workspace's sections would only refuse them.
        "sections": [],
        "invitation": invitation,
        "campaign": invitation.campaign,
        "inviter": wording.person(invitation.invited_by) if invitation.invited_by_id else "",
        "two_factor": settings.REQUIRE_STAFF_2FA,
    }
    if settings.REQUIRE_STAFF_2FA:
        device = invitations.enrolment_device(token, invitation.email)
        context["qr_svg"] = mark_safe(_qr_svg(device.config_url))  # noqa: S308 - made here
        context["totp_key"] = b32encode(device.bin_key).decode()
    return context


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def join(request: HttpRequest, token: str) -> HttpResponse:
    """The invitation's link: a GET shows the form, the POST joins (once)."""
    try:
        invitation = invitations.invitation_for_token(token)
    except invitations.InvitationGone as error:
        context = {**base_context(request), "sections": [], "problem": str(error)}
        return render(request, "review/team_join_gone.html", context, status=410)
    if not request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME):
        # The page speaks the invitation's language, until the person chooses another.
        translation.activate(invitation.language)
        request.LANGUAGE_CODE = invitation.language
    context = _join_context(request, invitation, token)
    user = request.user if request.user.is_authenticated else None
    existing = invitations.account_for(invitation.email)
    if user is not None or existing is not None:
        # An account joins only once signed in with it (its password, its second factor).
        mine = user is not None and existing is not None and user.pk == existing.pk
        if request.method == "POST" and mine:
            try:
                invitations.invitation_accept(token=token, user=user)
            except invitations.TeamError as error:
                messages.error(request, str(error))
                return redirect("review:join", token=token)
            messages.success(
                request,
                _("Welcome to the team of “%(campaign)s”.")
                % {"campaign": invitation.campaign.title},
            )
            return redirect("review:queue")
        context.update(
            {
                "signed_in_as": wording.person(user) if user is not None else "",
                "mine": mine,
                "account_exists": existing is not None,
                "sign_in_url": f"{reverse('admin:login')}?next={request.path}",
            }
        )
        return render(request, "review/team_join_account.html", context)
    with_code = settings.REQUIRE_STAFF_2FA
    if request.method == "POST":
        form = JoinForm(request.POST, invitation=invitation, with_code=with_code)
        if form.is_valid():
            try:
                member = invitations.invitation_accept(
                    token=token,
                    name=form.cleaned_data["name"],
                    password=form.cleaned_data["password"],
                    totp_code=form.cleaned_data.get("code", ""),
                )
            except invitations.InvitationGone as error:
                context = {**base_context(request), "sections": [], "problem": str(error)}
                return render(request, "review/team_join_gone.html", context, status=410)
            except invitations.TeamError as error:
                form.add_error("code" if with_code else None, str(error))
            else:
                login(request, member.user, backend="django.contrib.auth.backends.ModelBackend")
                if with_code:
                    device = TOTPDevice.objects.devices_for_user(member.user).first()
                    otp_login(request, device)
                messages.success(
                    request,
                    _("Welcome to the team of “%(campaign)s”.")
                    % {"campaign": invitation.campaign.title},
                )
                return redirect("review:queue")
        status = 400
    else:
        form = JoinForm(invitation=invitation, with_code=with_code)
        status = 200
    return render(request, "review/team_join.html", {**context, "form": form}, status=status)
