from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps
from urllib.parse import unquote, urlencode

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.cache import patch_cache_control
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_http_methods, require_safe
from django_countries import countries

from coalition import (
    caching,
    emails,
    embeds,
    feeds,
    i18n,
    images,
    links,
    ratelimit,
    selectors,
    services,
    tokens,
)
from coalition.forms import (
    WALL_MAX_COLUMNS,
    WALL_ORDERS,
    WALL_THEMES,
    ApplicationForm,
    EmbedBuilderForm,
    ManageForm,
    ResendForm,
    WallDisplayForm,
    WallFilterForm,
    WithdrawForm,
)
from coalition.models import Campaign, Endorsement, OrganizationVersion, Sector


def _campaign_or_404(slug: str | None) -> Campaign:
    try:
        return selectors.campaign_get(slug=slug)
    except Campaign.DoesNotExist:
        raise Http404 from None


# The public wall, its embeds and its images -----------------------------------------------------
#
# Every public rendering goes through ``caching.cached_public_response`` under a variant that
# names everything it depends on besides the allies themselves: the path, the validated
# parameters, the language and the campaign's own text. Parameters are validated before the
# cache is asked, so bad input gets its message (and a 400) and is never stored.

WALL_PAGE_SIZE = 200
EMBED_POLICY = caching.CachePolicy(max_age=60, s_maxage=300)
SCRIPT_POLICY = caching.CachePolicy(max_age=3600, s_maxage=3600, stale_while_revalidate=86400)

# What a parameter means when it is absent; canonical URLs leave these out.
_DEFAULTS: dict[str, object] = {
    "country": [],
    "sector": [],
    "q": "",
    "order": "name",
    "page": 1,
    "theme": "light",
    "lang": "",
    "columns": 0,
    "names": True,
    "count": True,
    "height": 600,
}
_PARAMETER_ORDER = tuple(_DEFAULTS)


def wall_query(cleaned: dict[str, object], **changes: object) -> str:
    """The canonical query string for validated parameters (defaults left out), or ``""``."""
    values = {**cleaned, **changes}
    params: list[tuple[str, str]] = []
    for name in _PARAMETER_ORDER:
        if name not in values or values[name] == _DEFAULTS[name]:
            continue
        value = values[name]
        if isinstance(value, bool):
            params.append((name, "1" if value else "0"))
        elif isinstance(value, list | tuple):
            params.append((name, ",".join(value)))
        else:
            params.append((name, str(value)))
    return f"?{urlencode(params)}" if params else ""


def _filters(cleaned: dict) -> selectors.AllyFilters:
    return selectors.AllyFilters(
        countries=tuple(cleaned["country"]),
        sectors=tuple(cleaned["sector"]),
        q=cleaned["q"],
        order=cleaned["order"],
    )


def _variant(request: HttpRequest, campaign: Campaign, cleaned: dict, *extra: str) -> str:
    """Everything a rendering depends on besides the allies (see ``cached_public_response``)."""
    campaign_text = hashlib.sha256(
        "\0".join(
            [campaign.slug, campaign.title, campaign.statement, str(campaign.accepts_applications)]
        ).encode()
    ).hexdigest()[:16]
    parameters = json.dumps(cleaned, sort_keys=True, default=str)
    return "|".join(
        [request.path, get_language() or "", str(campaign.pk), campaign_text, parameters, *extra]
    )


@dataclass
class FacetOption:
    value: str
    label: str
    count: int
    selected: bool
    children: list[FacetOption] = field(default_factory=list)


def _country_options(facets: selectors.Facets, selected: list[str]) -> list[FacetOption]:
    codes = set(facets.countries) | set(selected)
    options = [
        FacetOption(
            value=code,
            label=str(countries.name(code)) or code,
            count=facets.countries.get(code, 0),
            selected=code in selected,
        )
        for code in codes
    ]
    return sorted(options, key=lambda option: i18n.collation_key(option.label))


