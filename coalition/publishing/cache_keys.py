"""The keys HTTP caches keep public responses under, so that a change purges what it changed.

Every public response names what it shows (``tag_response``); ``freshness.public_change`` purges
the keys of what a change changed. Each key is purged by some change:

============================ ================================== ================================
key                          names                              purged by
============================ ================================== ================================
``site``                     every public response (and, in     a site-wide change: a sector, a
                             the VCL, any public one naming     campaign deleted, a new default
                             none: static files, hero images)   campaign or a campaign's new slug
``campaign-<pk>``            every response about one campaign  a change of the campaign, or of
                             (its pages, embeds, images, map,   any of its allies
                             card, feed, letter, API lists)
``campaigns``                ``/api/v1/campaigns/`` (every      a change of any campaign or ally
                             campaign and its count), the
                             sitemaps (``/sitemap*.xml``)
``ally-<public_id>``         the responses showing that ally    a change of that ally: approval,
                             (its campaign's pages, ``/api/v1/  withdrawal, removal, approved
                             allies/<id>/``)                    edit, proof of its domain
``logo-<digest>``            the files of one processed logo    their deletion (retention)
============================ ================================== ================================

A page with too many allies for one header is named by its campaign alone: an ally's change
purges its campaign too (``keys_for_ally``), which every page about the campaign carries. A logo's
files never change (their names are content hashes), so they are not part of ``site``.

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
CAMPAIGNS_KEY = "campaigns"
HEADERS = ("xkey", "Surrogate-Key", "Cache-Tag")
# Each header stays under this many bytes: Varnish refuses a response with a header above 8 KiB
# (http_resp_hdr_len) and CDNs cap theirs at 16 KiB for all tags. A wall page of 200 allies
# fits; a longer list keeps only the keys that are not an ally's.
MAX_HEADER_BYTES = 4096


def campaign_key(campaign: Campaign) -> str:
    return campaign_id_key(campaign.pk)


def campaign_id_key(pk: int) -> str:
    """``campaign_key`` from the campaign's primary key alone (an endorsement's ``campaign_id``)."""
    return f"campaign-{pk}"


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
    about no single campaign, such as ``embed.js`` or an ally by its id) and each ally on it
    (the page of them shown, not the whole campaign), as endorsements or by their public ids."""
    keys = [SITE_KEY]
    if campaign is not None:
        keys.append(campaign_key(campaign))
    keys.extend(ally_key(endorsement) for endorsement in allies)
    keys.extend(public_id_key(public_id) for public_id in public_ids)
    return list(dict.fromkeys(keys))


def keys_for_ally(endorsement: Endorsement) -> list[str]:
    """What to purge when an ally appears, changes or goes: its campaign's pages and its own."""
    return [campaign_id_key(endorsement.campaign_id), ally_key(endorsement)]


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
