"""The workspace's forms: the queue's filters, and the decisions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from coalition.models import Campaign, Organization, RejectionReason, Sector
from coalition.proofs.services import OTHER_VERIFICATION_LABEL
from coalition.reviewing.approval import LOOKALIKE, SHARED, UNPROVEN, Reason
from coalition.web.languages import collation_key

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
    """Approve, with the ticks and the note that the approval needs acknowledged
    (``coalition.reviewing.approval``: the reasons the service would refuse it for)."""

    note = NoteField()
    acknowledge = forms.BooleanField(
        label=_("I checked that this is a different organization."),
        required=False,
    )

    verified_otherwise = forms.BooleanField(label=OTHER_VERIFICATION_LABEL, required=False)

    def __init__(self, *args: Any, reasons: Sequence[Reason] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        kinds = {reason.kind for reason in reasons}
        self.needs_other_verification = UNPROVEN in kinds
        self.needs_acknowledgement = bool(kinds & {LOOKALIKE, SHARED})
        if self.needs_other_verification:
            # No proof of the domain: the reviewer says how they verified it, in the note.
            self.fields["verified_otherwise"].required = True
            self.fields["verified_otherwise"].error_messages["required"] = _(
                "The organization has not proved its domain: tick that you verified it another "
                "way, and say how in the note."
            )
        else:
            del self.fields["verified_otherwise"]
        if reasons:
            self.fields["note"].required = True
            self.fields["note"].error_messages["required"] = (
                _("Say how you verified this organization.")
                if self.needs_other_verification
                else _("Say what you checked.")
            )
        # One line beside the button: the decision bar stays short.
        self.fields["note"].widget.attrs["rows"] = 1
        if self.needs_acknowledgement:
            self.fields["acknowledge"].required = True
            self.fields["acknowledge"].error_messages["required"] = _(
                "The evidence flags a lookalike or another organization on the same domain or "
                "registry ID: tick that you checked it is a different organization."
            )
        else:
            del self.fields["acknowledge"]

    @property
    def acknowledged(self) -> bool:
        """Whether the reviewer ticked what the approval needs acknowledged (once valid)."""
        data = self.cleaned_data
        return bool(data.get("acknowledge") or data.get("verified_otherwise"))


class ReasonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: RejectionReason) -> str:
        # Whole, as the applicant will read it: the reviewer chooses the words sent.
        return obj.text


class RejectForm(forms.Form):
    reason = ReasonChoiceField(
        label=_("Reason"),
        queryset=RejectionReason.objects.filter(active=True),
        # Radio buttons rather than a menu, whose options can neither wrap nor show a long
        # reason whole.
        widget=forms.RadioSelect,
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
