from django.conf import settings
from django.contrib import admin
from django.urls import path

from coalition import views

urlpatterns = [
    path("", views.campaign_detail, name="home"),
    path("campaigns/<slug:slug>/", views.campaign_detail, name="campaign-detail"),
    path("admin/", admin.site.urls),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