def _sector_options(
    sectors: list[Sector], facets: selectors.Facets, selected: list[str]
) -> list[FacetOption]:
    """Top-level sectors with their children; a parent counts its own allies and its children's.

    Only sectors that have allies are offered, and those already chosen.
    """
    parents: dict[int, FacetOption] = {}
    for sector in sectors:
        if sector.parent_id is None:
            parents[sector.pk] = FacetOption(
                value=sector.slug,
                label=sector.name,
                count=facets.sectors.get(sector.pk, 0),
                selected=sector.slug in selected,
            )
    for sector in sectors:
        parent = parents.get(sector.parent_id) if sector.parent_id else None
        if parent is None:
            continue
        count = facets.sectors.get(sector.pk, 0)
        parent.count += count
        if count or sector.slug in selected:
            parent.children.append(
                FacetOption(
                    value=sector.slug,
                    label=sector.name,
                    count=count,
                    selected=sector.slug in selected,
                )
            )
    return [
        option for option in parents.values() if option.count or option.selected or option.children
    ]


def _sign_on_url(campaign: Campaign, slug: str | None) -> str:
    return reverse("apply-default") if slug is None else reverse("apply", args=[campaign.slug])


def _pages(page, cleaned: dict, base: str = "") -> list[dict[str, object]]:
    if page.paginator.num_pages < 2:
        return []
    links = []
    for number in page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1):
        if number == page.paginator.ELLIPSIS:
            links.append({"ellipsis": True})
        else:
            links.append(
                {
                    "number": number,
                    "url": base + (wall_query(cleaned, page=number) or "?"),
                    "current": number == page.number,
                }
            )
    return links


class WallPageNotFound(Exception):
    """A page past the wall's last: answered with a 404 that links to the last page."""

    def __init__(self, *, page: int, last: int) -> None:
        super().__init__(page, last)
        self.page = page
        self.last = last


def _page_not_found(
    request: HttpRequest, campaign: Campaign, cleaned: dict, error: WallPageNotFound
) -> HttpResponse:
    context = {
        "campaign": campaign,
        "page_number": error.page,
        "last_page": error.last,
        "last_page_url": request.path + wall_query(cleaned, page=error.last),
    }
    return render(request, "coalition/wall_page_not_found.html", context, status=404)


def _wall_context(
    *,
    campaign: Campaign,
    cleaned: dict,
    sectors: list[Sector],
    page_size: int = WALL_PAGE_SIZE,
) -> dict[str, object]:
    """Everything the wall shows, in a fixed number of queries whatever the number of allies:
    one for the counts by country and sector, one for the filtered count, one for the page."""
    facets = selectors.ally_facets(campaign=campaign)
    allies = selectors.ally_list(campaign=campaign, filters=_filters(cleaned))
    paginator = Paginator(allies, page_size)
    # Not ``get_page``, which would show the last page under a URL naming another one.
    if cleaned["page"] > paginator.num_pages:  # an empty wall still has its page 1
        raise WallPageNotFound(page=cleaned["page"], last=paginator.num_pages)
    page = paginator.page(cleaned["page"])
    filtered = bool(cleaned["country"] or cleaned["sector"] or cleaned["q"])
    by_slug = {sector.slug: sector for sector in sectors}
    active = [
        {
            "label": str(countries.name(code)) or code,
            "url": wall_query(cleaned, country=[c for c in cleaned["country"] if c != code], page=1)
            or "?",
        }
        for code in cleaned["country"]
    ] + [
        {
            "label": by_slug[slug].name if slug in by_slug else slug,
            "url": wall_query(cleaned, sector=[s for s in cleaned["sector"] if s != slug], page=1)
            or "?",
        }
        for slug in cleaned["sector"]
    ]
    return {
        "campaign": campaign,
        "ally_count": facets.total,
        "shown_count": page.paginator.count,
        "filtered": filtered,
        "page": page,
        "pages": _pages(page, cleaned),
        "items": images.wall_items(page.object_list),
        "country_options": _country_options(facets, cleaned["country"]),
        "sector_options": _sector_options(sectors, facets, cleaned["sector"]),
        "active_filters": active,
        "cleaned": cleaned,
        "orders": WALL_ORDERS,
    }


def _validated(
    request: HttpRequest, form_class: type[WallFilterForm]
) -> tuple[WallFilterForm, list[Sector]]:
    sectors = selectors.sectors_all()
    form = form_class(request.GET, sector_slugs=[sector.slug for sector in sectors])
    form.is_valid()
    return form, sectors


def _bad_parameters_context(
    campaign: Campaign, form: WallFilterForm, sectors: list[Sector]
) -> dict[str, object]:
    facets = selectors.ally_facets(campaign=campaign)
    return {
        "campaign": campaign,
        "ally_count": facets.total,
        "problems": form.problems(),
        "country_options": _country_options(facets, []),
        "sector_options": _sector_options(sectors, facets, []),
        "cleaned": {**_DEFAULTS, "page": 1},
        "orders": WALL_ORDERS,
    }


