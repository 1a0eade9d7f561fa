vcl 4.1;

# Varnish 7 in front of Coalition Registry's gunicorn (README: "Deploying", "Varnish in front").
#
# It keeps only what the app marks public (Cache-Control: public: the walls, embeds, embed.js,
# the wall images, feeds, the API, the processed logos) and passes everything else. Each rule
# below has its test in tests/test_varnish.py, which runs this file with only the backend line
# changed.
#
# Purging: the app sends `PURGE /` with an `xkey-purge: <key> <key>…` header after every public
# change (coalition/purge.py); the keys are those of the `xkey` response header
# (coalition/cache_keys.py). Only the `purgers` ACL may purge.

import cookie;
import std;
import xkey;

backend default {
    # Where gunicorn listens: the one line a deployment changes.
    .host = "127.0.0.1"; .port = "8000";
    .connect_timeout = 2s;
    # A page that takes longer than this is answered from the last good copy, if there is one.
    .first_byte_timeout = 15s;
    .between_bytes_timeout = 10s;
    # A static file: WhiteNoise answers it before the database, the session or the Host check
    # are involved, so the probe says whether gunicorn answers at all. The header keeps
    # SECURE_SSL_REDIRECT from redirecting it when the app is BEHIND_HTTPS_PROXY.
    .probe = {
        .request =
            "GET /static/coalition/favicon.svg HTTP/1.1"
            "Host: localhost"
            "X-Forwarded-Proto: https"
            "User-Agent: Varnish health probe"
            "Connection: close";
        .interval = 2s;
        .timeout = 2s;
        .window = 3;
        .threshold = 2;
        .initial = 2;
    }
}

# Who may purge: the app, on this machine.
acl purgers {
    "127.0.0.1";
    "::1";
}

# Where the TLS proxy in front connects from: this machine.
acl proxies {
    "127.0.0.1";
    "::1";
}

sub vcl_recv {
    if (req.restarts == 0) {
        # Set below when the backend failed on a first try; never taken from a client.
        unset req.http.X-Coalition-Grace;
    }

    if (req.method == "PURGE") {
        # The app purges from this machine, directly. The TLS proxy connects from this machine
        # too: what comes through it carries its X-Forwarded-* headers, and is refused.
        if (client.ip !~ purgers || req.http.X-Forwarded-For ~ ","
            || req.http.X-Forwarded-Proto) {
            return (synth(403, "Forbidden"));
        }
        if (!req.http.xkey-purge) {
            return (synth(400, "Missing xkey-purge header"));
        }
        # Soft: the objects are stale at once (no one is served them while the backend is
        # healthy, see req.grace below) but kept as the last good copy for an outage.
        set req.http.X-Purged = xkey.softpurge(req.http.xkey-purge);
        return (synth(200, "Purged " + req.http.X-Purged));
    }

    # Varnish has appended the address it saw to X-Forwarded-For. When that is the TLS proxy in
    # front, on this machine, take it off again: the app (BEHIND_HTTPS_PROXY) takes the last
    # address for the client's, for its rate limits, and must find the one the proxy saw.
    if (req.restarts == 0 && client.ip ~ proxies && req.http.X-Forwarded-For ~ ",") {
        set req.http.X-Forwarded-For = regsub(req.http.X-Forwarded-For, ",[^,]*$", "");
    }

    if (req.method != "GET" && req.method != "HEAD") {
        return (pass);
    }
    if (req.http.Authorization) {
        return (pass);
    }
    # Staff, applicants and their private links: never from a cache, cookies untouched.
    if (req.url ~ "^/(admin|review|language)(/|\?|$)"
        || req.url ~ "^/([a-z]{2}/)?(apply|manage|review|confirm|not-us|resend)(/|\?|$)"
        || req.url ~ "^/([a-z]{2}/)?campaigns/[^/?]+/apply(/|\?|$)") {
        return (pass);
    }
    # A signed-in reviewer sees the same public pages, but whatever the app answers them is theirs.
    if (req.http.Cookie ~ "(^|;\s*)sessionid=") {
        return (pass);
    }

    # The language cookie is the only one a public page depends on (the language of unprefixed
    # pages and embeds); the rest (csrftoken…) would only split the cache.
    if (req.http.Cookie) {
        cookie.parse(req.http.Cookie);
        cookie.keep("coalition_language");
        set req.http.Cookie = cookie.get_string();
        if (req.http.Cookie == "") {
            unset req.http.Cookie;
        }
    }

    # Accept-Language counts only through the language the app picks from it (Vary), and the
    # raw header differs from browser to browser: keep just that language, so that all readers
    # of one language share one copy. It is the first of the site's languages (LANGUAGES in
    # coalition/settings.py) in the order the header lists them, as browsers list them by
    # preference, else "en" (LANGUAGE_CODE): what the app picks from any header a browser sends.
    # The app gets the header as rewritten here, so a copy always matches its key.
    if (req.http.Accept-Language) {
        set req.http.Accept-Language = std.tolower(regsub(req.http.Accept-Language,
            "(?i)^(?:[^,]*,)*?\s*(en|fr|de)(?:-[a-z0-9]+)*\s*(?:;[^,]*)?(?:,.*)?$", "\1"));
        if (req.http.Accept-Language !~ "^(en|fr|de)$") {
            set req.http.Accept-Language = "en";
        }
    }

    # While the backend answers, a purged or expired copy is never served: a change shows
    # within a second. While it is down (the probe), or after it failed this very request
    # (vcl_synth), any copy is, up to a day old (beresp.grace).
    if (std.healthy(req.backend_hint) && !req.http.X-Coalition-Grace) {
        set req.grace = 0s;
    } else {
        set req.grace = 24h;
    }
    return (hash);
}

