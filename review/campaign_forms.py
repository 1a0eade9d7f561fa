"""The owner's campaign editor (``review.campaign``): the campaign's texts in each language, its
branding and hero image, its dates in its own time zone, and its timeline.

Images come only through their pipelines (``coalition.images.logos``,
``coalition.images.heroes``), which check and re-encode an upload before anything is stored, as
in the Django admin's form. Dates are entered as the campaign's people read them: a wall-clock
time in the campaign's zone (``Campaign.time_zone``), stored in UTC.
"""

from __future__ import annotations

import zoneinfo
from datetime import datetime
from datetime import timezone as dt_timezone
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.formats import date_format
from django.utils.text import capfirst, format_lazy
from django.utils.translation import gettext_lazy as _

from coalition.images import heroes, logos
from coalition.models import Campaign, Milestone, normalize_website

# Python 3.10 has no datetime.UTC.
UTC = dt_timezone.utc

TEXT_FIELDS = ("title", "lead", "addressee", "statement", "organizer_name")
LANGUAGE_CODES = tuple(code for code, _name in settings.LANGUAGES)
DEFAULT_LANGUAGE = settings.MODELTRANSLATION_DEFAULT_LANGUAGE
# What a datetime-local input sends (with or without seconds), and what a person may type where
# the browser shows a plain text box.
DATETIME_FORMATS = ("%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M")
DATETIME_INPUT_FORMAT = "%Y-%m-%dT%H:%M"
DATE_FIELDS = ("publish_at", "closes_at")


def zone_choices() -> list[tuple[str, str]]:
    """Every IANA zone this Python knows, by name (the legacy aliases too: they still work)."""
    return [(name, name) for name in sorted(zoneinfo.available_timezones())]


def translated_name(field: str, code: str) -> str:
    """``title_fr``: the column of ``field`` in language ``code``."""
    return f"{field}_{code}"


def _language_name(code: str) -> Any:
    return dict(settings.LANGUAGES)[code]


def _label(label: Any, code: str) -> Any:
    # "Title (French)": every language's field names its language, so that a label, the error
    # summary and a screen reader's list of fields each say which one is meant.
    return format_lazy("{} ({})", label, _language_name(code))


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format=DATETIME_INPUT_FORMAT, **kwargs)


class LocalDateTimeField(forms.DateTimeField):
    """A wall-clock date and time without a zone: the form places it in the campaign's zone
    (``CampaignForm.clean``), because which zone depends on the form's other field."""

    widget = DateTimeLocalInput

    def to_python(self, value: Any) -> datetime | None:
        if value in self.empty_values:
            return None
        if isinstance(value, datetime):
            return value.replace(tzinfo=None)
        text = str(value).strip()
        for pattern in DATETIME_FORMATS:
            try:
                return datetime.strptime(text, pattern)
            except ValueError:
                continue
        raise ValidationError(
            _("Enter a date and a time, such as 2027-03-01 09:00."), code="invalid"
        )

    def prepare_value(self, value: Any) -> Any:
        # Initial values come already as the campaign's wall-clock time; no conversion to the
        # site's zone (which Django's own field would do).
        return value


def wall_clock(moment: datetime | None, zone: zoneinfo.ZoneInfo) -> datetime | None:
    """``moment`` (aware, UTC) as the time a clock in ``zone`` shows, without a zone."""
    if moment is None:
        return None
    return moment.astimezone(zone).replace(tzinfo=None)


def _when(naive: datetime) -> str:
    return date_format(naive, "DATETIME_FORMAT")


