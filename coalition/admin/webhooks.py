"""Webhooks, for superusers only: the endpoints partners gave us, and every delivery with its
attempts, to see what a partner's system got and to send one again (``docs/webhooks.md``)."""

from __future__ import annotations

import json

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import OuterRef, QuerySet, Subquery
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
)
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.text import Truncator, capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from coalition.admin.mixins import ReadOnlyAdminMixin
from coalition.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookEvent
from coalition.webhooks import delivery as sending
from coalition.webhooks.services import webhook_delivery_resend, webhook_endpoint_secret_rotate

# Why an address is refused (``coalition.webhooks.delivery.url_problem``), in words.
URL_PROBLEMS = {
    "not a valid URL": _("Enter a valid address, such as https://hooks.partner.example/coalition."),
    "insecure": _(
        "Use an address starting with https://: deliveries carry your allies' data, and plain "
        "HTTP would let anyone on the way read or change them."
    ),
    "credentials": _(
        "Leave the user name and password out of the address: every delivery is signed with "
        "the endpoint's secret, which is how the receiver knows it comes from this site."
    ),
    "private address": _(
        "This is a loopback, private or link-local address, which deliveries never go to. "
        "Use the endpoint's public address."
    ),
    "private name": _(
        "This name is not under a public domain (such as localhost or .internal), so "
        "deliveries never go to it. Use the endpoint's public address."
    ),
}


