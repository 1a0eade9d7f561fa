from __future__ import annotations

import pytest


@pytest.mark.django_db
def test_a_missing_page_answers_404_with_the_sites_own_page_in_the_visitors_language(client):
    response = client.get("/no-such-page-here/", HTTP_ACCEPT_LANGUAGE="fr")
    assert response.status_code == 404
    page = response.content.decode()
    assert "Page introuvable" in page
    assert 'href="/"' in page


@pytest.mark.django_db
def test_a_missing_application_in_the_workspace_is_the_sites_404_page(admin_client):
    response = admin_client.get("/review/NOPE12345/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()
