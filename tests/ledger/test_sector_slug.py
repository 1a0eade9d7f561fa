"""A sector's new slug reaches the public log: the log names an ally's sector by its slug."""

from __future__ import annotations

from django.urls import reverse

from tests.ledger.helpers import approve, current, entries, replayed


def test_renaming_a_sectors_slug_in_the_admin_writes_changed_for_its_allies(
    admin_client, campaign, sector, make_endorsement, reviewer
):
    allies = [approve(make_endorsement(), reviewer) for _ in range(2)]
    make_endorsement()  # pending: not in the log, nothing to write

    response = admin_client.post(
        reverse("admin:coalition_sector_change", args=[sector.pk]),
        {
            "name_en": sector.name,
            "name_fr": "",
            "name_de": "",
            "slug": "child-protection",
            "parent": "",
            "transparency_register_category": sector.transparency_register_category,
            "order": "0",
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    log = entries(campaign)
    assert [(e["event"], e["fields"]) for e in log[2:]] == [
        ("changed", {"sector": "child-protection"}),
        ("changed", {"sector": "child-protection"}),
    ]
    assert {e["ally"] for e in log[2:]} == {ally.public_id for ally in allies}
    assert replayed(campaign) == current(campaign)
