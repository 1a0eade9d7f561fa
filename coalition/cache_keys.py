"""The names HTTP caches keep public responses under, so that a change purges what it changed.

Every public response names what it shows (``tag_response``), and after a change
``coalition.purge`` purges the keys of what changed, on each Varnish (or CDN) in front:

- ``site``: every public response whose content follows the public data (walls, embeds,
  ``embed.js``, the wall images, feeds, the API). Purged for anything that may show everywhere:
  a campaign or sector edit, a new campaign, a change of the default campaign.
- ``campaign-<pk>``: every response about one campaign (its wall, embeds, images, feed, its API
  lists and its allies). Purged, with the ally's own key, when an ally of it changes: an
  approval, withdrawal, removal, approved edit or new logo.
- ``ally-<public_id>``: every response showing that ally (its campaign's pages, ``/api/v1/
  allies/<id>/``). A page with too many allies for one header is named by its campaign alone,
  which is why an ally's change purges its campaign as well (``keys_for_ally``).
- ``logo-<digest>``: one processed logo file. Those never change (their names are content
  hashes) and are not part of ``site``; purge the key when the files are deleted.

The same keys go out in three headers, one per kind of cache: ``xkey`` (Varnish's vmod xkey,
``deploy/varnish/default.vcl``), ``Surrogate-Key`` (Fastly-style CDNs, space-separated) and
``Cache-Tag`` (Cloudflare-style, comma-separated).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django.http import HttpResponseBase

    from coalition.models import Campaign, Endorsement

SITE_KEY = "site"
HEADERS = ("xkey", "Surrogate-Key", "Cache-Tag")
# Each header stays under this many bytes: Varnish refuses a response with a header above 8 KiB
# (http_resp_hdr_len) and CDNs cap theirs at 16 KiB for all tags. A wall page of 200 allies
# fits; a longer list keeps only the keys that are not an ally's.
MAX_HEADER_BYTES = 4096


def campaign_key(campaign: Campaign) -> str:
    return f"campaign-{campaign.pk}"


def ally_key(endorsement: Endorsement) -> str:
    return public_id_key(endorsement.public_id)


def public_id_key(public_id: str) -> str:
    """``ally_key`` from the public id alone, for allies read without their model."""
    return f"ally-{public_id}"


def logo_key(digest: str) -> str:
    """The key of one processed logo's files, from its content hash (``Logo.digest``)."""
    return f"logo-{digest}"


def keys_for_page(
    campaign: Campaign | None,
    allies: Iterable[Endorsement] = (),
    *,
    public_ids: Iterable[str] = (),
) -> list[str]:
    """The keys of a public response: ``site``, then the campaign it is about (None for one
    about no single campaign, such as ``embed.js`` or the list of campaigns) and each ally on it
    (the page of them shown, not the whole campaign), as endorsements or by their public ids."""
    keys = [SITE_KEY]
    if campaign is not None:
        keys.append(campaign_key(campaign))
    keys.extend(ally_key(endorsement) for endorsement in allies)
    keys.extend(public_id_key(public_id) for public_id in public_ids)
    return list(dict.fromkeys(keys))


def keys_for_ally(endorsement: Endorsement) -> list[str]:
    """What to purge when an ally appears, changes or goes: its campaign's pages and its own."""
    return [campaign_key(endorsement.campaign), ally_key(endorsement)]


def tag_response(response: HttpResponseBase, keys: Iterable[str]) -> HttpResponseBase:
    """Name ``keys`` in the response's ``xkey``, ``Surrogate-Key`` and ``Cache-Tag`` headers
    (replacing any there) and return it. Keys are made of letters, digits and ``-`` only."""
    keys = list(dict.fromkeys(keys))
    if len(" ".join(keys).encode()) > MAX_HEADER_BYTES:
        keys = [key for key in keys if not key.startswith("ally-")]
    response["xkey"] = " ".join(keys)
    response["Surrogate-Key"] = " ".join(keys)
    response["Cache-Tag"] = ",".join(keys)
    return response
