"""An organization's public details, version by version (``OrganizationVersion``).

Before approval a change applies at once. Once approved, what the public sees changes only with
a reviewer's say: an organization's own change waits as a proposal, and a reviewer's edit is a
version they approved themselves, recorded in the audit trail.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from coalition.campaigns import team
from coalition.endorsements.mail import queue_applicant_mail
from coalition.endorsements.models import statement_fields
from coalition.errors import ApplicationError, EndorsementTransitionError
from coalition.images import logos
from coalition.jobs.services import mail_queue
from coalition.ledger.services import log_organization_sync
from coalition.models import (
    Campaign,
    Endorsement,
    EndorsementEvent,
    Organization,
    OrganizationVersion,
    Sector,
    email_domain_matches,
    normalize_website,
)
from coalition.publishing.freshness import public_change
from coalition.reviewing import reviewers
from coalition.webhooks.services import webhook_ally_update_record

Status = Endorsement.Status
State = OrganizationVersion.State

# Why a reviewer may not edit the website or statement yet (the admin's form says it too).
PROPOSAL_WAITING = _(
    "“%(name)s” has proposed changes to its website, logo or statement waiting for review. "
    "Approve or decline them on its endorsement's page first."
)


def organization_update(
    *,
    endorsement: Endorsement,
    website: str,
    statement: str,
    logo: logos.ProcessedLogo | None = None,
    statement_translations: dict[str, str] | None = None,
) -> OrganizationVersion:
    """Change the public details of the organization behind ``endorsement``.

    Before approval the change applies at once. For an approved organization it waits as a
    proposal for a reviewer, and the approved version stays public until then.
    """
    stored_logo = logos.logo_store(logo) if logo is not None else None
    with transaction.atomic():
        endorsement = (
            Endorsement.objects.select_for_update(of=("self",))
            .select_related("organization", "campaign")
            .get(pk=endorsement.pk)
        )
        if endorsement.status not in Endorsement.LIVE_STATUSES:
            raise ApplicationError(
                _("This application is %(status)s and can no longer be changed.")
                % {"status": endorsement.get_status_display()}
            )
        organization = endorsement.organization
        waiting = organization.versions.filter(state=State.PROPOSED).first()
        version = OrganizationVersion(
            organization=organization,
            website=website,
            # A new proposal replaces the waiting one: it keeps that one's logo unless a new
            # file came, so that correcting the statement does not drop the logo just sent.
            logo=stored_logo or (waiting.logo if waiting else None) or organization.logo,
            **statement_fields(statement, statement_translations),
        )
        if endorsement.status == Status.APPROVED:
            organization.versions.filter(state=State.PROPOSED).update(state=State.SUPERSEDED)
            version.state = State.PROPOSED
            version.save()
            mail_queue(
                template="changes-to-review",
                to=reviewers.review_notice_addresses(campaign=endorsement.campaign),
                context=reviewers.review_notice_context(endorsement),
                language=settings.LANGUAGE_CODE,
            )
            return version
        _make_current(version)
        Endorsement.objects.filter(pk=endorsement.pk).update(
            domain_verified=email_domain_matches(
                endorsement.contact_email, version.organization.domain
            )
        )
    return version


def _make_current(version: OrganizationVersion) -> None:
    """Save ``version`` as the current one and copy it onto the organization row."""
    organization = version.organization
    organization.versions.filter(state=State.CURRENT).update(state=State.PREVIOUS)
    version.state = State.CURRENT
    version.save()
    organization.website = version.website
    organization.logo = version.logo
    for code, _name in settings.LANGUAGES:
        setattr(organization, f"statement_{code}", getattr(version, f"statement_{code}"))
    organization.save()
    # Each campaign it is approved on logs the public fields that changed (none: no entry).
    log_organization_sync(organization=organization, at=timezone.now())


def _recheck_domains(organization: Organization) -> None:
    """The website, and so the domain, may have changed: does each contact's address match?"""
    for endorsement in organization.endorsements.only("pk", "contact_email"):
        Endorsement.objects.filter(pk=endorsement.pk).update(
            domain_verified=email_domain_matches(endorsement.contact_email, organization.domain)
        )


def _refuse_outsider(organization: Organization, by: AbstractBaseUser) -> None:
    """Changes show on the wall of every campaign the organization is approved on: only someone
    who reviews each of them may decide (``coalition.campaigns.team``)."""
    if team.reviews_every_campaign(by):
        return
    endorsements = organization.endorsements.all()
    if endorsements.filter(status=Status.APPROVED).exists():
        endorsements = endorsements.filter(status=Status.APPROVED)
    outside = (
        Campaign.objects.filter(endorsements__in=endorsements)
        .exclude(pk__in=team.campaigns_reviewed_by(by).values("pk"))
        .first()
    )
    if outside is not None:
        raise EndorsementTransitionError(
            _(
                "These changes would show on the wall of “%(campaign)s”, which you do not "
                "review, so you cannot decide on them."
            )
            % {"campaign": outside.title}
        )


