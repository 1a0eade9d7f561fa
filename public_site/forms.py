from __future__ import annotations

import time

from django import forms
from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils.functional import lazy
from django.utils.translation import get_language, get_language_info
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from coalition.endorsements import characters
from coalition.images import logos
from coalition.models import (
    STATEMENT_MAX_LENGTH,
    Organization,
    OrganizationVersion,
    Sector,
    email_domain_matches,
    normalize_website,
    registrable_domain,
)

_STARTED_SALT = "coalition.application-started"


def lazy_format(message: str, **params: object) -> str:
    """``message % params``, translated when shown rather than when this module is imported
    (formatting a lazy string at class level would freeze it in the language of the moment)."""
    return lazy(lambda: str(message) % params, str)()


# A sentence-long label (a checkbox's) ends in a full stop; the summary's separator follows it.
_CLOSING_PUNCTUATION = ".:;!?…"


def summary_label(label: object) -> str:
    """A field's label as the start of an error-summary line ("Label: message"): without the
    closing punctuation of a sentence-long label, which the separator would double."""
    return str(label or "").strip().rstrip(_CLOSING_PUNCTUATION).rstrip()


def error_summary(form: forms.Form) -> list[dict[str, str]]:
    """Every error of ``form`` for the summary at the top of the page, in the fields' order:
    ``message``, and for a visible field the ``label`` and ``id`` to link to. Errors of hidden
    fields have no field to point at, so they come as bare messages like the form's own."""
    items = [{"message": str(error)} for error in form.non_field_errors()]
    for field in form:
        for error in field.errors:
            if field.is_hidden:
                items.append({"message": str(error)})
            else:
                items.append(
                    {
                        "id": field.id_for_label,
                        "label": summary_label(field.label),
                        "message": str(error),
                    }
                )
    return items


def _refuse_control_characters(value: str) -> str:
    # Control characters other than ordinary white space have no place in a name or a
    # statement, and a NUL byte is refused by PostgreSQL: stopped here with a message. Joiners
    # and selectors inside an emoji sequence ("👨‍👩‍👧") are text; elsewhere (bidi overrides, a
    # joiner between letters) they could reorder or hide what people read.
    if characters.invisible_characters(value):
        raise ValidationError(
            _("Remove the invisible control characters from this field."), code="control"
        )
    return value


class CleanCharField(forms.CharField):
    def to_python(self, value):
        value = super().to_python(value)
        return _refuse_control_characters(value) if value else value


class SingleLineField(CleanCharField):
    def to_python(self, value):
        value = super().to_python(value)
        if value and ("\n" in value or "\r" in value):
            raise ValidationError(_("Keep this on one line."), code="newline")
        return value


class WebsiteField(forms.CharField):
    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return value
        _refuse_control_characters(value)
        return normalize_website(value)


class SectorChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Sector) -> str:
        return f"— {obj.name}" if obj.parent_id else obj.name


def sector_queryset():
    """Sectors with each parent followed by its children, for a select list."""
    return Sector.objects.annotate(
        group_order=Coalesce("parent__order", "order"), group_id=Coalesce("parent_id", "id")
    ).order_by("group_order", "group_id", F("parent_id").asc(nulls_first=True), "order", "name")


def _started_token() -> str:
    return signing.dumps(time.time(), salt=_STARTED_SALT)


_LOGO_TOO_LARGE = _("The logo is larger than %(limit)s MB. Please upload a smaller file.")
_LOGO_TYPES = "image/png,image/jpeg,image/webp,image/gif,image/svg+xml,.svg"


class LogoInput(forms.ClearableFileInput):
    """The logo's file input: the types it takes, and what static/coalition/logo-field.js needs to
    refuse a file that is too large before it is sent and to preview the chosen one. Without
    JavaScript the server says the same after the upload."""

    def __init__(self, attrs: dict | None = None) -> None:
        super().__init__(
            {
                "accept": _LOGO_TYPES,
                "data-max-bytes": str(logos.MAX_BYTES),
                "data-too-large": lazy_format(
                    _LOGO_TOO_LARGE, limit=logos.MAX_BYTES // (1024 * 1024)
                ),
                "data-preview-alt": _("Preview of the logo you chose"),
                **(attrs or {}),
            }
        )


