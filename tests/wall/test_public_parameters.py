"""The one list of the GET parameters each public page reads (coalition/web/public_parameters.py):
the pages read nothing else, the app and the VCL cut query strings down alike, and what no page
reads makes no rendering of its own. Through a real Varnish:
tests/publishing/test_varnish_key.py."""

from __future__ import annotations

import dataclasses

import pytest
from django.core.management import CommandError, call_command
from django.http import QueryDict

from coalition.models import Endorsement
from coalition.web import public_parameters
from coalition.web.public_parameters import cache_query, carried, public_path

Status = Endorsement.Status
SLUG = "keep-detection"
# Every public response, as its path is asked for (``ID`` and ``ACCENT`` filled in below).
PUBLIC_URLS = [
    "/",
    "/fr/",
    f"/campaigns/{SLUG}/",
    f"/de/campaigns/{SLUG}/",
    f"/campaigns/{SLUG}/wall.svg",
    f"/campaigns/{SLUG}/wall.png",
    f"/campaigns/{SLUG}/map.svg",
    f"/campaigns/{SLUG}/letter/",
    f"/campaigns/{SLUG}/embed/",
    f"/campaigns/{SLUG}/feed/",
    f"/campaigns/{SLUG}/share.png",
    f"/embed/{SLUG}/",
    "/embed.js",
    "/theme/ACCENT.css",
    "/favicon.ico",
    "/api/v1/allies/",
    "/api/v1/allies/ID/",
    "/api/v1/campaigns/",
    f"/api/v1/campaigns/{SLUG}/",
    "/api/v1/facets/",
]


@pytest.fixture
def ally(make_endorsement) -> Endorsement:
    return make_endorsement(status=Status.APPROVED, name="Alder Helpline")


@pytest.fixture
def reads(monkeypatch) -> set[str]:
    """Every name any view looks up in a query string (present or not), while the test runs."""
    names: set[str] = set()

    def recording(method):
        def lookup(self, key, *args, **kwargs):
            names.add(key)
            return method(self, key, *args, **kwargs)

        return lookup

    for method in ("get", "getlist", "__getitem__", "__contains__"):
        monkeypatch.setattr(QueryDict, method, recording(getattr(QueryDict, method)))
    return names


def _url(path: str, ally: Endorsement) -> str:
    return path.replace("ID", ally.public_id).replace("ACCENT", "1d4ed8")


@pytest.mark.parametrize("path", PUBLIC_URLS)
def test_a_public_page_reads_no_parameter_that_is_not_on_its_list(client, ally, reads, path):
    url = _url(path, ally)
    page = public_path(url)
    assert page is not None, url
    given = dict.fromkeys(page.parameters, "1")

    client.get(url, {**given, "ref": "press", "utm_source": "x", "zz": "1"})

    assert reads <= set(page.parameters), (url, reads - set(page.parameters))


@pytest.mark.parametrize("path", PUBLIC_URLS)
def test_every_public_response_is_on_the_list_and_answered_alike_with_junk(client, ally, path):
    url = _url(path, ally)
    page = public_path(url)
    assert page is not None, url
    clean = client.get(url)
    junk = {"zz": "1", "fbclid": "IwAR1", "utm_campaign": "x", "ref": "p"}
    with_junk = client.get(
        url, {name: v for name, v in junk.items() if name not in page.parameters}
    )

    assert with_junk.status_code == clean.status_code
    if clean.status_code == 200 and not clean.streaming:
        assert with_junk.content == clean.content, url


def test_the_api_links_its_pages_with_its_own_parameters_only(client, db):
    # Imported once the URLconf has loaded the API (its modules import one another in its order).
    client.get("/api/v1/campaigns/")
    from api.pagination import AllyPagination

    api = public_path("/api/v1/allies/")

    assert set(AllyPagination.link_parameters) <= set(api.parameters)