sub vcl_hash {
    hash_data(req.url);
    if (req.http.Host) {
        hash_data(req.http.Host);
    } else {
        hash_data(server.ip);
    }
    # Absolute links follow the scheme the site is reached with.
    hash_data(req.http.X-Forwarded-Proto);
    # Embeds follow the language cookie without saying so in Vary: keep the languages apart.
    hash_data(req.http.Cookie);
    return (lookup);
}

sub vcl_backend_response {
    if (bereq.uncacheable) {
        return (deliver);
    }
    if (beresp.status >= 500) {
        # An error where a copy could be kept: drop it. A background refresh so keeps the last
        # good copy; a client waiting for this fetch is restarted to get it (vcl_synth).
        if (bereq.is_bgfetch || !bereq.http.X-Coalition-Grace) {
            return (abandon);
        }
        # There was no copy either: the error as the app gave it, remembered by nobody.
        set beresp.ttl = 0s;
        set beresp.uncacheable = true;
        return (deliver);
    }
    # Only what the app marks public, and never anything that sets a cookie.
    if (beresp.http.Set-Cookie
        || beresp.http.Cache-Control !~ "(^|,)\s*public\s*(,|$)"
        || beresp.http.Cache-Control ~ "(private|no-store|no-cache)"
        || beresp.http.Vary == "*") {
        # Remembered as "not cacheable" for a while, so that requests are not queued behind it.
        set beresp.uncacheable = true;
        set beresp.ttl = 60s;
        return (deliver);
    }
    # The app names what each public response shows (coalition/cache_keys.py); one it did not
    # name (a static file) goes with everything, so that no purge can miss it.
    if (!beresp.http.xkey) {
        set beresp.http.xkey = "site";
    }
    # s-maxage (or max-age) from the app is the TTL; the last good copy is kept a day longer.
    set beresp.grace = 24h;
    return (deliver);
}

sub vcl_backend_error {
    # Unreachable or too slow: as for a 5xx above.
    if (!bereq.uncacheable && (bereq.is_bgfetch || !bereq.http.X-Coalition-Grace)) {
        return (abandon);
    }
}

sub vcl_synth {
    # The fetch a client waited for failed: try once more, accepting the last good copy.
    if (resp.status == 503 && req.restarts == 0
        && (req.method == "GET" || req.method == "HEAD")) {
        set req.http.X-Coalition-Grace = "1";
        return (restart);
    }
}

sub vcl_deliver {
    if (obj.uncacheable) {
        set resp.http.X-Cache = "PASS";
    } else if (obj.hits > 0) {
        set resp.http.X-Cache = "HIT";
    } else {
        set resp.http.X-Cache = "MISS";
    }
    if (obj.hits > 0 && obj.ttl <= 0s) {
        set resp.http.X-Cache = "HIT STALE";
    }
}
