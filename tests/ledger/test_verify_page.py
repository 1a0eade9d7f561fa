"""The verify page (``/campaigns/<slug>/verify/``): the commands it gives, the Python it prints
(run here against the site's own files, and failing on a tampered log), the claim that plain
``json.dumps`` is RFC 8785 for the log's data, and the in-browser check's own BLAKE2b and
canonical JSON (``static/coalition/verify.js``, run by Node) against Python's."""

from __future__ import annotations

import contextlib
import hashlib
import html
import io
import json
import re
import shutil
import subprocess
import urllib.request
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders

from coalition import services
from coalition.endorsements import edits
from coalition.ledger import chain, signing
from coalition.models import Endorsement
from tests.browser import in_ci
from tests.conftest import csp
from tests.ledger.helpers import approve, entries

Status = Endorsement.Status
VERIFY = "/campaigns/keep-detection/verify/"
NAMES = [
    "Ελληνικό Δίκτυο για τα Παιδιά 🌍",
    'Quote " and back\\slash e.V.',
    "Zeilen\u2028Trenner\ttab",
    "Ünïcödé – “Curly” 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 👩‍👩‍👧",
    "Contrôle\u0007bell",
]


@pytest.fixture
def allies(campaign, make_endorsement, reviewer) -> list[Endorsement]:
    """Five allies with hard names, one of which changed its name and one of which left."""
    approved = [approve(make_endorsement(name=name, country="GR"), reviewer) for name in NAMES]
    renamed = approved[0].organization
    edits.organization_edit_by_reviewer(
        organization=renamed,
        by=reviewer,
        name="Ελληνικό Δίκτυο 🌍 (renamed)",
        website=renamed.website,
        country=str(renamed.country),
        sector=renamed.sector,
        registry_id=renamed.registry_id,
        statements={},
    )
    services.endorsement_withdraw(endorsement=approved[-1])
    return approved


def _python_script(text: str) -> str:
    section = text[text.index('id="python-heading"') :]
    code = re.search(r"<pre[^>]*><code>(.*?)</code></pre>", section, re.S).group(1)
    return html.unescape(code)


def _run_script(script: str, client, tmp_path: Path, monkeypatch, *, log=None) -> str:
    """Run the page's script as a reader would, in a folder holding ``signatories.json``, its
    requests answered by the site (``log``: the pages of the log as served, or altered)."""
    (tmp_path / "signatories.json").write_bytes(
        client.get("/campaigns/keep-detection/signatories.json").content
    )

    def urlopen(url: str):
        path = url.split("testserver", 1)[-1]
        body = log(path) if log else client.get(path).content
        return io.BytesIO(body)

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(urllib.request, "urlopen", urlopen)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(script, "verify-snippet", "exec"), {"__name__": "__main__"})  # noqa: S102
    return out.getvalue()


def test_it_explains_what_is_signed_and_names_the_key(client, campaign, allies):
    response = client.get(VERIFY)
    text = response.content.decode()

    assert response.status_code == 200
    assert "What is signed" in text
    assert signing.key_id() in text
    assert signing.signing_key().public.base64 in text


def test_it_gives_the_exact_commands_with_the_sites_addresses(client, campaign, allies):
    text = html.unescape(client.get(VERIFY).content.decode())

    site = "http://testserver"
    assert f"curl -fsS -o signatories.json {site}/campaigns/keep-detection/signatories.json" in text
    assert (
        f"curl -fsS -o signatories.json.minisig "
        f"{site}/campaigns/keep-detection/signatories.json.minisig"
    ) in text
    assert f"curl -fsS -o coalition-registry.pub {site}/.well-known/coalition-registry.pub" in text
    assert "minisign -V -p coalition-registry.pub -m signatories.json" in text
    assert "Signature and comment signature verified\nTrusted comment: timestamp:" in text


def test_the_printed_python_checks_the_live_log_and_list(
    client, campaign, allies, tmp_path, monkeypatch
):
    script = _python_script(client.get(VERIFY).content.decode())

    out = _run_script(script, client, tmp_path, monkeypatch)

    # Five joined, one changed, one left.
    assert out == "OK: 7 log entries, 4 signatories\n"


@pytest.mark.parametrize(
    ("tamper", "says"),
    [
        (lambda log: log[2]["fields"].update(name="Padding Inc."), "entry 3 was altered"),
        (lambda log: log.pop(1), "entry 2 is missing or out of order"),
        (lambda log: log.insert(0, log.pop(1)), "entry 1 is missing or out of order"),
    ],
    ids=["altered", "deleted", "reordered"],
)
def test_the_printed_python_stops_at_a_tampered_log(
    client, campaign, allies, tmp_path, monkeypatch, tamper, says
):
    script = _python_script(client.get(VERIFY).content.decode())
    log = entries(campaign)
    tamper(log)

    def served(path: str) -> bytes:
        return json.dumps({"entries": log, "next": None}).encode()

    with pytest.raises(AssertionError, match=says):
        _run_script(script, client, tmp_path, monkeypatch, log=served)


