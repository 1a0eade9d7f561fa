import re

from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path, re_path

from coalition import favicon, i18n, media
from coalition.views import applicant, campaign, embeds, letter, wall

# Pages people read carry their language in the URL: /fr/…, /de/…, English unprefixed.
urlpatterns = i18n_patterns(
    path("", wall.campaign_detail, name="home"),
    path("apply/", applicant.apply, name="apply-default"),
    path("campaigns/<slug:slug>/", wall.campaign_detail, name="campaign-detail"),
    path("campaigns/<slug:slug>/apply/", applicant.apply, name="apply"),
    path("campaigns/<slug:slug>/embed/", embeds.embed_builder, name="embed-builder"),
    path("campaigns/<slug:slug>/wall.svg", wall.wall_svg, name="wall-svg"),
    path("campaigns/<slug:slug>/wall.png", wall.wall_png, name="wall-png"),
    path("campaigns/<slug:slug>/feed/", wall.allies_feed, name="feed"),
    path("campaigns/<slug:slug>/letter/", letter.letter_page, name="letter"),
    path("campaigns/<slug:slug>/letter.pdf", letter.letter_pdf, name="letter-pdf"),
    path("campaigns/<slug:slug>/map.svg", campaign.map_svg, name="campaign-map"),
    path("campaigns/<slug:slug>/share.png", campaign.share_png, name="campaign-share"),
    path("confirm/<str:token>/", applicant.confirm, name="confirm"),
    path("not-us/<str:token>/", applicant.not_us, name="not-us"),
    path("resend/", applicant.resend, name="resend"),
    path("manage/<str:token>/", applicant.manage, name="manage"),
    path("manage/<str:token>/withdraw/", applicant.manage_withdraw, name="manage-withdraw"),
    path("manage/<str:token>/data.json", applicant.manage_data, name="manage-data"),
    path(
        "manage/<str:token>/domain-check/",
        applicant.manage_domain_check,
        name="manage-domain-check",
    ),
    prefix_default_language=False,
)
# Embeds, the API and the admin are addressed by machines or staff: one URL each, the
# language from ``lang``, the cookie or Accept-Language.
urlpatterns += [
    path("embed/<slug:slug>/", embeds.embed, name="embed"),
    path("embed.js", embeds.embed_script, name="embed-js"),
    re_path(r"^theme/(?P<accent>[0-9a-f]{6})\.css$", campaign.theme_css, name="campaign-theme"),
    path("favicon.ico", favicon.favicon, name="favicon"),
    path("language/<str:code>/", i18n.switch_language, name="switch-language"),
    path("admin/", admin.site.urls),
    path("review/", include("coalition.review.urls")),
    path("api/", include("api.urls")),
]

# The processed logos, in development and in production alike: only the pipeline's file names,
# with the headers of coalition.media. A CDN (or the object store itself) may serve them instead.
if settings.MEDIA_URL.startswith("/"):
    urlpatterns.append(
        re_path(
            rf"^{re.escape(settings.MEDIA_URL.lstrip('/'))}(?P<name>(?:logos|heroes)/.*)$",
            media.logo_file,
            name="logo-file",
        )
    )