def organization_version_approve(
    *, version: OrganizationVersion, by: AbstractBaseUser
) -> OrganizationVersion:
    """A reviewer accepts proposed changes: they replace the public version at once."""
    with transaction.atomic():
        version = (
            OrganizationVersion.objects.select_for_update(of=("self",))
            .select_related("organization")
            .get(pk=version.pk)
        )
        _refuse_outsider(version.organization, by)
        if version.state != State.PROPOSED:
            raise EndorsementTransitionError(_("These changes are no longer waiting for review."))
        version.decided_at = timezone.now()
        version.decided_by = by
        _make_current(version)
        _recheck_domains(version.organization)
        approved = list(
            Endorsement.objects.filter(organization=version.organization, status=Status.APPROVED)
        )
        if approved:
            public_change(allies=approved)
            # Partners' systems get the ally as it now stands (sent once this commits).
            webhook_ally_update_record(endorsements=approved)
        _mail_changes_approved(version.organization)
    return version


def _mail_changes_approved(organization: Organization) -> None:
    """Tell the organization that what it sent is public now."""
    for endorsement in organization.endorsements.filter(status=Status.APPROVED):
        queue_applicant_mail(template="changes-approved", endorsement=endorsement)


def organization_version_decline(
    *, version: OrganizationVersion, by: AbstractBaseUser
) -> OrganizationVersion:
    """A reviewer turns proposed changes down; the public version stays as it is."""
    with transaction.atomic():
        version = OrganizationVersion.objects.select_for_update().get(pk=version.pk)
        _refuse_outsider(version.organization, by)
        if version.state != State.PROPOSED:
            raise EndorsementTransitionError(_("These changes are no longer waiting for review."))
        version.state = State.DECLINED
        version.decided_at = timezone.now()
        version.decided_by = by
        version.save(update_fields=["state", "decided_at", "decided_by"])
    return version


def _edit_note(changes: dict[str, tuple[object, object]]) -> str:
    # Name, country and sector have no versions: the note is where their old values are kept.
    # Untranslated, like the admin's own history.
    parts = []
    for field, (old, new) in changes.items():
        if field == "website" or field.startswith("statement_"):
            parts.append(field)
        else:
            parts.append(f"{field}: “{old}” → “{new}”")
    return "Public details edited in the admin: " + "; ".join(parts) + "."


def organization_edit_by_reviewer(
    *,
    organization: Organization,
    by: AbstractBaseUser,
    name: str,
    website: str,
    country: str,
    sector: Sector,
    registry_id: str,
    statements: dict[str, str],
) -> Organization:
    """Staff edit an organization's details (the admin's organization page).

    ``statements`` holds the statement per language code; a language left out keeps its text.
    Once the organization is approved, a change to what the public sees is applied as a change
    this reviewer approved: a new current version decided by them, and an event in the audit
    trail of each approved endorsement. Before approval the details simply change, as through
    the organization's own link. Raises ``ApplicationError`` while changes the organization
    proposed to its website or statement wait for review: deciding on those comes first.
    """
    codes = [code for code, _name in settings.LANGUAGES]
    with transaction.atomic():
        organization = (
            Organization.objects.select_for_update(of=("self",))
            .select_related("sector__parent")
            .get(pk=organization.pk)
        )
        new_values: dict[str, object] = {
            "name": name.strip(),
            "country": str(country),
            "sector": sector,
            "website": normalize_website(website),
            **{
                f"statement_{code}": (
                    statements.get(code, getattr(organization, f"statement_{code}")) or ""
                ).strip()
                for code in codes
            },
        }
        # A language without a statement is stored empty or null alike: both fall back.
        old_values: dict[str, object] = {
            "name": organization.name,
            "country": organization.country.code,
            "sector": organization.sector,
            "website": organization.website,
            **{
                f"statement_{code}": getattr(organization, f"statement_{code}") or ""
                for code in codes
            },
        }
        changes = {
            field: (old_values[field], new)
            for field, new in new_values.items()
            if old_values[field] != new
        }
        versioned = {"website", *(f"statement_{code}" for code in codes)} & changes.keys()
        if not changes and registry_id == organization.registry_id:
            return organization
        if versioned and organization.versions.filter(state=State.PROPOSED).exists():
            raise ApplicationError(PROPOSAL_WAITING % {"name": organization.name})
        approved = list(
            Endorsement.objects.select_for_update()
            .filter(organization=organization, status=Status.APPROVED)
            .order_by("pk")
        )
        organization.name = new_values["name"]
        organization.country = new_values["country"]
        organization.sector = sector
        organization.registry_id = registry_id
        if versioned or (approved and changes):
            version = OrganizationVersion(
                organization=organization,
                website=new_values["website"],
                logo=organization.logo,
                decided_at=timezone.now(),
                decided_by=by,
                **{f"statement_{code}": new_values[f"statement_{code}"] for code in codes},
            )
            _make_current(version)
        else:
            organization.save()
        if "website" in changes:
            _recheck_domains(organization)
        if approved and changes:
            note = _edit_note(changes)
            for endorsement in approved:
                EndorsementEvent.objects.create(
                    endorsement=endorsement,
                    actor=EndorsementEvent.Actor.REVIEWER,
                    user=by,
                    from_status=Status.APPROVED,
                    to_status=Status.APPROVED,
                    note=note,
                )
        if approved:
            public_change(allies=approved)
        if approved and changes:
            # The registry ID alone is not public: nothing for partners' systems then.
            webhook_ally_update_record(endorsements=approved)
    return organization