@require_safe
def campaign_detail(request: HttpRequest, slug: str | None = None) -> HttpResponse:
    """The campaign, its statement and its wall of allies, filtered by the GET parameters."""
    campaign = _campaign_or_404(slug)
    form, sectors = _validated(request, WallFilterForm)
    extra = {"sign_on_url": _sign_on_url(campaign, slug), "slug": slug}
    if not form.is_valid():
        context = {**_bad_parameters_context(campaign, form, sectors), **extra}
        return render(request, "coalition/campaign_detail.html", context, status=400)
    cleaned = form.cleaned_data

    def build() -> HttpResponse:
        try:
            wall = _wall_context(campaign=campaign, cleaned=cleaned, sectors=sectors)
        except WallPageNotFound as error:
            return _page_not_found(request, campaign, cleaned, error)
        context = {**wall, **extra}
        return render(request, "coalition/campaign_detail.html", context)

    return caching.cached_public_response(
        request,
        namespace="wall",
        variant=_variant(request, campaign, cleaned),
        build=build,
        vary=("Accept-Language",),
    )


@require_safe
@xframe_options_exempt
def embed(request: HttpRequest, slug: str | None = None) -> HttpResponse:
    """The wall alone, for an iframe on another site; the only pages that may be framed.

    ``xframe_options_exempt`` is what opens the CSP's ``frame-ancestors`` too (to
    ``EMBED_FRAME_ANCESTORS``; see ``coalition.middleware``)."""
    campaign = _campaign_or_404(slug)
    form, sectors = _validated(request, WallDisplayForm)
    if not form.is_valid():
        context = {"campaign": campaign, "problems": form.problems(), "options": _DEFAULTS}
        return render(request, "embed/wall.html", context, status=400)
    cleaned = form.cleaned_data
    language = cleaned["lang"] or get_language()

    def build() -> HttpResponse:
        with translation.override(language):
            try:
                context = _wall_context(campaign=campaign, cleaned=cleaned, sectors=sectors)
            except WallPageNotFound as error:
                return _page_not_found(request, campaign, cleaned, error)
            context.update(
                options=cleaned,
                full_url=reverse("campaign-detail", args=[campaign.slug]),
                sign_on_url=_sign_on_url(campaign, campaign.slug),
                language=language,
            )
            response = render(request, "embed/wall.html", context)
            response["Content-Language"] = language
            return response

    return caching.cached_public_response(
        request,
        namespace="embed",
        variant=_variant(request, campaign, cleaned, language),
        build=build,
        policy=EMBED_POLICY,
        vary=("Accept-Language",),
    )


def _read_static(name: str) -> bytes:
    path = finders.find(name)
    if not path:
        raise Http404
    with open(path, "rb") as file:
        return file.read()


