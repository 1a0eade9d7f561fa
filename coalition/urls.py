from django.conf import settings
from django.contrib import admin
from django.urls import path

from coalition import views

urlpatterns = [
    path("", views.campaign_detail, name="home"),
    path("apply/", views.apply, name="apply-default"),
    path("campaigns/<slug:slug>/", views.campaign_detail, name="campaign-detail"),
    path("campaigns/<slug:slug>/apply/", views.apply, name="apply"),
    path("confirm/<str:token>/", views.confirm, name="confirm"),
    path("not-us/<str:token>/", views.not_us, name="not-us"),
    path("resend/", views.resend, name="resend"),
    path("manage/<str:token>/", views.manage, name="manage"),
    path("manage/<str:token>/withdraw/", views.manage_withdraw, name="manage-withdraw"),
    path("admin/", admin.site.urls),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
