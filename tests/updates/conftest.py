"""The updates' journey (``test_updates_journey.py``) runs in a real browser with the journeys'
own fixtures: one Chromium per module, the live server, the reference data. (Those that apply
themselves to a whole module, and the database they keep, are imported by the journey alone.)"""

from tests.browser.conftest import (  # noqa: F401 - fixtures, found by name
    browser,
    live_server,
    reference_data,
    site,
)