@require_safe
def embed_script(request: HttpRequest) -> HttpResponse:
    """``/embed.js``: turns ``<div data-coalition-wall …>`` on any site into a wall iframe."""
    content = _read_static("coalition/embed.js")

    def build() -> HttpResponse:
        return HttpResponse(content, content_type="text/javascript; charset=utf-8")

    response = caching.cached_public_response(
        request,
        namespace="embed-js",
        variant=hashlib.sha256(content).hexdigest(),
        build=build,
        policy=SCRIPT_POLICY,
    )
    # Other sites load it with <script src>, with or without ``crossorigin``.
    response["Access-Control-Allow-Origin"] = "*"
    response["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response


@require_safe
def embed_builder(request: HttpRequest, slug: str) -> HttpResponse:
    """Pick filters and looks, see the embed, copy the snippet; works without JavaScript."""
    campaign = _campaign_or_404(slug)
    form, sectors = _validated(request, EmbedBuilderForm)
    valid = form.is_valid()
    cleaned = form.cleaned_data if valid else {**_DEFAULTS}
    site = links.site_url()
    embed_path = reverse("embed", args=[campaign.slug])
    embed_query = wall_query({**cleaned, "height": _DEFAULTS["height"]})
    script_attributes = [("data-campaign", campaign.slug)]
    for name in ("country", "sector", "q", "order", "theme", "lang", "columns", "names", "count"):
        value = wall_query({name: cleaned[name]})
        if value:
            script_attributes.append((f"data-{name}", unquote(value.split("=", 1)[1])))

    def build(status: int = 200) -> HttpResponse:
        facets = selectors.ally_facets(campaign=campaign)
        context = {
            "campaign": campaign,
            "form": form,
            "problems": [] if valid else form.problems(),
            "cleaned": cleaned,
            "ally_count": facets.total,
            "country_options": _country_options(facets, cleaned["country"]),
            "sector_options": _sector_options(sectors, facets, cleaned["sector"]),
            "orders": WALL_ORDERS,
            "themes": WALL_THEMES,
            "languages": settings.LANGUAGES,
            "max_columns": range(1, WALL_MAX_COLUMNS + 1),
            "site_url": site,
            "embed_path": embed_path,
            "preview_url": embed_path + embed_query,
            "iframe_snippet": embeds.iframe_snippet(
                campaign, query=embed_query, height=cleaned["height"]
            ),
            "script_snippet": render_to_string(
                "embed/snippet_script.txt",
                {"attributes": script_attributes, "src": site + reverse("embed-js")},
            ).strip(),
        }
        return render(request, "coalition/embed_builder.html", context, status=status)

    if not valid:
        return build(status=400)
    return caching.cached_public_response(
        request,
        namespace="embed-builder",
        variant=_variant(request, campaign, cleaned, site),
        build=build,
        vary=("Accept-Language",),
    )


def _wall_image(request: HttpRequest, slug: str, *, kind: str) -> HttpResponse:
    campaign = _campaign_or_404(slug)
    form, _sectors = _validated(request, WallDisplayForm)
    if not form.is_valid():
        return HttpResponse(
            "\n".join(form.problems()), status=400, content_type="text/plain; charset=utf-8"
        )
    cleaned = form.cleaned_data
    language = cleaned["lang"] or get_language()

    def build() -> HttpResponse:
        with translation.override(language):
            allies = selectors.ally_list(campaign=campaign, filters=_filters(cleaned))
            total = allies.count()
            options = {
                "title": campaign.title,
                "items": images.wall_items(allies[: images.IMAGE_MAX_ALLIES]),
                "total": total,
                "theme": cleaned["theme"],
                "columns": cleaned["columns"],
                "names": cleaned["names"],
                "count": cleaned["count"],
            }
            if kind == "svg":
                response = HttpResponse(
                    images.wall_svg(**options), content_type="image/svg+xml; charset=utf-8"
                )
            else:
                response = HttpResponse(images.wall_png(**options), content_type="image/png")
            response["Content-Language"] = language
        return response

    response = caching.cached_public_response(
        request,
        namespace=f"wall-{kind}",
        variant=_variant(request, campaign, cleaned, language),
        build=build,
        vary=("Accept-Language",),
    )
    # Images are put in other sites' pages and READMEs: they may be loaded from anywhere, and a
    # stray script in an SVG opened on its own would run in nothing.
    response["Cross-Origin-Resource-Policy"] = "cross-origin"
    response["Access-Control-Allow-Origin"] = "*"
    if kind == "svg":
        response["Content-Security-Policy"] = "default-src 'none'; img-src data:"
    return response


@require_safe
def wall_svg(request: HttpRequest, slug: str) -> HttpResponse:
    return _wall_image(request, slug, kind="svg")


@require_safe
def wall_png(request: HttpRequest, slug: str) -> HttpResponse:
    return _wall_image(request, slug, kind="png")


@require_safe
def allies_feed(request: HttpRequest, slug: str) -> HttpResponse:
    """Atom feed of the newest approvals."""
    campaign = _campaign_or_404(slug)
    return caching.cached_public_response(
        request,
        namespace="feed",
        variant=_variant(request, campaign, {}),
        build=lambda: feeds.AlliesFeed()(request, slug=slug),
        vary=("Accept-Language",),
    )


def _rate_limited(request: HttpRequest, setting: str, scope: str) -> int | None:
    """Count a hit against ``settings.<setting>``; the window in seconds when it is over."""
    limit, window = getattr(settings, setting)
    return (
        window if ratelimit.over_limit(request, scope=scope, limit=limit, window=window) else None
    )


@require_http_methods(["GET", "HEAD", "POST"])
def apply(request: HttpRequest, slug: str | None = None) -> HttpResponse:
    campaign = _campaign_or_404(slug)
    if not campaign.accepts_applications:
        status = 410 if request.method == "POST" else 200
        return render(request, "coalition/apply_closed.html", {"campaign": campaign}, status=status)
    status = 200
    retry_after = None
    if request.method == "POST":
        form = ApplicationForm(request.POST, request.FILES)
        # Two limits: attempts (generous, so that correcting mistakes never locks anyone out)
        # and accepted applications. A refused submission is shown again as it was typed.
        retry_after = _rate_limited(request, "APPLY_ATTEMPT_RATE_LIMIT", "apply-attempt")
        if retry_after is None and form.is_valid():
            retry_after = _rate_limited(request, "APPLY_RATE_LIMIT", "apply")
        if retry_after is not None:
            form.add_error(None, ratelimit.refusal_message(retry_after))
            status = 429
        elif form.is_valid():
            data = form.cleaned_data
            try:
                endorsement, email = services.endorsement_apply(
                    campaign=campaign,
                    name=data["name"],
                    website=data["website"],
                    country=data["country"],
                    sector=data["sector"],
                    logo=data["logo"],
                    registry_id=data["registry_id"],
                    statement=data["statement"],
                    statement_translations=form.statement_translations(),
                    contact_name=data["contact_name"],
                    contact_role=data["contact_role"],
                    contact_email=data["contact_email"],
                    preferred_language=data["preferred_language"],
                    consent_authority=data["consent_authority"],
                    consent_publish=data["consent_publish"],
                )
            except services.ApplicationError as error:
                form.add_error(None, str(error))
            else:
                return render(
                    request,
                    "coalition/apply_done.html",
                    {
                        "campaign": campaign,
                        "endorsement": endorsement,
                        "mail_delayed": email is None or emails.outbox_delayed(),
                    },
                )
        if status == 200:
            status = 400
    else:
        form = ApplicationForm()
    response = render(
        request, "coalition/apply.html", {"campaign": campaign, "form": form}, status=status
    )
    if retry_after is not None:
        response["Retry-After"] = str(retry_after)
    return response


def _link_problem(request: HttpRequest, *, expired: bool) -> HttpResponse:
    return render(request, "coalition/link_invalid.html", {"expired": expired}, status=400)


def private_page(response: HttpResponse) -> HttpResponse:
    """Mark a page whose URL carries a private token: kept out of shared caches, and its URL
    sent in no ``Referer`` to another site. ``same-origin`` rather than ``no-referrer``: with
    ``no-referrer`` Chromium sends ``Origin: null`` with the page's own forms, and Django's CSRF
    check refuses them."""
    patch_cache_control(response, private=True, no_store=True)
    response["Referrer-Policy"] = "same-origin"
    return response


TokenView = Callable[..., HttpResponse]


def token_page(read: Callable[[str], Endorsement]) -> Callable[[TokenView], TokenView]:
    """A view reached through a signed link: ``read(token)`` finds the endorsement (or the
    link-problem page answers), and the response is a private page."""

    def decorator(view: TokenView) -> TokenView:
        @wraps(view)
        def wrapper(request: HttpRequest, token: str) -> HttpResponse:
            try:
                endorsement = read(token)
            except tokens.ExpiredLink:
                response = _link_problem(request, expired=True)
            except tokens.InvalidLink:
                response = _link_problem(request, expired=False)
            else:
                response = view(request, endorsement, token)
            return private_page(response)

        return wrapper

    return decorator


@require_safe
@token_page(tokens.endorsement_from_confirm_token)
def confirm(request: HttpRequest, endorsement: Endorsement, token: str) -> HttpResponse:
    already = endorsement.status != Endorsement.Status.UNCONFIRMED
    if not already:
        try:
            services.endorsement_confirm(endorsement=endorsement)
        except services.EndorsementTransitionError:
            # Someone else (a second click in another tab) confirmed it a moment ago.
            endorsement.refresh_from_db()
            already = True
    return render(
        request,
        "coalition/confirm_done.html",
        {
            "endorsement": endorsement,
            "campaign": endorsement.campaign,
            "already": already,
            "manage_url": services.applicant_links(endorsement)["manage_url"],
        },
    )


@require_http_methods(["GET", "HEAD", "POST"])
@token_page(tokens.endorsement_from_not_us_token)
def not_us(request: HttpRequest, endorsement: Endorsement, token: str) -> HttpResponse:
    # A GET only asks: mail scanners follow links, and must not withdraw anything.
    done = False
    if request.method == "POST" and endorsement.status in Endorsement.LIVE_STATUSES:
        try:
            services.endorsement_withdraw(
                endorsement=endorsement,
                actor=services.Actor.SYSTEM,
                note=str(
                    _("The contact reported that they did not apply (“this wasn't us” link).")
                ),
            )
            done = True
        except services.EndorsementTransitionError:
            endorsement.refresh_from_db()
    return render(
        request,
        "coalition/not_us.html",
        {
            "endorsement": endorsement,
            "done": done,
            "live": endorsement.status in Endorsement.LIVE_STATUSES,
        },
    )


@require_http_methods(["GET", "HEAD", "POST"])
def resend(request: HttpRequest) -> HttpResponse:
    status = 200
    if request.method == "POST":
        form = ResendForm(request.POST)
        status = 400
        retry_after = _rate_limited(request, "RESEND_RATE_LIMIT", "resend")
        if retry_after is not None:
            form.add_error(None, ratelimit.refusal_message(retry_after))
            response = render(request, "coalition/resend.html", {"form": form}, status=429)
            response["Retry-After"] = str(retry_after)
            return response
        if form.is_valid():
            services.endorsement_resend_links(contact_email=form.cleaned_data["contact_email"])
            # The same answer whether or not the address has applied.
            return render(request, "coalition/resend_done.html", {})
    else:
        form = ResendForm()
    return render(request, "coalition/resend.html", {"form": form}, status=status)


def _manage_context(endorsement: Endorsement, token: str) -> dict[str, object]:
    organization = endorsement.organization
    return {
        "endorsement": endorsement,
        "organization": organization,
        "campaign": endorsement.campaign,
        "token": token,
        "proposed": organization.versions.filter(state=OrganizationVersion.State.PROPOSED).first(),
        "editable": endorsement.status in Endorsement.LIVE_STATUSES,
    }


@require_http_methods(["GET", "HEAD", "POST"])
@token_page(tokens.endorsement_from_manage_token)
def manage(request: HttpRequest, endorsement: Endorsement, token: str) -> HttpResponse:
    context = _manage_context(endorsement, token)
    if request.method == "POST" and context["editable"]:
        form = ManageForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                saved = services.organization_update(
                    endorsement=endorsement,
                    website=form.cleaned_data["website"],
                    statement=form.cleaned_data["statement"],
                    statement_translations=form.statement_translations(),
                    logo=form.cleaned_data.get("logo") or None,
                )
            except services.ApplicationError as error:
                form.add_error(None, str(error))
            else:
                review = saved.state == OrganizationVersion.State.PROPOSED
                return redirect(
                    reverse("manage", kwargs={"token": token})
                    + ("?saved=review" if review else "?saved=1")
                )
    else:
        form = ManageForm.for_organization(endorsement.organization)
    context.update(form=form, withdraw_form=WithdrawForm(), saved=request.GET.get("saved"))
    status = 400 if request.method == "POST" else 200
    return render(request, "coalition/manage.html", context, status=status)


@require_safe
@token_page(tokens.endorsement_from_manage_token)
def manage_data(request: HttpRequest, endorsement: Endorsement, token: str) -> HttpResponse:
    """Everything stored about this application, as JSON, for its contact."""
    response = JsonResponse(
        services.endorsement_data_export(endorsement=endorsement),
        json_dumps_params={"indent": 2, "ensure_ascii": False},
    )
    response["Content-Disposition"] = (
        f'attachment; filename="application-{endorsement.public_id}.json"'
    )
    return response


@require_http_methods(["POST"])
@token_page(tokens.endorsement_from_manage_token)
def manage_withdraw(request: HttpRequest, endorsement: Endorsement, token: str) -> HttpResponse:
    form = WithdrawForm(request.POST)
    context = _manage_context(endorsement, token)
    if form.is_valid():
        try:
            services.endorsement_withdraw(endorsement=endorsement)
        except services.EndorsementTransitionError as error:
            form.add_error(None, str(error))
        else:
            return render(request, "coalition/withdrawn.html", context)
    context.update(form=ManageForm.for_organization(endorsement.organization), withdraw_form=form)
    return render(request, "coalition/manage.html", context, status=400)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """``CSRF_FAILURE_VIEW``: the site's own page, in the visitor's language, never Django's
    debug page. Django has already logged the reason."""
    response = render(request, "403_csrf.html", {}, status=403)
    patch_cache_control(response, private=True, no_store=True)
    return response