class SuperuserOnlyMixin:
    """Pages only superusers see: endpoints may carry contact data to other systems."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return self.has_module_permission(request)


class WebhookEndpointForm(forms.ModelForm):
    url = forms.URLField(
        label=_("URL"),
        max_length=500,
        assume_scheme="https",
        widget=forms.URLInput(attrs={"class": "vURLField"}),
        help_text=_(
            "Where the partner's system receives deliveries, such as "
            "https://hooks.partner.example/coalition."
        ),
    )
    events = forms.MultipleChoiceField(
        label=capfirst(_("events")),
        choices=WebhookEvent.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one event.")},
        help_text=_(
            "Confirmed: the contact confirmed the application. Approved, rejected, withdrawn, "
            "removed: its status changed. Updated: an approved ally's public details changed. "
            "Campaign updated: the campaign's own details changed."
        ),
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["url", "description", "events", "campaign", "include_contact", "active"]

    def clean_url(self) -> str:
        url = self.cleaned_data["url"].strip()
        problem = sending.url_problem(url)
        if problem:
            raise forms.ValidationError(URL_PROBLEMS[problem], code="webhook_url")
        return url

    def clean_events(self) -> list[str]:
        # In the order of WebhookEvent, whatever order the boxes came in.
        chosen = set(self.cleaned_data["events"])
        return [event.value for event in WebhookEvent if event.value in chosen]


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(SuperuserOnlyMixin, admin.ModelAdmin):
    form = WebhookEndpointForm
    list_display = ["url", "description", "event_list", "campaign", "include_contact", "active"]
    list_filter = ["active", "include_contact", "campaign"]
    search_fields = ["url", "description"]
    actions = ["rotate_secret"]
    readonly_fields = ["signing_secret", "created_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self.has_module_permission(request)

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return self.has_module_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return self.has_module_permission(request)

    def get_fields(self, request: HttpRequest, obj=None) -> list[str]:
        fields = ["url", "description", "events", "campaign", "include_contact", "active"]
        # The secret is made when the endpoint is saved: shown from then on.
        return [*fields, "signing_secret", "created_at"] if obj is not None else fields

    @admin.display(description=_("events"))
    def event_list(self, obj: WebhookEndpoint) -> str:
        return ", ".join(obj.events)

    @admin.display(description=_("signing secret"))
    def signing_secret(self, obj: WebhookEndpoint) -> str:
        return format_html(
            '<code class="webhook-secret">{}</code><div class="help">{}</div>',
            obj.secret,
            _(
                "Give it to the partner's developers only: their system checks every delivery's "
                "signature with it (see the webhooks documentation). If it may have leaked, "
                "rotate it: the old secret stops working at once."
            ),
        )

    @admin.action(permissions=["change"], description=_("Rotate the signing secret"))
    def rotate_secret(self, request: HttpRequest, queryset: QuerySet[WebhookEndpoint]) -> None:
        endpoints = list(queryset)
        for endpoint in endpoints:
            webhook_endpoint_secret_rotate(endpoint=endpoint)
            self.log_change(request, endpoint, "Rotated the signing secret")
        self.message_user(
            request,
            ngettext(
                "%(count)d endpoint has a new signing secret; give it to its receiver.",
                "%(count)d endpoints have a new signing secret; give each to its receiver.",
                len(endpoints),
            )
            % {"count": len(endpoints)},
            messages.SUCCESS,
        )


class WebhookAttemptInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = WebhookAttempt
    extra = 0
    can_delete = False
    fields = ["at", "succeeded", "response_code", "duration_ms", "error"]
    readonly_fields = fields


class DeliveryStatusFilter(admin.SimpleListFilter):
    title = _("status")
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [
            ("delivered", _("Delivered")),
            ("retrying", _("Retrying")),
            ("failed", _("Given up")),
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "delivered":
            return queryset.filter(delivered_at__isnull=False)
        if value == "failed":
            return queryset.filter(failed_at__isnull=False)
        if value == "retrying":
            return queryset.filter(delivered_at__isnull=True, failed_at__isnull=True)
        return queryset


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(SuperuserOnlyMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "event",
        "endpoint",
        "status",
        "attempts",
        "last_response_code",
        "created_at",
        "next_attempt_at",
    ]
    list_filter = [DeliveryStatusFilter, "event", "endpoint"]
    search_fields = ["message_id", "payload"]
    date_hierarchy = "created_at"
    list_select_related = ["endpoint"]
    inlines = [WebhookAttemptInline]
    actions = ["send_again"]
    fields = [
        "event",
        "endpoint",
        "message_id",
        "status",
        "created_at",
        "delivered_at",
        "failed_at",
        "attempts",
        "next_attempt_at",
        "last_error",
        "body",
    ]
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[WebhookDelivery]:
        latest = WebhookAttempt.objects.filter(delivery=OuterRef("pk")).order_by("-at", "-pk")
        return (
            super()
            .get_queryset(request)
            .annotate(last_code=Subquery(latest.values("response_code")[:1]))
        )

    @admin.display(description=_("status"))
    def status(self, obj: WebhookDelivery) -> str:
        if obj.delivered_at:
            return _("Delivered")
        if obj.failed_at:
            return _("Given up")
        if obj.attempts:
            return _("Retrying")
        return _("Waiting")

    @admin.display(description=_("last response code"))
    def last_response_code(self, obj: WebhookDelivery) -> str:
        code = getattr(obj, "last_code", None)
        return "—" if code is None else str(code)

    @admin.display(description=_("body"))
    def body(self, obj: WebhookDelivery) -> str:
        try:
            text = json.dumps(json.loads(obj.payload), ensure_ascii=False, indent=2)
        except ValueError:
            text = obj.payload
        return format_html("<pre>{}</pre>", Truncator(text).chars(20000))

    @admin.action(permissions=["view"], description=_("Send again"))
    def send_again(self, request: HttpRequest, queryset: QuerySet[WebhookDelivery]) -> None:
        deliveries = list(queryset)
        for delivery in deliveries:
            webhook_delivery_resend(delivery=delivery)
        self.message_user(
            request,
            ngettext(
                "%(count)d delivery will be sent again in a moment.",
                "%(count)d deliveries will be sent again in a moment.",
                len(deliveries),
            )
            % {"count": len(deliveries)},
            messages.SUCCESS,
        )

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            context["resend_url"] = reverse("admin:coalition_webhookdelivery_resend", args=[obj.pk])
        return super().render_change_form(request, context, add, change, form_url, obj)

    def get_urls(self):
        resend = path(
            "<int:pk>/resend/",
            self.admin_site.admin_view(self.resend_view),
            name="coalition_webhookdelivery_resend",
        )
        return [resend, *super().get_urls()]

    def resend_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """POST only: the delivery is sent again now, with the same webhook-id."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        delivery = self.get_object(request, str(pk))
        if delivery is None:
            raise Http404
        if not self.has_view_permission(request, delivery):
            raise PermissionDenied
        webhook_delivery_resend(delivery=delivery)
        self.message_user(
            request, _("The delivery will be sent again in a moment."), messages.SUCCESS
        )
        return HttpResponseRedirect(
            reverse("admin:coalition_webhookdelivery_change", args=[delivery.pk])
        )
