"""Sharing a campaign: the share links of its page and of an approved ally (mail, Bluesky,
Mastodon, LinkedIn, X), the ally's badge and the snippet that puts it on their site.

Every share link is a plain link to the service's own page for composing a post: no script,
pixel or button of theirs is loaded by ours. Mastodon has no single such page (each person
posts from their own server), so its link leads to ours (``public_site.views.sharing``), which
asks for the server and sends the browser to that server's ``/share`` page; the address it
redirects to is always ``https://<a host name>/share``, never one the request spells out.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from urllib.parse import quote, urlencode

from django.conf import settings
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.utils.html import format_html
from django.utils.translation import get_language_info, gettext

from coalition.campaigns import badge
from coalition.images.text import clusters, plain
from coalition.models import Campaign, Endorsement
from coalition.wall.queries import SEARCH_MAX_LENGTH
from coalition.web import links

# The longest text the Mastodon page passes on: a post is 500 characters on most servers, and
# this leaves room for one that allows more, but not for a request of any length.
SHARE_TEXT_MAX_LENGTH = 1000
# One label of a host name (RFC 1123): letters, digits and hyphens, no hyphen at either end.
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
# The URL name of an ally's own page (its proof page, issue 24), when the site has one.
ALLY_PAGE = "campaign-ally-proof"


def share_links(*, url: str, title: str, text: str = "") -> list[dict[str, str]]:
    """Where to share ``url``: plain links to each service's own page for a post, and mail.
    ``title`` is the mail's subject (and the post, without ``text``); ``text`` the words of
    the post, to which the services add ``url``."""
    message = text or title
    with_url = f"{message} {url}"
    return [
        {
            "name": gettext("Email"),
            "url": "mailto:?"
            + urlencode(
                {"subject": title, "body": f"{text}\n\n{url}" if text else url}, quote_via=quote
            ),
        },
        {
            "name": "Bluesky",
            "url": "https://bsky.app/intent/compose?" + urlencode({"text": with_url}),
        },
        {
            "name": "Mastodon",
            "url": links.absolute(reverse("share-mastodon") + "?" + urlencode({"text": with_url})),
        },
        {
            "name": "LinkedIn",
            "url": "https://www.linkedin.com/sharing/share-offsite/?" + urlencode({"url": url}),
        },
        {
            "name": "X",
            "url": "https://x.com/intent/post?" + urlencode({"text": message, "url": url}),
        },
    ]


def mastodon_host(value: str) -> str | None:
    """The host name of the Mastodon server a person typed (``mastodon.social``,
    ``https://mastodon.social/@me``, ``@me@mastodon.social``, ``ñandú.example``), in ASCII and
    lower case; None when it names no server on the internet by a name: a scheme other than
    HTTP(S), a port, spaces, an IP address, a name of one label (``localhost``)."""
    rest = value.strip()
    if "://" in rest:
        scheme, rest = rest.split("://", 1)
        if scheme.lower() not in ("http", "https"):
            return None
    rest = re.split(r"[/?#]", rest, maxsplit=1)[0]
    # "@me@mastodon.social", "me@mastodon.social": the server is after the last "@".
    host = rest.rsplit("@", 1)[-1].removesuffix(".")
    if not host or len(host) > 253 or any(character.isspace() for character in host):
        return None
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        pass
    else:
        return None
    try:
        ascii_host = host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        return None
    labels = ascii_host.split(".")
    if len(labels) < 2 or not all(_LABEL.match(label) for label in labels):
        return None
    top = labels[-1]
    if not (top.isalpha() or top.startswith("xn--")):
        return None  # "10.0.0.1" spelled oddly, or a made-up top level
    return ascii_host


def mastodon_share_url(host: str, text: str) -> str:
    """The page of server ``host`` (from ``mastodon_host``) that writes a post of ``text``."""
    return f"https://{host}/share?" + urlencode({"text": text})


def _search_for(name: str) -> str:
    """The longest start of ``name`` that the wall's search takes: it finds the name itself."""
    pieces = clusters(plain(name))
    kept: list[str] = []
    for piece in pieces:
        if len("".join(kept)) + len(piece) > SEARCH_MAX_LENGTH:
            break
        kept.append(piece)
    return "".join(kept).strip()


def entry_url(endorsement: Endorsement) -> str:
    """Where a badge leads: the ally's own page when the site has one, else the campaign's
    wall searched for its name, at its tile (``#ally-<id>``): on page 1 whatever the size of
    the wall, which shows 200 allies a page."""
    campaign = endorsement.campaign
    try:
        return links.absolute(reverse(ALLY_PAGE, args=[campaign.slug, endorsement.public_id]))
    except NoReverseMatch:
        pass
    wall = reverse("campaign-detail", args=[campaign.slug])
    search = _search_for(endorsement.organization.name)
    query = f"?{urlencode({'search': search})}" if search else ""
    return links.absolute(f"{wall}{query}#ally-{endorsement.public_id}")


def badge_url(endorsement: Endorsement, looks: badge.BadgeLooks) -> str:
    path = reverse("campaign-badge", args=[endorsement.campaign.slug, endorsement.public_id])
    params = looks.to_params()
    return links.absolute(f"{path}?{urlencode(params)}" if params else path)


def badge_snippet(endorsement: Endorsement, looks: badge.BadgeLooks) -> str:
    """The HTML to paste: the badge, linked to the ally's entry. Plain text, not marked safe:
    a page or a mail that shows it escapes it like any text."""
    alt = badge.description(
        name=plain(endorsement.organization.name), campaign=plain(endorsement.campaign.title)
    )
    snippet = format_html(
        '<a href="{}"><img src="{}" alt="{}" width="{}" height="{}"></a>',
        entry_url(endorsement),
        badge_url(endorsement, looks),
        alt,
        badge.WIDTH,
        badge.HEIGHT,
    )
    # str.strip gives a plain str: format_html's result is marked safe.
    return snippet.strip()


def campaign_url(campaign: Campaign) -> str:
    """The campaign's page, as shared (its one address: ``/`` for the default campaign)."""
    # Imported here: the page imports this module for its share links.
    from coalition.campaigns.page import canonical_url

    return canonical_url(campaign)


@dataclass(frozen=True)
class AllyShare:
    """What an approved ally is offered to share, in the active language."""

    looks: badge.BadgeLooks
    light_url: str
    dark_url: str
    badge_url: str
    entry_url: str
    snippet: str
    campaign_url: str
    text: str
    links: list[dict[str, str]] = field(default_factory=list)
    width: int = badge.WIDTH
    height: int = badge.HEIGHT

    @property
    def web_links(self) -> list[dict[str, str]]:
        """The links but mail's: a plain-text mail lists these (its reader forwards it as it
        is, and a ``mailto:`` address is a line of percent signs there)."""
        return [link for link in self.links if not link["url"].startswith("mailto:")]


def ally_share(endorsement: Endorsement, looks: badge.BadgeLooks | None = None) -> AllyShare:
    """The badge (in ``looks``: by default light, in the contact's language), its snippet and
    the share links of an approved ally. Only for an approved one: the badge of any other is
    a 404, and its entry is on no wall."""
    if endorsement.status != Endorsement.Status.APPROVED:
        raise ValueError("Only an approved ally has something to share.")
    if looks is None:
        language = endorsement.preferred_language
        looks = badge.BadgeLooks(
            lang=language if language in dict(badge_languages()) else badge.DEFAULT_LANGUAGE
        )
    campaign = endorsement.campaign
    url = campaign_url(campaign)
    text = gettext("We signed “%(campaign)s”.") % {"campaign": campaign.title}
    # The snippet in the badge's language: its alt text, and the ally's page it links to.
    with translation.override(looks.lang):
        snippet = badge_snippet(endorsement, looks)
        entry = entry_url(endorsement)
    return AllyShare(
        looks=looks,
        light_url=badge_url(endorsement, badge.BadgeLooks(theme="light", lang=looks.lang)),
        dark_url=badge_url(endorsement, badge.BadgeLooks(theme="dark", lang=looks.lang)),
        badge_url=badge_url(endorsement, looks),
        entry_url=entry,
        snippet=snippet,
        campaign_url=url,
        text=text,
        links=share_links(url=url, title=text, text=text),
    )


def badge_languages() -> list[tuple[str, str]]:
    """The languages a badge is drawn in: the site's, named in their own words."""
    return [(code, get_language_info(code)["name_local"]) for code, _name in settings.LANGUAGES]
