"""List filters more than one admin page uses."""

from __future__ import annotations

from django.contrib import admin
from django.db import models
from django.utils.translation import gettext_lazy as _

from coalition.models import Sector


class PresentCountryFilter(admin.ChoicesFieldListFilter):
    """The countries that occur among the rows, not all 250 of them."""

    def __init__(self, field, request, params, model, model_admin, field_path):
        super().__init__(field, request, params, model, model_admin, field_path)
        present = set(
            model._default_manager.order_by().values_list(field_path, flat=True).distinct()
        )
        self.present_choices = sorted(
            ((code, name) for code, name in field.flatchoices if code in present),
            key=lambda choice: str(choice[1]),
        )

    def get_facet_counts(self, pk_attname, filtered_qs):
        return {
            f"{i}__c": models.Count(pk_attname, filter=models.Q((self.lookup_kwarg, code)))
            for i, (code, _name) in enumerate(self.present_choices)
        }

    def choices(self, changelist):
        facet_counts = self.get_facet_queryset(changelist) if changelist.add_facets else None
        yield {
            "selected": self.lookup_val is None,
            "query_string": changelist.get_query_string(remove=[self.lookup_kwarg]),
            "display": _("All"),
        }
        for i, (code, name) in enumerate(self.present_choices):
            yield {
                "selected": self.lookup_val is not None and code in self.lookup_val,
                "query_string": changelist.get_query_string({self.lookup_kwarg: code}),
                "display": f"{name} ({facet_counts[f'{i}__c']})" if facet_counts else name,
            }


class SectorListFilter(admin.RelatedFieldListFilter):
    """Sectors are shown with their parent; fetch the parents in the same query."""

    def field_choices(self, field, request, model_admin):
        return [(sector.pk, str(sector)) for sector in Sector.objects.select_related("parent")]