def in_zone(naive: datetime, zone: zoneinfo.ZoneInfo) -> datetime:
    """The moment a clock in ``zone`` shows ``naive``, in UTC. A time the clocks skip (the hour
    that goes missing in spring) or show twice (in autumn) is refused with a message: there is no
    one moment to store."""
    earlier = naive.replace(tzinfo=zone, fold=0)
    later = naive.replace(tzinfo=zone, fold=1)
    if earlier.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != naive:
        raise ValidationError(
            _(
                "%(time)s does not exist in %(zone)s: the clocks go forward at that time. Choose "
                "a time outside the skipped hour."
            ),
            code="nonexistent",
            params={"time": _when(naive), "zone": zone.key},
        )
    if earlier.utcoffset() != later.utcoffset():
        raise ValidationError(
            _(
                "%(time)s happens twice in %(zone)s: the clocks go back at that time. Choose a "
                "time outside the repeated hour."
            ),
            code="ambiguous",
            params={"time": _when(naive), "zone": zone.key},
        )
    return earlier.astimezone(UTC)


class CampaignForm(forms.ModelForm):
    """Everything an owner edits on their campaign, but its timeline (``MilestoneFormSet``)."""

    organizer_website = forms.URLField(
        label=_("Organizer’s website"), max_length=300, required=False, assume_scheme="https"
    )
    organizer_logo_upload = forms.FileField(
        label=_("New organizer’s logo"),
        required=False,
        help_text=_("PNG, JPEG, WebP, GIF or SVG, up to 5 MB; re-encoded like the allies’ logos."),
    )
    remove_organizer_logo = forms.BooleanField(label=_("Remove the logo"), required=False)
    hero_image_upload = forms.FileField(
        label=_("New hero image"),
        required=False,
        help_text=_(
            "An optional banner above the title, decorative (it has no text alternative): "
            "JPEG, PNG or WebP, at least 960 × 300 pixels, up to 10 MB."
        ),
    )
    remove_hero_image = forms.BooleanField(label=_("Remove the hero image"), required=False)
    goal = forms.IntegerField(
        label=_("Goal"),
        required=False,
        min_value=1,
        max_value=1_000_000,
        help_text=_("How many organizations the campaign hopes to gather. Empty: no goal shown."),
    )
    time_zone = forms.ChoiceField(
        label=_("Time zone"),
        help_text=_("The dates below are entered and shown in this zone, such as Europe/Brussels."),
        error_messages={
            "invalid_choice": _("Choose a time zone from the list, such as Europe/Brussels.")
        },
    )
    publish_at = LocalDateTimeField(
        label=_("Goes public"),
        required=False,
        help_text=_(
            "Before this moment every public page of the campaign answers “not found”; the team "
            "can still review it, and organizations apply through the private link. Empty: "
            "public now."
        ),
    )
    closes_at = LocalDateTimeField(
        label=_("Applications close"),
        required=False,
        help_text=_("After this moment the form refuses new applications. Empty: never."),
    )

    class Meta:
        model = Campaign
        fields = [
            *(translated_name(field, code) for code in LANGUAGE_CODES for field in TEXT_FIELDS),
            "organizer_website",
            "accent_color",
            "accepts_applications",
            "goal",
            "time_zone",
        ]
        widgets = {
            "accent_color": forms.TextInput(attrs={"placeholder": "#0b6e4f", "size": 8}),
            **{
                translated_name("lead", code): forms.Textarea(attrs={"rows": 2})
                for code in LANGUAGE_CODES
            },
            **{
                translated_name("statement", code): forms.Textarea(attrs={"rows": 6})
                for code in LANGUAGE_CODES
            },
        }

    def __init__(self, *args: Any, instance: Campaign, **kwargs: Any) -> None:
        zone = instance.zone
        kwargs.setdefault("initial", {})
        kwargs["initial"].update(
            {name: wall_clock(getattr(instance, name), zone) for name in DATE_FIELDS}
        )
        super().__init__(*args, instance=instance, **kwargs)
        self.fields["time_zone"].choices = zone_choices()
        for code in LANGUAGE_CODES:
            for field in TEXT_FIELDS:
                form_field = self.fields[translated_name(field, code)]
                form_field.label = _label(
                    capfirst(Campaign._meta.get_field(field).verbose_name), code
                )
                # English is the text every other language falls back to: the fields the
                # campaign cannot do without are required in English only.
                form_field.required = code == DEFAULT_LANGUAGE and not (
                    Campaign._meta.get_field(field).blank
                )
                if code != DEFAULT_LANGUAGE:
                    # Said once, beside the English field.
                    form_field.help_text = ""
                # The text is in that language, whatever the page's: screen readers say it so.
                form_field.widget.attrs["lang"] = code
        self.fields["accent_color"].label = _("Accent colour")
        for name in DATE_FIELDS:
            # The zone named beside the field is part of what it asks.
            self.fields[name].widget.attrs["aria-describedby"] = (
                f"{self[name].auto_id}_zone {self[name].auto_id}_helptext"
            )

    # The groups the template shows, each in its own fieldset.
    def language_groups(self) -> list[dict[str, Any]]:
        return [
            {
                "code": code,
                "name": _language_name(code),
                "required": code == DEFAULT_LANGUAGE,
                "fields": [self[translated_name(field, code)] for field in TEXT_FIELDS],
            }
            for code in LANGUAGE_CODES
        ]

    @property
    def zone_name(self) -> str:
        """The zone the dates are read in: the one chosen in this form, else the campaign's."""
        chosen = self.data.get(self.add_prefix("time_zone")) if self.is_bound else None
        return chosen if chosen in zoneinfo.available_timezones() else self.instance.zone.key

    def clean_organizer_website(self) -> str:
        website = self.cleaned_data.get("organizer_website") or ""
        return normalize_website(website) if website else ""

    def clean_organizer_logo_upload(self) -> logos.ProcessedLogo | None:
        upload = self.cleaned_data.get("organizer_logo_upload")
        return logos.process(logos.validate_and_open(upload)) if upload else None

    def clean_hero_image_upload(self) -> heroes.ProcessedHero | None:
        upload = self.cleaned_data.get("hero_image_upload")
        return heroes.process(heroes.validate_and_open(upload)) if upload else None

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        for code in LANGUAGE_CODES:
            for field in TEXT_FIELDS:
                name = translated_name(field, code)
                if isinstance(data.get(name), str):
                    # Browsers send a text area's line breaks as CRLF: stored as they were
                    # written (LF), a statement that was not touched is not changed.
                    data[name] = data[name].replace("\r\n", "\n")
        name = data.get("time_zone")
        if not name:
            # No valid zone: the dates cannot be placed; the zone's own error says why.
            for field in DATE_FIELDS:
                data.pop(field, None)
            return data
        zone = zoneinfo.ZoneInfo(name)
        for field in DATE_FIELDS:
            naive = data.get(field)
            if naive is None:
                continue
            try:
                data[field] = in_zone(naive, zone)
            except ValidationError as error:
                self.add_error(field, error)
        publish_at, closes_at = data.get("publish_at"), data.get("closes_at")
        if publish_at and closes_at and closes_at <= publish_at:
            self.add_error(
                "closes_at",
                ValidationError(
                    _(
                        "Applications would close before the campaign goes public. Choose a "
                        "closing time after %(publish)s, or empty one of the two."
                    ),
                    code="closes_before_publish",
                    params={"publish": _when(wall_clock(publish_at, zone))},
                ),
            )
        return data

    def save(self, commit: bool = False) -> Campaign:
        # The service saves (``coalition.services.campaign_save``): here only the instance is
        # filled in, with the dates this form placed in UTC.
        campaign = super().save(commit=False)
        for field in DATE_FIELDS:
            setattr(campaign, field, self.cleaned_data.get(field))
        return campaign

    @property
    def chosen_names(self) -> list[str]:
        """The upload fields given a file in this submission: a browser does not keep a chosen
        file when the page comes back with an error, so the owner is asked to choose it again."""
        return [
            name
            for name in ("organizer_logo_upload", "hero_image_upload")
            if self.files.get(self.add_prefix(name))
        ]

    @property
    def chosen_files(self) -> list[str]:
        return [str(self.fields[name].label) for name in self.chosen_names]


