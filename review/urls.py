"""``/review/``: outside the language prefixes, like the admin (the language comes from the
cookie or ``Accept-Language``)."""

from __future__ import annotations

from django.urls import path

from review import (
    campaign,
    claiming,
    dashboard,
    exports,
    imports,
    keyboard,
    team,
    updates,
    views,
)

app_name = "review"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("changes/", views.queue, {"tab": "changes"}, name="changes"),
    path("reported/", views.queue, {"tab": "reported"}, name="reported"),
    path("proof/", views.queue, {"tab": "proof"}, name="proof"),
    path("decided/", views.queue, {"tab": "decided"}, name="decided"),
    path("dashboard/", dashboard.dashboard, name="dashboard"),
    path("shortcuts/", keyboard.shortcuts, name="shortcuts"),
    # An owner's campaign editor (review/campaign.py), before the application pages' <public_id>/.
    path("campaigns/", campaign.campaign_list, name="campaigns"),
    path("campaigns/<slug:slug>/", campaign.campaign_edit, name="campaign"),
    path(
        "campaigns/<slug:slug>/private-link/",
        campaign.campaign_private_link,
        name="campaign-private-link",
    ),
    # A campaign's allies for its owners' CRM (review/exports.py).
    path(
        "campaigns/<slug:slug>/export.csv",
        exports.export_allies,
        {"kind": "csv"},
        name="campaign-export-csv",
    ),
    path(
        "campaigns/<slug:slug>/export.xlsx",
        exports.export_allies,
        {"kind": "xlsx"},
        name="campaign-export-xlsx",
    ),
    # A campaign's team (review/team.py), before the application pages' <public_id>/.
    path("team/", team.team_index, name="team"),
    path("team/<slug:slug>/", team.team_campaign, name="team-campaign"),
    path("team/<slug:slug>/invite/", team.invite, name="team-invite"),
    path("team/<slug:slug>/invitations/<int:pk>/withdraw/", team.withdraw, name="team-withdraw"),
    path("team/<slug:slug>/members/<int:pk>/role/", team.change_role, name="team-role"),
    path("team/<slug:slug>/members/<int:pk>/remove/", team.remove, name="team-remove"),
    path("join/<str:token>/", team.join, name="join"),
    # Importing the allies who already signed (review/imports.py), before <public_id>/.
    path("import/", imports.import_upload, name="import-upload"),
    path("import/<int:pk>/", imports.import_detail, name="import"),
    # Updates to allies (review/updates.py), before <public_id>/.
    path("updates/", updates.update_list, name="updates"),
    path("updates/new/", updates.update_new, name="update-new"),
    path("updates/<int:pk>/", updates.update_detail, name="update"),
    path("updates/<int:pk>/send/", updates.update_send, name="update-send"),
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
