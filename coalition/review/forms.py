"""The workspace's forms: the queue's filters, and the decisions."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from coalition.domain_proof import OTHER_VERIFICATION_LABEL
from coalition.i18n import collation_key
from coalition.models import Campaign, Organization, RejectionReason, Sector

NOTE_MAX_LENGTH = 2000
SEARCH_MAX_LENGTH = 100


class QueueFilterForm(forms.Form):
    """Campaign, country, sector and a search, as GET parameters of every tab."""

    campaign = forms.ModelChoiceField(
        label=_("Campaign"),
        queryset=Campaign.objects.all(),
        to_field_name="slug",
        required=False,
        empty_label=_("All campaigns"),
    )
    country = forms.ChoiceField(label=_("Country"), required=False)
    sector = forms.ModelChoiceField(
        label=_("Sector"),
        queryset=Sector.objects.select_related("parent"),
        to_field_name="slug",
        required=False,
        empty_label=_("All sectors"),
        help_text=_("A sector includes its sub-sectors."),
    )
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=SEARCH_MAX_LENGTH,
        help_text=_("Name, domain, contact email or public ID."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The countries of the organizations that applied, not all 250 of them.
        present = (
            Organization.objects.filter(endorsements__isnull=False)
            .order_by()
            .values_list("country", flat=True)
            .distinct()
        )
        names = [(code, str(countries.name(code))) for code in present if code]
        names.sort(key=lambda choice: collation_key(choice[1]))
        self.fields["country"].choices = [("", _("All countries")), *names]


class NoteField(forms.CharField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", _("Note"))
        kwargs.setdefault("help_text", _("Kept in the audit trail; never shown to the applicant."))
        super().__init__(
            required=False,
            max_length=NOTE_MAX_LENGTH,
            widget=forms.Textarea(attrs={"rows": 2}),
            **kwargs,
        )


class ApproveForm(forms.Form):
    note = NoteField()
    acknowledge = forms.BooleanField(
        label=_("I checked that this is a different organization."),
        required=False,
    )

    verified_otherwise = forms.BooleanField(label=OTHER_VERIFICATION_LABEL, required=False)

    def __init__(
        self,
        *args: Any,
        needs_acknowledgement: bool = False,
        needs_other_verification: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.needs_other_verification = needs_other_verification
        if needs_other_verification:
            # No proof of the domain: the reviewer says how they verified it, in the note.
            self.fields["verified_otherwise"].required = True
            self.fields["verified_otherwise"].error_messages["required"] = _(
                "The organization has not proved its domain: tick that you verified it another "
                "way, and say how in the note."
            )
            self.fields["note"].required = True
            self.fields["note"].error_messages["required"] = _(
                "Say how you verified this organization."
            )
        else:
            del self.fields["verified_otherwise"]
        # One line beside the button: the decision bar stays short.
        self.fields["note"].widget.attrs["rows"] = 1
        self.needs_acknowledgement = needs_acknowledgement
        if needs_acknowledgement:
            self.fields["acknowledge"].required = True
            self.fields["acknowledge"].error_messages["required"] = _(
                "The evidence flags a lookalike or another organization on the same domain or "
                "registry ID: tick that you checked it is a different organization."
            )
        else:
            del self.fields["acknowledge"]


class ReasonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: RejectionReason) -> str:
        return Truncator(obj.text).chars(90)


class RejectForm(forms.Form):
    reason = ReasonChoiceField(
        label=_("Reason"),
        queryset=RejectionReason.objects.filter(active=True),
        empty_label=_("Choose a reason"),
        help_text=_("The applicant is sent the reason's text."),
        error_messages={"required": _("Choose a reason for the rejection.")},
    )
    note = NoteField()


class RemoveForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("Yes, take this organization off the wall."),
        error_messages={"required": _("Tick the confirmation to remove the organization.")},
    )
    note = NoteField()


class TakeOverForm(forms.Form):
    holder = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
