"""The team's audit trail is append-only, as the endorsements' is."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from coalition.models import TeamEvent


def test_a_team_event_cannot_be_changed_or_deleted(campaign):
    event = TeamEvent.objects.create(
        campaign=campaign, action=TeamEvent.Action.INVITED, email="nils@partner.example"
    )
    event.email = "someone@else.example"

    with pytest.raises(ValidationError, match="cannot be changed"):
        event.save()
    with pytest.raises(ValidationError, match="cannot be deleted"):
        event.delete()

    event.refresh_from_db()
    assert event.email == "nils@partner.example"