def _formfield(field: models.Field, **kwargs: Any) -> forms.Field | None:
    # Addresses typed without a scheme are read as https (Django 6's default, asked for now).
    if isinstance(field, models.URLField):
        kwargs["assume_scheme"] = "https"
    return field.formfield(**kwargs)


class MilestoneForm(forms.ModelForm):
    """One dated step of the timeline, its title and link in each language."""

    date = forms.DateField(
        label=_("Date"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d"],
        error_messages={
            "required": _("Enter the milestone’s date."),
            "invalid": _("Enter a date, such as 2027-03-01."),
        },
    )

    class Meta:
        model = Milestone
        formfield_callback = _formfield
        fields = [
            "date",
            *(translated_name("title", code) for code in LANGUAGE_CODES),
            *(translated_name("link", code) for code in LANGUAGE_CODES),
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for code in LANGUAGE_CODES:
            title = self.fields[translated_name("title", code)]
            title.label = _label(_("Title"), code)
            title.required = code == DEFAULT_LANGUAGE
            if title.required:
                title.error_messages["required"] = _("Enter the milestone’s title in English.")
            link = self.fields[translated_name("link", code)]
            link.label = _label(_("Link"), code)
            link.help_text = (
                _("Optional: a page about this step, such as the committee’s.")
                if code == DEFAULT_LANGUAGE
                else ""
            )
            link.error_messages["invalid"] = _("Enter a full web address, such as https://…")
            link.widget.attrs["lang"] = code
            title.widget.attrs["lang"] = code

    def clean_date(self):
        date = self.cleaned_data["date"]
        if not 1900 <= date.year <= 2200:
            raise ValidationError(_("Enter a date between the years 1900 and 2200."))
        return date

    def language_rows(self) -> list[dict[str, Any]]:
        return [
            {
                "name": _language_name(code),
                "title": self[translated_name("title", code)],
                "link": self[translated_name("link", code)],
            }
            for code in LANGUAGE_CODES
        ]


class BaseMilestoneFormSet(forms.BaseModelFormSet):
    def add_fields(self, form: forms.Form, index: int | None) -> None:
        super().add_fields(form, index)
        if "DELETE" in form.fields:
            form.fields["DELETE"].label = _("Delete this milestone")


MilestoneFormSet = forms.modelformset_factory(
    Milestone,
    form=MilestoneForm,
    formset=BaseMilestoneFormSet,
    extra=1,
    can_delete=True,
    max_num=100,
    validate_max=True,
)


def milestone_formset(campaign: Campaign, data=None) -> forms.BaseModelFormSet:
    return MilestoneFormSet(data, queryset=campaign.milestones.all(), prefix="milestones")


def error_summary(form: forms.BaseForm, formset: forms.BaseModelFormSet) -> list[dict[str, str]]:
    """Every error of the editor for the summary at the top of the page, in the page's order:
    ``message``, and for a visible field the ``label`` and ``id`` to link to. A milestone's field
    is named with its date (or "New milestone"), as its fieldset is."""
    items: list[dict[str, str]] = [{"message": str(error)} for error in form.non_field_errors()]
    for field in form:
        items += [
            {"id": field.id_for_label, "label": str(field.label), "message": str(error)}
            for error in field.errors
        ]
    items += [{"message": str(error)} for error in formset.non_form_errors()]
    for index, milestone in enumerate(formset.forms):
        legend = milestone_legend(milestone, index)
        items += [{"message": str(error)} for error in milestone.non_field_errors()]
        for field in milestone:
            if field.is_hidden:
                items += [{"message": str(error)} for error in field.errors]
                continue
            items += [
                {
                    "id": field.id_for_label,
                    "label": f"{legend}, {field.label}",
                    "message": str(error),
                }
                for error in field.errors
            ]
    return items


def milestone_legend(form: MilestoneForm, index: int) -> str:
    """A milestone's fieldset legend: its saved date and title, or "New milestone"."""
    if form.instance.pk is None:
        return str(_("New milestone"))
    return str(_("%(date)s: %(title)s")) % {
        "date": date_format(form.instance.date, "DATE_FORMAT"),
        "title": form.instance.title,
    }
