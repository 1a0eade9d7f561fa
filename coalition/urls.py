import re

from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path, re_path

from coalition.web import languages
from public_site.views import (
    applicant,
    applied,
    badge,
    campaign,
    embeds,
    favicon,
    ledger,
    letter,
    media,
    oembed,
    privacy,
    proof,
    seo,
    sharing,
    unsubscribe,
    verify,
    wall,
)

# Pages people read carry their language in the URL: /fr/…, /de/…, English unprefixed.
urlpatterns = i18n_patterns(
    path("", wall.campaign_detail, name="home"),
    path("apply/", applicant.apply, name="apply-default"),
    path("apply/sent/", applied.done, name="apply-done-default"),
    path("campaigns/<slug:slug>/", wall.campaign_detail, name="campaign-detail"),
    path("campaigns/<slug:slug>/apply/", applicant.apply, name="apply"),
    path("campaigns/<slug:slug>/apply/sent/", applied.done, name="apply-done"),
    path("campaigns/<slug:slug>/embed/", embeds.embed_builder, name="embed-builder"),
    path("campaigns/<slug:slug>/wall.svg", wall.wall_svg, name="wall-svg"),
    path("campaigns/<slug:slug>/wall.png", wall.wall_png, name="wall-png"),
    path("campaigns/<slug:slug>/feed/", wall.allies_feed, name="feed"),
    path("campaigns/<slug:slug>/letter/", letter.letter_page, name="letter"),
    path("campaigns/<slug:slug>/letter.pdf", letter.letter_pdf, name="letter-pdf"),
    path("campaigns/<slug:slug>/map.svg", campaign.map_svg, name="campaign-map"),
    path("campaigns/<slug:slug>/share.png", campaign.share_png, name="campaign-share"),
    path(
        "campaigns/<slug:slug>/allies/<str:public_id>/",
        proof.ally_proof,
        name="campaign-ally-proof",
    ),
    path("campaigns/<slug:slug>/verify/", verify.verify_page, name="campaign-verify"),
    path("confirm/<str:token>/", applicant.confirm, name="confirm"),
    path("not-us/<str:token>/", applicant.not_us, name="not-us"),
    path("resend/", applicant.resend, name="resend"),
    path("manage/<str:token>/", applicant.manage, name="manage"),
    path("manage/<str:token>/withdraw/", applicant.manage_withdraw, name="manage-withdraw"),
    path("manage/<str:token>/data.json", applicant.manage_data, name="manage-data"),
    path("manage/<str:token>/updates/", applicant.manage_updates, name="manage-updates"),
    path(
        "manage/<str:token>/domain-check/",
        applicant.manage_domain_check,
        name="manage-domain-check",
    ),
    path("share/mastodon/", sharing.mastodon, name="share-mastodon"),
    path("privacy/", privacy.privacy_notice, name="privacy"),
    path("imprint/", privacy.imprint, name="imprint"),
    prefix_default_language=False,
)
# Embeds, the API and the admin are addressed by machines or staff: one URL each, the
# language from ``lang``, the cookie or Accept-Language.
urlpatterns += [
    path("embed/<slug:slug>/", embeds.embed, name="embed"),
    path("embed.js", embeds.embed_script, name="embed-js"),
    # An ally's badge, on its own site: its language is its ``lang``, never a path prefix.
    path("campaigns/<slug:slug>/badge/<str:public_id>.svg", badge.badge_svg, name="campaign-badge"),
    path("oembed", oembed.oembed, name="oembed"),
    # The public log, the signed list of signatories and its key: JSON and files for machines,
    # in no language (docs/verification.md).
    path("campaigns/<slug:slug>/log.json", ledger.campaign_log, name="campaign-log"),
    path(
        "campaigns/<slug:slug>/signatories.json",
        ledger.campaign_signatories,
        name="campaign-signatories",
    ),
    path(
        "campaigns/<slug:slug>/signatories.json.minisig",
        ledger.campaign_signatories_signature,
        name="campaign-signatories-sig",
    ),
    path(".well-known/coalition-registry.pub", ledger.signing_key, name="signing-key"),
    re_path(r"^theme/(?P<accent>[0-9a-f]{6})\.css$", campaign.theme_css, name="campaign-theme"),
    path("favicon.ico", favicon.favicon, name="favicon"),
    path("robots.txt", seo.robots_txt, name="robots"),
    path("sitemap.xml", seo.sitemap_index, name="sitemap"),
    path("sitemap-<slug:section>.xml", seo.sitemap_section, name="sitemap-section"),
    path("language/<str:code>/", languages.switch_language, name="switch-language"),
    # The one-click unsubscribe of updates to allies: one address, which mail providers POST to
    # (RFC 8058); the page speaks the contact's language.
    path("unsubscribe/<str:token>/", unsubscribe.unsubscribe, name="unsubscribe"),
    path("admin/", admin.site.urls),
    # The team's preview of a campaign's page: a public page's rendering, for the team only.
    path("review/preview/<slug:slug>/", wall.campaign_preview, name="campaign-preview"),
    path("review/", include("review.urls")),
    path("api/", include("api.urls")),
]

# The processed logos, in development and in production alike: only the pipeline's file names,
# with the headers of public_site.views.media. A CDN (or the object store itself) may serve them
# instead.
if settings.MEDIA_URL.startswith("/"):
    urlpatterns.append(
        re_path(
            rf"^{re.escape(settings.MEDIA_URL.lstrip('/'))}(?P<name>(?:logos|heroes)/.*)$",
            media.logo_file,
            name="logo-file",
        )
    )
