"""The error summary of a form (``public_site.forms.error_summary``) for the templates."""

from __future__ import annotations

from django import forms, template

from public_site.forms import error_summary

register = template.Library()


@register.filter(name="error_summary")
def error_summary_filter(form: forms.Form) -> list[dict[str, str]]:
    return error_summary(form)
