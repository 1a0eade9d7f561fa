"""``manage.py verify_coalition URL``: check a campaign's signed list of signatories from a
running site, trusting only what it serves (and, with ``--key``, a public key you hold).

It fetches the list, its minisign signature, the site's public key
(``/.well-known/coalition-registry.pub``) and the whole log, then checks the signature, the hash
chain from entry 1, that the list names the log's last entry, and that replaying the log gives
exactly the list's allies and fields (``coalition.ledger.verification``). Exit 0 with a summary;
1 saying each mismatch; 2 when something could not be fetched.
"""

from __future__ import annotations

import logging
import re
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx
from django.core.management import BaseCommand, CommandError

from coalition.ledger import signing, verification

# A campaign's page, in any language, or any address under it (its letter, a proof page).
CAMPAIGN_PATH = re.compile(r"^(?:/[a-z]{2}(?:-[a-z]+)?)?/campaigns/(?P<slug>[-\w]+)(?:/|$)")
# A log longer than this many pages is refused rather than followed forever.
MAX_PAGES = 10_000
USER_AGENT = "coalition-registry verify_coalition"


class Fetcher:
    def __init__(self, client: httpx.Client) -> None:
        self.client = client

    def get(self, url: str) -> httpx.Response:
        try:
            response = self.client.get(url)
        except httpx.HTTPError as error:
            raise CommandError(f"could not fetch {url}: {error}", returncode=2) from error
        if response.status_code != 200:
            detail = response.text[:300].strip()
            raise CommandError(
                f"{url} answered {response.status_code}: {detail}", returncode=2
            ) from None
        return response

    def json(self, url: str) -> Any:
        response = self.get(url)
        try:
            return response.json()
        except ValueError as error:
            raise CommandError(f"{url} is not JSON: {error}", returncode=2) from error


def addresses(url: str, campaign: str | None) -> tuple[str, str]:
    """The site's origin and the campaign's slug, from a campaign page's address (or a site's
    address and ``--campaign``)."""
    parts = urlsplit(url if "://" in url else f"https://{url}")
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise CommandError(f"not a web address: {url!r}", returncode=2)
    origin = f"{parts.scheme}://{parts.netloc}"
    match = CAMPAIGN_PATH.match(parts.path or "/")
    slug = campaign or (match.group("slug") if match else None)
    if not slug:
        raise CommandError(
            "give a campaign's page (https://site/campaigns/<slug>/) or the site with "
            "--campaign <slug>",
            returncode=2,
        )
    return origin, slug


def fetch_log(fetcher: Fetcher, first: str) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = []
    url: str | None = first
    pages = 0
    while url:
        pages += 1
        if pages > MAX_PAGES:
            raise CommandError(f"the log has more than {MAX_PAGES} pages", returncode=2)
        page = fetcher.json(url)
        if not isinstance(page, dict) or not isinstance(page.get("entries"), list):
            raise CommandError(f"{url} is not a page of the log", returncode=2)
        entries.extend(page["entries"])
        following = page.get("next")
        if following and not page["entries"]:
            raise CommandError(f"{url} is empty but names a next page", returncode=2)
        url = urljoin(url, following) if following else None
    return entries


class Command(BaseCommand):
    help = (
        "Check a campaign's signed list of signatories on a running site: its minisign "
        "signature, the public log's hash chain, and that replaying the log gives the list. "
        "URL: the campaign's page, e.g. https://example.org/campaigns/keep-detection/"
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("url", help="The campaign's page (or the site, with --campaign).")
        parser.add_argument("--campaign", help="The campaign's slug, when URL is the site.")
        parser.add_argument(
            "--key",
            help="A minisign public key file you trust (from the letter or the docs): the list "
            "must be signed with it, whatever the site serves.",
        )
        parser.add_argument("--timeout", type=float, default=10.0, help="Seconds per request.")

    def handle(self, *args, url: str, campaign: str | None, key: str | None, **options) -> None:
        # One line per request from httpx would bury the verdict.
        logging.getLogger("httpx").setLevel(logging.WARNING)
        origin, slug = addresses(url, campaign)
        base = f"{origin}/campaigns/{slug}"
        timeout = httpx.Timeout(options["timeout"], connect=min(options["timeout"], 5.0))
        with httpx.Client(
            timeout=timeout, follow_redirects=True, headers={"User-Agent": USER_AGENT}
        ) as client:
            fetcher = Fetcher(client)
            keys_text = fetcher.get(f"{origin}/.well-known/coalition-registry.pub").text
            try:
                keys = signing.public_keys_parse(keys_text)
            except signing.SignatureInvalid as error:
                raise CommandError(f"the site's public key: {error}", returncode=1) from error
            if key:
                keys = self._pinned(key, keys)
            report = self._check(fetcher, base, keys)
        if not report.ok:
            lines = "\n".join(f"  - {problem}" for problem in report.problems)
            raise CommandError(f"{base}/signatories.json does NOT verify:\n{lines}", returncode=1)
        self.stdout.write(
            f"OK {base}/signatories.json: {report.allies} allies, signed by key "
            f"{report.key_id} ({report.trusted_comment}); generated {report.generated_at}; "
            f"the log's {report.head[0]} entries chain from the first to {report.head[1]} and "
            "replay to exactly this list."
        )

    def _pinned(self, path: str, served: list[signing.PublicKey]) -> list[signing.PublicKey]:
        try:
            with open(path, encoding="ascii") as file:
                pinned = signing.public_key_parse(file.read())
        except (OSError, UnicodeDecodeError, signing.SignatureInvalid) as error:
            raise CommandError(f"--key {path}: {error}", returncode=2) from error
        if served and served[0].key_id != pinned.key_id:
            self.stderr.write(
                f"note: the site serves key {served[0].key_id_text}, not your key "
                f"{pinned.key_id_text}"
            )
        return [pinned]

    def _check(
        self, fetcher: Fetcher, base: str, keys: list[signing.PublicKey]
    ) -> verification.Report:
        # A change between fetching the list and the log makes them disagree by no fault: the
        # list is fetched again once if the log has moved past it.
        for attempt in range(2):
            report = verification.Report()
            document = fetcher.get(f"{base}/signatories.json").content
            signature = fetcher.get(f"{base}/signatories.json.minisig").text
            verification.check_signature(document, signature, keys, report)
            data = verification.parse_document(document, report)
            if data is None:
                return report
            entries = fetch_log(fetcher, f"{base}/log.json")
            verification.check_list(data, entries, report)
            moved_on = len(entries) > data["log"].get("seq", 0) and report.problems
            if not moved_on or attempt == 1:
                return report
        return report