@pytest.mark.parametrize(
    ("path", "query", "expected"),
    [
        ("/", "sector=x&country=DE", "country=DE&sector=x"),
        ("/", "country=DE&sector=x", "country=DE&sector=x"),
        ("/", "fbclid=IwAR&utm_source=a&utm_whatever=b&ref=p&zz=1&gclid=2", ""),
        ("/fr/", "q=b%C3%A9&&page=2&", "page=2&q=b%C3%A9"),
        (f"/campaigns/{SLUG}/", "country=FR&country=DE", "country=DE&country=FR"),
        (f"/embed/{SLUG}/", "ref=Partner&theme=dark&lang=fr", "lang=fr&theme=dark"),
        # The builder reads ``ref``: the partner's name, which goes into its snippets.
        (
            f"/campaigns/{SLUG}/embed/",
            "ref=Partner&theme=dark&height=500",
            "height=500&ref=Partner&theme=dark",
        ),
        (f"/campaigns/{SLUG}/feed/", "page=2&lang=fr", ""),
        ("/static/coalition/site.css", "v=3", ""),
        (
            "/api/v1/allies/",
            "page_size=2&country=DE&utm_source=x&format=csv",
            "country=DE&format=csv&page_size=2",
        ),
        ("/api/v1/facets/", "page=2&country=DE", "country=DE"),
        # Anywhere else (the form, the admin) only the tracking parameters go.
        ("/apply/", "b=2&utm_source=x&a=1", "a=1&b=2"),
        ("/api/docs/", "script", "script"),
        # Names are compared as sent: a look-alike is not the parameter.
        ("/", "Country=DE&countryx=1&c%6Funtry=DE", ""),
    ],
)
def test_a_query_is_cut_down_to_what_the_page_reads_and_sorted(path, query, expected):
    assert cache_query(path, query) == expected


def test_the_tracking_parameters_are_kept_for_a_redirect_in_their_order():
    assert carried("zz=1&utm_source=news&ref=press&country=DE&fbclid=1") == (
        "utm_source=news&ref=press&fbclid=1"
    )


def test_parameters_no_page_reads_make_no_rendering_of_their_own(client, ally):
    first = client.get("/?country=DE&order=newest")

    for query in ("order=newest&country=DE", "country=DE&order=newest&zz=1&utm_source=x&ref=p"):
        again = client.get(f"/?{query}")
        assert again["X-Cache"] == "hit", query
        assert again.content == first.content


def test_the_first_visits_redirect_keeps_where_the_visitor_came_from(client, ally):
    response = client.get("/?utm_source=news&zz=1&ref=press", HTTP_ACCEPT_LANGUAGE="fr")

    assert response.status_code == 302
    assert response["Location"] == "/fr/?utm_source=news&ref=press"


def test_the_form_keeps_its_whole_query_string(client, campaign):
    # Not a public page: it reads ref and utm_* (coalition.endorsements.sources).
    form = client.get("/apply/?ref=press&utm_source=news&zz=1").content.decode()

    assert 'name="source"' in form


def test_the_vcl_reads_the_parameters_the_app_reads():
    # Fails when a list changed without `manage.py vcl_parameters`.
    call_command("vcl_parameters", "--check")


def test_the_check_fails_when_the_vcl_and_the_app_disagree(monkeypatch):
    wall = public_parameters.PUBLIC_PATHS[0]
    grown = dataclasses.replace(wall, parameters=(*wall.parameters, "new"))
    monkeypatch.setattr(
        public_parameters, "PUBLIC_PATHS", (grown, *public_parameters.PUBLIC_PATHS[1:])
    )

    with pytest.raises(CommandError, match=r"run `manage\.py vcl_parameters`"):
        call_command("vcl_parameters", "--check")


def test_the_command_writes_the_block_between_its_markers(tmp_path):
    vcl = tmp_path / "default.vcl"
    vcl.write_text(
        f"vcl 4.1;\n\n{public_parameters.BEGIN}\nold\n{public_parameters.END}\n\nsub x {{}}\n"
    )

    call_command("vcl_parameters", "--vcl", str(vcl))

    written = vcl.read_text()
    assert written.startswith("vcl 4.1;\n\n# BEGIN public parameters\n")
    assert "old" not in written
    assert written.endswith("# END public parameters\n\nsub x {}\n")
    call_command("vcl_parameters", "--vcl", str(vcl), "--check")