def test_the_printed_python_stops_when_the_log_does_not_lead_to_the_list(
    client, campaign, allies, tmp_path, monkeypatch
):
    script = _python_script(client.get(VERIFY).content.decode())
    # A log whose last entry (the withdrawal) was never written: rebuilt as a valid chain.
    log = entries(campaign)[:-1]
    signed = json.loads(client.get("/campaigns/keep-detection/signatories.json").content)
    signed["log"] = {"seq": len(log), "hash": log[-1]["hash"]}
    (tmp_path / "signatories.json").write_text(json.dumps(signed), encoding="utf-8")

    def served(path: str) -> bytes:
        return json.dumps({"entries": log, "next": None}).encode()

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(urllib.request, "urlopen", lambda url: io.BytesIO(served(url)))
    with pytest.raises(AssertionError, match="replaying the log does not give the signed list"):
        exec(compile(script, "verify-snippet", "exec"), {"__name__": "__main__"})  # noqa: S102


def test_json_dumps_as_printed_gives_rfc_8785_bytes_for_real_entries(campaign, allies):
    log = entries(campaign)
    assert len(log) == 7

    for entry in log:
        body = {key: value for key, value in entry.items() if key != "hash"}
        plain = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        assert plain.encode("utf-8") == chain.canonical_json(body)
        assert hashlib.sha256(plain.encode("utf-8")).hexdigest() == entry["hash"]


def test_the_button_runs_a_script_of_this_site_only(client, campaign, allies):
    response = client.get(VERIFY)
    text = response.content.decode()

    scripts = re.findall(r"<script\b[^>]*>", text)
    assert '<script src="/static/coalition/verify.js" defer>' in scripts
    others = [tag for tag in scripts if "verify.js" not in tag]
    assert others == ['<script id="verify-messages" type="application/json">']
    assert "'unsafe-inline'" not in csp(response).get("script-src", [])
    # Without JavaScript the button stays hidden: the instructions are the page.
    assert re.search(r'<button type="button" class="button" id="verify-in-browser" hidden', text)
    assert 'aria-live="polite"' in text


@pytest.mark.parametrize(
    ("language", "says"),
    [("fr", "Vérifier la liste des signataires"), ("de", "Die Liste der Unterzeichner prüfen")],
)
def test_it_reads_in_french_and_german(client, campaign, allies, language, says):
    text = client.get(f"/{language}{VERIFY}").content.decode()

    assert says in text
    assert "minisign -V -p coalition-registry.pub -m signatories.json" in text


def test_an_unknown_campaign_has_no_verify_page(client, campaign):
    assert client.get("/campaigns/nothing-here/verify/").status_code == 404


def test_it_is_cached_under_its_campaign(client, campaign, allies):
    first = client.get(VERIFY)
    again = client.get(VERIFY)

    assert again["X-Cache"] == "hit"
    assert f"campaign-{campaign.pk}" in first["xkey"].split()


# The script's own cryptography, run by Node ---------------------------------------------------


def _node() -> str:
    node = shutil.which("node")
    if node is None:
        if in_ci():
            pytest.fail("CI: node is missing", pytrace=False)
        pytest.skip("node is missing")
    return node


def _run_node(code: str) -> str:
    script = finders.find("coalition/verify.js")
    program = f"const v = require({json.dumps(script)});\n{code}"
    return subprocess.run(
        [_node(), "-e", program], capture_output=True, text=True, check=True, timeout=60
    ).stdout


def test_the_scripts_blake2b_is_pythons_for_every_block_boundary():
    lengths = [0, 1, 111, 127, 128, 129, 255, 256, 257, 1000, 70_000]
    out = _run_node(
        f"const lengths = {json.dumps(lengths)};\n"
        "const digests = lengths.map((n) => {\n"
        "  const bytes = new Uint8Array(n);\n"
        "  for (let i = 0; i < n; i++) bytes[i] = (i * 31 + 7) & 255;\n"
        "  return v.hex(v.blake2b512(bytes));\n"
        "});\n"
        "console.log(JSON.stringify(digests));"
    )

    expected = [
        hashlib.blake2b(bytes((i * 31 + 7) & 255 for i in range(n)), digest_size=64).hexdigest()
        for n in lengths
    ]
    assert json.loads(out) == expected


def test_the_scripts_canonical_json_is_rfc_8785_for_real_entries(campaign, allies):
    log = entries(campaign)
    bodies = [{key: value for key, value in entry.items() if key != "hash"} for entry in log]
    # Keys outside the BMP and above it sort by UTF-16 code units in RFC 8785.
    bodies.append({"\U0001f600": 1, "\ufb01": 2, "a": [None, True, -3, "\u0000\u001f"]})

    out = _run_node(
        f"const bodies = {json.dumps(bodies)};\n"
        "console.log(JSON.stringify(bodies.map(v.canonicalJson)));"
    )

    assert [text.encode("utf-8") for text in json.loads(out)] == [
        chain.canonical_json(body) for body in bodies
    ]
