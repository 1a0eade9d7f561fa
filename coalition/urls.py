from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from coalition import views

urlpatterns = [
    path("", views.campaign_detail, name="home"),
    path("apply/", views.apply, name="apply-default"),
    path("campaigns/<slug:slug>/", views.campaign_detail, name="campaign-detail"),
    path("campaigns/<slug:slug>/apply/", views.apply, name="apply"),
    path("campaigns/<slug:slug>/embed/", views.embed_builder, name="embed-builder"),
    path("campaigns/<slug:slug>/wall.svg", views.wall_svg, name="wall-svg"),
    path("campaigns/<slug:slug>/wall.png", views.wall_png, name="wall-png"),
    path("campaigns/<slug:slug>/feed/", views.allies_feed, name="feed"),
    path("embed/<slug:slug>/", views.embed, name="embed"),
    path("embed.js", views.embed_script, name="embed-js"),
    path("confirm/<str:token>/", views.confirm, name="confirm"),
    path("not-us/<str:token>/", views.not_us, name="not-us"),
    path("resend/", views.resend, name="resend"),
    path("manage/<str:token>/", views.manage, name="manage"),
    path("manage/<str:token>/withdraw/", views.manage_withdraw, name="manage-withdraw"),
    path("manage/<str:token>/data.json", views.manage_data, name="manage-data"),
    path("admin/", admin.site.urls),
    path("api/", include("api.urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
