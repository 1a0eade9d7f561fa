"""``/review/``: outside the language prefixes, like the admin (the language comes from the
cookie or ``Accept-Language``)."""

from __future__ import annotations

from django.urls import path

from coalition.review import claiming, dashboard, views

app_name = "review"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("changes/", views.queue, {"tab": "changes"}, name="changes"),
    path("reported/", views.queue, {"tab": "reported"}, name="reported"),
    path("proof/", views.queue, {"tab": "proof"}, name="proof"),
    path("decided/", views.queue, {"tab": "decided"}, name="decided"),
    path("dashboard/", dashboard.dashboard, name="dashboard"),
    path("<str:public_id>/", views.decision, name="decision"),
    path("<str:public_id>/approve/", views.decide, {"decision_name": "approve"}, name="approve"),
    path("<str:public_id>/reject/", views.decide, {"decision_name": "reject"}, name="reject"),
    path("<str:public_id>/remove/", views.decide, {"decision_name": "remove"}, name="remove"),
    path(
        "<str:public_id>/changes/<int:version_pk>/approve/",
        views.decide_changes,
        {"decision_name": "approve"},
        name="approve-changes",
    ),
    path(
        "<str:public_id>/changes/<int:version_pk>/decline/",
        views.decide_changes,
        {"decision_name": "decline"},
        name="decline-changes",
    ),
    path("<str:public_id>/evidence/", views.recompute, name="recompute"),
    path("<str:public_id>/status/", claiming.status, name="status"),
    path("<str:public_id>/claim/", claiming.claim, name="claim"),
    path("<str:public_id>/release/", claiming.release, name="release"),
    path("<str:public_id>/take-over/", claiming.take_over, name="take-over"),
]
