from __future__ import annotations

from django.urls import include, path, re_path
from rest_framework.routers import SimpleRouter

from api import views

# A namespace of its own: the router's names ("campaign-detail") would otherwise shadow the
# site's pages of the same name.
app_name = "api"

router = SimpleRouter()
router.register("campaigns", views.CampaignViewSet, basename="campaign")
router.register("allies", views.AllyViewSet, basename="ally")

urlpatterns = [
    path("v1/", include(router.urls)),
    path("v1/facets/", views.FacetsView.as_view(), name="facets"),
    path("schema/", views.SchemaView.as_view(), name="schema"),
    # The split view serves its start-up script as a file of its own (?script): no inline code,
    # as the Content-Security-Policy wants.
    path(
        "docs/",
        views.DocsView.as_view(url_name="api:schema", template_name="api/swagger_ui.html"),
        name="docs",
    ),
    # Anything else under /api/ is a JSON 404, like every other API error.
    re_path(r"^.*/$", views.NotFoundView.as_view()),
]
