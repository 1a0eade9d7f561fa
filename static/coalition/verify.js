/* The verify page's "Check it in this browser" (templates/coalition/verify.html).
 *
 * Fetches the campaign's signed list of signatories, its minisign signature, the registry's
 * public key and the whole public log, then checks, in this browser and with nothing from any
 * other site:
 *   1. the signature, as `minisign -V` does: the key id, the Ed25519 signature of the list's
 *      BLAKE2b-512 ("ED", prehashed; "Ed", of the bytes themselves, is accepted too), and the
 *      global signature over the trusted comment (WebCrypto's Ed25519);
 *   2. the hash chain from entry 1: seq 1, 2, 3… without a gap, each `prev` the hash of the entry
 *      before (64 zeros first), each `hash` the SHA-256 of the entry without `hash` as RFC 8785
 *      canonical JSON;
 *   3. that the list names the log's head, and that replaying the log up to it gives exactly the
 *      list's signatories and their public fields.
 * The result is written into an aria-live region: green with the counts and the key, or red
 * saying what failed. The page's text says how to do the same with minisign and Python.
 *
 * Also loaded by Node in the tests (tests/ledger/test_verify_page.py), which compare
 * `blake2b512` and `canonicalJson` with Python's hashlib and rfc8785.
 */
(function () {
  "use strict";

  // BLAKE2b-512 (RFC 7693), 64-bit words as pairs of 32-bit halves (low, high) -----------------

  const IV = new Uint32Array([
    0xf3bcc908, 0x6a09e667, 0x84caa73b, 0xbb67ae85, 0xfe94f82b, 0x3c6ef372, 0x5f1d36f1,
    0xa54ff53a, 0xade682d1, 0x510e527f, 0x2b3e6c1f, 0x9b05688c, 0xfb41bd6b, 0x1f83d9ab,
    0x137e2179, 0x5be0cd19,
  ]);
  const SIGMA = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
    [14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3],
    [11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4],
    [7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8],
    [9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13],
    [2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9],
    [12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11],
    [13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10],
    [6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5],
    [10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0],
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
    [14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3],
  ];

  // v[a] += (lo, hi), modulo 2^64.
  function add(v, a, lo, hi) {
    const low = v[a] + lo;
    v[a] = low;
    v[a + 1] = v[a + 1] + hi + (low > 0xffffffff ? 1 : 0);
  }

  // v[a] = (v[a] ^ v[b]) rotated right by n (16, 24, 32 or 63) bits.
  function xorRotate(v, a, b, n) {
    const lo = v[a] ^ v[b];
    const hi = v[a + 1] ^ v[b + 1];
    if (n === 32) {
      v[a] = hi;
      v[a + 1] = lo;
    } else if (n === 63) {
      v[a] = (lo << 1) | (hi >>> 31);
      v[a + 1] = (hi << 1) | (lo >>> 31);
    } else {
      v[a] = (lo >>> n) | (hi << (32 - n));
      v[a + 1] = (hi >>> n) | (lo << (32 - n));
    }
  }

  function mix(v, m, a, b, c, d, x, y) {
    a *= 2;
    b *= 2;
    c *= 2;
    d *= 2;
    add(v, a, v[b], v[b + 1]);
    add(v, a, m[x * 2], m[x * 2 + 1]);
    xorRotate(v, d, a, 32);
    add(v, c, v[d], v[d + 1]);
    xorRotate(v, b, c, 24);
    add(v, a, v[b], v[b + 1]);
    add(v, a, m[y * 2], m[y * 2 + 1]);
    xorRotate(v, d, a, 16);
    add(v, c, v[d], v[d + 1]);
    xorRotate(v, b, c, 63);
  }

  function compress(h, block, offset, counted, last) {
    const v = new Uint32Array(32);
    const m = new Uint32Array(32);
    for (let i = 0; i < 16; i++) {
      v[i] = h[i];
      v[i + 16] = IV[i];
    }
    v[24] ^= counted >>> 0;
    v[25] ^= Math.floor(counted / 0x100000000);
    if (last) {
      v[28] = ~v[28];
      v[29] = ~v[29];
    }
    for (let i = 0; i < 32; i++) {
      const at = offset + i * 4;
      m[i] = block[at] | (block[at + 1] << 8) | (block[at + 2] << 16) | (block[at + 3] << 24);
    }
    for (let round = 0; round < 12; round++) {
      const s = SIGMA[round];
      mix(v, m, 0, 4, 8, 12, s[0], s[1]);
      mix(v, m, 1, 5, 9, 13, s[2], s[3]);
      mix(v, m, 2, 6, 10, 14, s[4], s[5]);
      mix(v, m, 3, 7, 11, 15, s[6], s[7]);
      mix(v, m, 0, 5, 10, 15, s[8], s[9]);
      mix(v, m, 1, 6, 11, 12, s[10], s[11]);
      mix(v, m, 2, 7, 8, 13, s[12], s[13]);
      mix(v, m, 3, 4, 9, 14, s[14], s[15]);
    }
    for (let i = 0; i < 16; i++) {
      h[i] ^= v[i] ^ v[i + 16];
    }
  }

  /** The BLAKE2b-512 digest (no key) of `bytes` (a Uint8Array), as 64 bytes. */
  function blake2b512(bytes) {
    const h = new Uint32Array(IV);
    h[0] ^= 0x01010040; // digest length 64, no key, fanout 1, depth 1
    const length = bytes.length;
    const full = length === 0 ? 0 : Math.floor((length - 1) / 128);
    for (let i = 0; i < full; i++) {
      compress(h, bytes, i * 128, (i + 1) * 128, false);
    }
    const tail = new Uint8Array(128);
    tail.set(bytes.subarray(full * 128));
    compress(h, tail, 0, length, true);
    const out = new Uint8Array(64);
    for (let i = 0; i < 16; i++) {
      out[i * 4] = h[i];
      out[i * 4 + 1] = h[i] >>> 8;
      out[i * 4 + 2] = h[i] >>> 16;
      out[i * 4 + 3] = h[i] >>> 24;
    }
    return out;
  }

  // RFC 8785 canonical JSON ----------------------------------------------------------------

  /** `value` as RFC 8785 (JCS) canonical JSON text: object keys sorted by UTF-16 code units
   * (what Array.prototype.sort does), no whitespace, strings and numbers as JSON.stringify
   * writes them (JCS is defined by ECMAScript's serialisation). */
  function canonicalJson(value) {
    if (value === null || typeof value !== "object") {
      if (typeof value === "number" && !Number.isFinite(value)) {
        throw new Error("not a finite number");
      }
      return JSON.stringify(value);
    }
    if (Array.isArray(value)) {
      return "[" + value.map(canonicalJson).join(",") + "]";
    }
    const keys = Object.keys(value).sort();
    return "{" + keys.map((key) => JSON.stringify(key) + ":" + canonicalJson(value[key])).join(",") + "}";
  }

  // Bytes --------------------------------------------------------------------------------

  function hex(bytes) {
    return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
  }

  function fromBase64(text) {
    const binary = atob(text.trim());
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes;
  }

  function concat(a, b) {
    const out = new Uint8Array(a.length + b.length);
    out.set(a);
    out.set(b, a.length);
    return out;
  }

  function equalBytes(a, b) {
    return a.length === b.length && a.every((byte, i) => byte === b[i]);
  }

  // minisign as displayed: the key id's 8 bytes as a little-endian number, in upper-case hex.
  function keyIdText(bytes) {
    return hex(Uint8Array.from(bytes).reverse()).toUpperCase();
  }

  // The checks -----------------------------------------------------------------------------

  class Failure extends Error {
    constructor(message, { retry = false } = {}) {
      super(message);
      // A list and a signature fetched apart may straddle a change: fetched again once.
      this.retry = retry;
    }
  }

  /** The keys in a minisign public key file (the well-known file lists the current one first,
   * then retired ones), as {id, raw}. */
  function parseKeys(text) {
    const keys = [];
    for (const line of text.split(/\r?\n/)) {
      const trimmed = line.trim();
      if (!trimmed || trimmed.startsWith("untrusted comment:") || trimmed.startsWith("#")) continue;
      let blob;
      try {
        blob = fromBase64(trimmed);
      } catch (error) {
        continue;
      }
      if (blob.length === 42 && blob[0] === 0x45 && blob[1] === 0x64) {
        keys.push({ id: blob.subarray(2, 10), raw: blob.subarray(10) });
      }
    }
    return keys;
  }

  function parseSignature(text, messages) {
    const lines = text.split(/\r?\n/);
    if (lines.length < 4 || !lines[2].startsWith("trusted comment: ")) {
      throw new Failure(messages.signatureFormat);
    }
    let blob, global;
    try {
      blob = fromBase64(lines[1]);
      global = fromBase64(lines[3]);
    } catch (error) {
      throw new Failure(messages.signatureFormat);
    }
    const algorithm = String.fromCharCode(blob[0], blob[1]);
    if (blob.length !== 74 || (algorithm !== "ED" && algorithm !== "Ed") || global.length !== 64) {
      throw new Failure(messages.signatureFormat);
    }
    return {
      algorithm,
      keyId: blob.subarray(2, 10),
      signature: blob.subarray(10),
      trustedComment: lines[2].slice("trusted comment: ".length),
      global,
    };
  }

  async function ed25519Verify(raw, signature, message, messages) {
    let key;
    try {
      key = await crypto.subtle.importKey("raw", raw, { name: "Ed25519" }, false, ["verify"]);
    } catch (error) {
      throw new Failure(messages.noEd25519);
    }
    return crypto.subtle.verify({ name: "Ed25519" }, key, signature, message);
  }

  async function checkSignature(listBytes, signatureText, keyText, messages) {
    const keys = parseKeys(keyText);
    if (!keys.length) throw new Failure(messages.keyFormat);
    const signed = parseSignature(signatureText, messages);
    const key = keys.find((candidate) => equalBytes(candidate.id, signed.keyId));
    if (!key) throw new Failure(messages.otherKey.replace("%(key)s", keyIdText(signed.keyId)));
    const message = signed.algorithm === "ED" ? blake2b512(listBytes) : listBytes;
    if (!(await ed25519Verify(key.raw, signed.signature, message, messages))) {
      throw new Failure(messages.badSignature, { retry: true });
    }
    const comment = new TextEncoder().encode(signed.trustedComment);
    if (!(await ed25519Verify(key.raw, signed.global, concat(signed.signature, comment), messages))) {
      throw new Failure(messages.badComment);
    }
    return { keyId: keyIdText(key.id), trustedComment: signed.trustedComment };
  }

  const GENESIS = "0".repeat(64);
  const ENTRY_KEYS = ["ally", "event", "fields", "hash", "prev", "seq", "time"];

  async function sha256Hex(text) {
    const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
    return hex(new Uint8Array(digest));
  }

  /** Check the chain from entry 1; returns the head {seq, hash}. */
  async function checkChain(entries, messages) {
    let seq = 0;
    let head = GENESIS;
    for (const entry of entries) {
      const expected = seq + 1;
      const where = messages.atEntry.replace("%(seq)s", String(expected));
      if (!entry || typeof entry !== "object" || Object.keys(entry).sort().join() !== ENTRY_KEYS.join()) {
        throw new Failure(where + " " + messages.entryKeys);
      }
      if (entry.seq !== expected) throw new Failure(where + " " + messages.entryMissing);
      if (entry.prev !== head) throw new Failure(where + " " + messages.entryPrev);
      const body = Object.assign({}, entry);
      delete body.hash;
      const recomputed = await sha256Hex(canonicalJson(body));
      if (recomputed !== entry.hash) throw new Failure(where + " " + messages.entryHash);
      seq = expected;
      head = recomputed;
    }
    return { seq, hash: head };
  }

  /** The allies the log's entries up to `upTo` leave, by public id, with their fields. */
  function replay(entries, upTo, messages) {
    const allies = new Map();
    for (const entry of entries) {
      if (entry.seq > upTo) break;
      const where = messages.atEntry.replace("%(seq)s", String(entry.seq));
      if (entry.event === "joined") {
        if (allies.has(entry.ally)) throw new Failure(where + " " + messages.replayTwice);
        allies.set(entry.ally, Object.assign({}, entry.fields));
      } else if (entry.event === "changed") {
        if (!allies.has(entry.ally)) throw new Failure(where + " " + messages.replayAbsent);
        Object.assign(allies.get(entry.ally), entry.fields);
      } else if (entry.event === "left") {
        if (!allies.delete(entry.ally)) throw new Failure(where + " " + messages.replayAbsent);
      } else {
        throw new Failure(where + " " + messages.entryKeys);
      }
    }
    return allies;
  }

  // The list's own shape (coalition/ledger/selectors.py): {"log": {"seq", "hash"}, "allies":
  // [{"id", "name", "website", "country", "sector", "logo", "proof", "joined_at"}, ...]}.
  function listAllies(list) {
    return Array.isArray(list.allies) ? list.allies : [];
  }

  function listHead(list) {
    const head = list.log || {};
    return { seq: head.seq, hash: head.hash };
  }

  function allyId(ally) {
    return ally.id;
  }

  function compareWithList(list, replayed, messages) {
    const signatories = listAllies(list);
    const seen = new Set();
    for (const ally of signatories) {
      const id = allyId(ally);
      const logged = replayed.get(id);
      if (!logged) throw new Failure(messages.notInLog.replace("%(ally)s", String(id)));
      for (const [field, value] of Object.entries(logged)) {
        if (canonicalJson(ally[field] === undefined ? null : ally[field]) !== canonicalJson(value)) {
          throw new Failure(messages.fieldDiffers.replace("%(ally)s", String(id)).replace("%(field)s", field));
        }
      }
      seen.add(id);
    }
    for (const id of replayed.keys()) {
      if (!seen.has(id)) throw new Failure(messages.notInList.replace("%(ally)s", String(id)));
    }
    return signatories.length;
  }

  async function fetchOk(url, messages) {
    let response;
    try {
      response = await fetch(url, { credentials: "omit", cache: "no-store" });
    } catch (error) {
      throw new Failure(messages.fetchFailed.replace("%(url)s", url));
    }
    if (!response.ok) throw new Failure(messages.fetchFailed.replace("%(url)s", url));
    return response;
  }

  /** Every entry of the log, following its pages (`next`, or `?after=<last seq>`). */
  async function fetchLog(url, messages) {
    const entries = [];
    let next = url;
    for (let pages = 0; next && pages < 10000; pages++) {
      const page = await (await fetchOk(next, messages)).json();
      const batch = Array.isArray(page) ? page : page.entries || [];
      entries.push(...batch);
      next = !Array.isArray(page) && page.next ? new URL(page.next, url).href : "";
      if (!batch.length) break;
    }
    return entries;
  }

  /** The list's bytes and its checked signature. */
  async function fetchSigned(urls, messages) {
    const [listResponse, signatureResponse, keyResponse] = await Promise.all([
      fetchOk(urls.signatories, messages),
      fetchOk(urls.signature, messages),
      fetchOk(urls.key, messages),
    ]);
    const listBytes = new Uint8Array(await listResponse.arrayBuffer());
    const signed = await checkSignature(
      listBytes,
      await signatureResponse.text(),
      await keyResponse.text(),
      messages
    );
    return { listBytes, signed };
  }

  /** The whole check; resolves to {allies, entries, keyId} or rejects with a Failure. */
  async function verifyAll(urls, messages) {
    let fetched;
    try {
      fetched = await fetchSigned(urls, messages);
    } catch (error) {
      if (!(error instanceof Failure && error.retry)) throw error;
      fetched = await fetchSigned(urls, messages);
    }
    const { listBytes, signed } = fetched;
    let list;
    try {
      list = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(listBytes));
    } catch (error) {
      throw new Failure(messages.listFormat);
    }
    const entries = await fetchLog(urls.log, messages);
    const head = await checkChain(entries, messages);
    const listed = listHead(list);
    // The log may have grown since the list was signed: the list names an entry of it.
    const named = entries.find((entry) => entry.seq === listed.seq);
    if (listed.seq === 0 && listed.hash === GENESIS) {
      // An empty list made before any entry.
    } else if (!named || named.hash !== listed.hash) {
      throw new Failure(messages.headMismatch);
    }
    const count = compareWithList(list, replay(entries, listed.seq, messages), messages);
    return { allies: count, entries: head.seq, keyId: signed.keyId };
  }

  // The page ---------------------------------------------------------------------------------

  function show(region, ok, text, details) {
    region.replaceChildren();
    region.classList.toggle("ok", ok);
    region.classList.toggle("failed", !ok);
    const p = document.createElement("p");
    const strong = document.createElement("strong");
    strong.textContent = text;
    p.append(strong);
    region.append(p);
    if (details) {
      const more = document.createElement("p");
      more.textContent = details;
      region.append(more);
    }
  }

  function format(template, values) {
    return template.replace(/%\((\w+)\)s/g, (match, name) => (name in values ? String(values[name]) : match));
  }

  function start() {
    const button = document.getElementById("verify-in-browser");
    const region = document.getElementById("verify-result");
    const data = document.getElementById("verify-messages");
    if (!button || !region || !data) return;
    const messages = JSON.parse(data.textContent);
    button.hidden = false;
    button.addEventListener("click", async () => {
      button.disabled = true;
      region.classList.remove("ok", "failed");
      region.textContent = messages.checking;
      const urls = {
        signatories: button.dataset.signatories,
        signature: button.dataset.signature,
        key: button.dataset.key,
        log: button.dataset.log,
      };
      try {
        const result = await verifyAll(urls, messages);
        const text = result.allies === 1 ? messages.verifiedOne : messages.verified;
        show(region, true, format(text, { allies: result.allies, entries: result.entries, key: result.keyId }));
      } catch (error) {
        const why = error instanceof Failure ? error.message : messages.unexpected;
        show(region, false, messages.failed, why);
      } finally {
        button.disabled = false;
      }
    });
  }

  if (typeof document !== "undefined") {
    if (document.readyState === "loading") {
      document.addEventListener("DOMContentLoaded", start);
    } else {
      start();
    }
  }
  if (typeof module !== "undefined" && module.exports) {
    module.exports = { blake2b512, canonicalJson, checkChain, replay, hex };
  }
})();