class LogoField(forms.FileField):
    """Decodes and re-encodes the upload while validating; ``cleaned_data`` holds the result."""

    widget = LogoInput

    def clean(self, data, initial=None):
        upload = super().clean(data, initial)
        if not upload:
            return upload
        if upload.size is not None and upload.size > logos.MAX_BYTES:
            # Checked before reading: a huge upload is refused without being opened.
            raise ValidationError(
                _LOGO_TOO_LARGE,
                code="too_large",
                params={"limit": logos.MAX_BYTES // (1024 * 1024)},
            )
        return logos.process(logos.validate_and_open(upload))


class OrganizationDetailsForm(forms.Form):
    """The fields an organization can change later through its manage link."""

    website = WebsiteField(
        label=_("Website"),
        max_length=300,
        help_text=_("The organization's own site, for example https://example.org."),
        widget=forms.URLInput(attrs={"autocomplete": "url", "inputmode": "url"}),
    )
    statement = CleanCharField(
        label=_("Public statement"),
        required=False,
        max_length=STATEMENT_MAX_LENGTH,
        help_text=lazy_format(
            _(
                "Why your organization stands with this campaign, in %(max)s characters at "
                "most. It is shown publicly, on the campaign's page and with your logo."
            ),
            max=STATEMENT_MAX_LENGTH,
        ),
        widget=forms.Textarea(
            attrs={"rows": 3, "maxlength": STATEMENT_MAX_LENGTH, "data-counter": "true"}
        ),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # The statement above is in the page's language; it may also be given in the others.
        current = (get_language() or settings.LANGUAGE_CODE).split("-")[0]
        self.translation_codes = [code for code, _name in settings.LANGUAGES if code != current]
        for code in self.translation_codes:
            self.fields[f"statement_{code}"] = CleanCharField(
                label=_("Public statement in %(language)s")
                % {"language": get_language_info(code)["name_translated"]},
                required=False,
                max_length=STATEMENT_MAX_LENGTH,
                widget=forms.Textarea(
                    attrs={"rows": 2, "maxlength": STATEMENT_MAX_LENGTH, "lang": code}
                ),
            )

    def statement_translations(self) -> dict[str, str]:
        return {
            code: self.cleaned_data.get(f"statement_{code}", "") for code in self.translation_codes
        }

    def statement_translation_fields(self) -> list[forms.BoundField]:
        return [self[f"statement_{code}"] for code in self.translation_codes]

    @property
    def statement_translations_open(self) -> bool:
        return any(field.value() or field.errors for field in self.statement_translation_fields())


class ApplicationForm(OrganizationDetailsForm):
    name = SingleLineField(
        label=_("Organization name"),
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
    )
    country = forms.ChoiceField(label=_("Country"))
    sector = SectorChoiceField(label=_("Sector"), queryset=Sector.objects.none())
    logo = LogoField(
        label=_("Logo"),
        help_text=lazy_format(
            _(
                "PNG, JPEG, WebP, GIF or SVG, up to 5 MB, at least %(side)s pixels on each side. "
                "It is shown only once a reviewer has approved your application."
            ),
            side=logos.MIN_SIDE,
        ),
    )
    registry_id = SingleLineField(
        label=_("Registry ID"),
        required=False,
        max_length=64,
        help_text=_(
            "Your EU Transparency Register number, or a national charity or company number."
        ),
    )
    contact_name = SingleLineField(
        label=_("Contact name"),
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    contact_role = SingleLineField(
        label=_("Contact role"),
        max_length=200,
        help_text=_("Your position in the organization."),
        widget=forms.TextInput(attrs={"autocomplete": "organization-title"}),
    )
    contact_email = forms.EmailField(
        label=_("Contact email"),
        max_length=254,
        help_text=_(
            "We send a confirmation link here. It is never shown publicly. An address at your "
            "organization's own domain speeds up the review."
        ),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    preferred_language = forms.ChoiceField(
        label=_("Preferred language"),
        choices=settings.LANGUAGES,
        help_text=_("The language of the emails we send you."),
    )
    consent_authority = forms.BooleanField(
        label=_("I am authorized to sign on to this campaign on behalf of the organization."),
        error_messages={
            "required": _("Please confirm that you may sign on behalf of the organization.")
        },
    )
    consent_publish = forms.BooleanField(
        label=_(
            "The organization agrees to its name and logo being shown publicly as a supporter "
            "of this campaign."
        ),
        error_messages={
            "required": _("Please agree to your organization's name and logo being shown.")
        },
    )
    # Optional and unticked: updates from the campaign's owners (coalition.updates). Its words
    # are stored with the answer, as the consents' are.
    updates_opt_in = forms.BooleanField(
        label=_("Send us updates about this campaign"), required=False
    )
    # Left empty by people (it is hidden from them); bots that fill every field give themselves
    # away. The name is chosen to look tempting.
    homepage = forms.CharField(
        required=False,
        label=_("Leave this field empty"),
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )
    started = forms.CharField(widget=forms.HiddenInput, required=False)

    field_order = [
        "name",
        "website",
        "country",
        "sector",
        "logo",
        "registry_id",
        "statement",
        "contact_name",
        "contact_role",
        "contact_email",
        "preferred_language",
        "consent_authority",
        "consent_publish",
        "updates_opt_in",
        "homepage",
        "started",
    ]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["country"].choices = [("", _("Choose a country")), *countries]
        self.fields["sector"].queryset = sector_queryset()
        self.fields["sector"].empty_label = _("Choose a sector")
        self.fields["preferred_language"].initial = (get_language() or "en").split("-")[0]
        self.fields["started"].initial = _started_token()
        if self.is_bound:
            # A page that comes back with errors starts the clock again only if it was missing.
            self.data = self.data.copy()
            if not self.data.get("started"):
                self.data["started"] = _started_token()

    def clean_homepage(self) -> str:
        if self.cleaned_data.get("homepage"):
            raise ValidationError(
                _("We could not accept this submission. Please try again."), code="honeypot"
            )
        return ""

    def clean_started(self) -> float | None:
        token = self.cleaned_data.get("started", "")
        try:
            started = signing.loads(token, salt=_STARTED_SALT, max_age=7 * 24 * 3600)
        except (signing.BadSignature, TypeError, ValueError):
            return None
        return float(started)

    def clean(self) -> dict:
        cleaned = super().clean()
        started = cleaned.get("started")
        elapsed = time.time() - started if started is not None else None
        if elapsed is None or elapsed < settings.APPLICATION_MIN_FILL_SECONDS:
            # Too fast for a person: most likely a script. A person just submits again.
            self.data["started"] = _started_token()
            raise ValidationError(
                _("That was quicker than we expected. Please check the form and submit it again."),
                code="too_fast",
            )
        return cleaned

    @property
    def domain_verified(self) -> bool:
        website = self.cleaned_data.get("website")
        email = self.cleaned_data.get("contact_email")
        return bool(website and email and email_domain_matches(email, registrable_domain(website)))


class ManageForm(OrganizationDetailsForm):
    logo = LogoField(
        label=_("Logo"),
        required=False,
        help_text=_("Upload a new logo only if you want to replace the current one."),
    )

    field_order = ["website", "logo", "statement"]

    @classmethod
    def for_organization(
        cls,
        organization: Organization,
        data=None,
        files=None,
        proposed: OrganizationVersion | None = None,
    ) -> ManageForm:
        """The form filled with what the applicant last sent: the proposal waiting for review
        when there is one (saving again must not silently put the approved text back)."""
        source = proposed or organization
        current = (get_language() or settings.LANGUAGE_CODE).split("-")[0]
        initial = {
            "website": source.website,
            "statement": getattr(source, f"statement_{current}", "") or "",
        }
        for code, _name in settings.LANGUAGES:
            if code != current:
                initial[f"statement_{code}"] = getattr(source, f"statement_{code}") or ""
        return cls(data=data, files=files, initial=initial)


class ResendForm(forms.Form):
    contact_email = forms.EmailField(
        label=_("Contact email"),
        max_length=254,
        help_text=_("The address you gave when you applied."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )


class UpdatesChoiceForm(forms.Form):
    """The manage page's box: whether the contact receives the campaign's updates."""

    updates_opt_in = forms.BooleanField(
        label=_("Send us updates about this campaign"), required=False
    )


class WithdrawForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("Yes, withdraw our organization from this campaign."),
        error_messages={"required": _("Tick the box to confirm the withdrawal.")},
    )
