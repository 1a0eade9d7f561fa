vcl 4.1;

# Varnish 7 in front of Coalition Registry's gunicorn (README: "Deploying", "Varnish in front").
#
# It keeps only what the app marks public (Cache-Control: public: the walls, embeds, embed.js,
# the wall images, feeds, the API, the processed logos) and passes everything else. Each rule
# below has its test in tests/publishing/test_varnish.py, which runs this file with only the backend line
# changed.
#
# Purging: the app sends `PURGE /` with an `xkey-purge: <key> <key>…` header after every public
# change (coalition/publishing/purges.py); the keys are those of the `xkey` response header
# (coalition/publishing/cache_keys.py). Only the `purgers` ACL may purge.
#
# The cache key: a public page's query string is cut down to the parameters it reads, sorted, so
# that tracking parameters (utm_*, fbclid, a partner's ref…) and made-up ones make no copy of
# their own; the block between BEGIN and END is written from the app's list by `manage.py
# vcl_parameters` (coalition/web/public_parameters.py). Text is stored gzipped, once, and
# unzipped for the rare client that does not take gzip (http_gzip_support, on by default).

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

# BEGIN public parameters
# Written by `manage.py vcl_parameters` from coalition/web/public_parameters.py: edit
# the lists there and run it, never this block by hand.
sub coalition_public_parameters {
    if (req.url !~ "\?") {
        return;
    }
    # The tracking parameters, for a redirect to carry on (vcl_deliver).
    set req.http.X-Coalition-Carried = regsub(regsuball(
        regsub(req.url, "^[^?]*\?", "&"),
        "&(?!(?:utm_[^=&]*|fbclid|gclid|gbraid|wbraid|dclid|msclkid|yclid|twclid|igshid|li_fat_id|mc_cid|mc_eid|_hsenc|_hsmi|ref_src|ref)(?:[=&]|$))[^&]*", ""), "^&", "");
    if (req.http.X-Coalition-Carried == "") {
        unset req.http.X-Coalition-Carried;
    }
    # Every parameter after an &, to take them out one by one.
    set req.url = regsub(req.url, "\?", "?&");
    if (req.url ~ "^/(?:(?:fr|de)/)?(?:campaigns/[-a-zA-Z0-9_]+/)?\?") {
        # The campaign's page and its wall.
        set req.url = regsuball(req.url, "&(?!(?:country|sector|search|q|verified|order|ordering|page)(?:[=&]|$))[^&]*", "");
    } elsif (req.url ~ "^/(?:(?:fr|de)/)?campaigns/[-a-zA-Z0-9_]+/wall\.(?:svg|png)\?") {
        # The wall as a picture.
        set req.url = regsuball(req.url, "&(?!(?:country|sector|search|q|verified|order|ordering|page|theme|lang|columns|names|count)(?:[=&]|$))[^&]*", "");
    } elsif (req.url ~ "^/(?:(?:fr|de)/)?campaigns/[-a-zA-Z0-9_]+/map\.svg\?") {
        # The map.
        set req.url = regsuball(req.url, "&(?!(?:country|sector|search|q|verified|order|ordering|page)(?:[=&]|$))[^&]*", "");
    } elsif (req.url ~ "^/(?:(?:fr|de)/)?campaigns/[-a-zA-Z0-9_]+/letter(?:/|\.pdf)\?") {
        # The letter.
        set req.url = regsuball(req.url, "&(?!(?:country|sector|search|q|verified|lang|logos)(?:[=&]|$))[^&]*", "");
    } elsif (req.url ~ "^/(?:(?:fr|de)/)?campaigns/[-a-zA-Z0-9_]+/embed/\?") {
        # The embed builder.
        set req.url = regsuball(req.url, "&(?!(?:country|sector|search|q|verified|order|ordering|page|theme|lang|columns|names|count|height|ref)(?:[=&]|$))[^&]*", "");
    } elsif (req.url ~ "^/(?:(?:fr|de)/)?campaigns/[-a-zA-Z0-9_]+/(?:feed/|share\.png)\?") {
        # The feed and the share card.
        set req.url = regsub(req.url, "\?.*$", "");
    } elsif (req.url ~ "^/(?:(?:fr|de)/)?campaigns/[-a-zA-Z0-9_]+/(?:allies/[0-9a-f]{1,12}/|verify/)\?") {
        # An ally's proof page and the verify page.
        set req.url = regsub(req.url, "\?.*$", "");
    } elsif (req.url ~ "^/embed/[-a-zA-Z0-9_]+/\?") {
        # An embed.
        set req.url = regsuball(req.url, "&(?!(?:country|sector|search|q|verified|order|ordering|page|theme|lang|columns|names|count)(?:[=&]|$))[^&]*", "");
    } elsif (req.url ~ "^/campaigns/[-a-zA-Z0-9_]+/badge/[^/?]+\.svg\?") {
        # An ally's badge.
        set req.url = regsuball(req.url, "&(?!(?:theme|lang)(?:[=&]|$))[^&]*", "");
    } elsif (req.url ~ "^/(?:embed\.js|theme/[0-9a-f]{6}\.css|favicon\.ico|static/[^?]*|media/(?:logos|heroes)/[^?]*)\?") {
        # embed.js, a campaign's colours, the favicon, static files, logos.
        set req.url = regsub(req.url, "\?.*$", "");
    } elsif (req.url ~ "^/(?:robots\.txt|sitemap(?:-[a-z]+)?\.xml)\?") {
        # robots.txt and the sitemaps.
        set req.url = regsuball(req.url, "&(?!(?:p)(?:[=&]|$))[^&]*", "");
    } elsif (req.url ~ "^/oembed\?") {
        # The oEmbed answer.
        set req.url = regsuball(req.url, "&(?!(?:url|format|maxwidth|maxheight)(?:[=&]|$))[^&]*", "");
    } elsif (req.url ~ "^/api/v1/allies/\?") {
        # The API's allies.
        set req.url = regsuball(req.url, "&(?!(?:campaign|country|sector|search|q|verified|order|ordering|page|page_size|lang|format)(?:[=&]|$))[^&]*", "");
    } elsif (req.url ~ "^/api/v1/facets/\?") {
        # The API's facets.
        set req.url = regsuball(req.url, "&(?!(?:campaign|country|sector|search|q|verified|lang|format)(?:[=&]|$))[^&]*", "");
    } elsif (req.url ~ "^/api/v1/(?:allies/[^/?]+/|campaigns/(?:[-a-zA-Z0-9_]+/)?)\?") {
        # The API's ally and campaigns.
        set req.url = regsuball(req.url, "&(?!(?:lang|format)(?:[=&]|$))[^&]*", "");
    } else {
        # Any other page: only the tracking parameters go.
        set req.url = regsuball(req.url, "&(?=(?:utm_[^=&]*|fbclid|gclid|gbraid|wbraid|dclid|msclkid|yclid|twclid|igshid|li_fat_id|mc_cid|mc_eid|_hsenc|_hsmi|ref_src|ref)(?:[=&]|$))[^&]*", "");
    }
    set req.url = std.querysort(regsub(req.url, "\?&", "?"));
    set req.url = regsub(req.url, "\?$", "");
}
# END public parameters

sub vcl_recv {
    if (req.restarts == 0) {
        # Set below when the backend failed on a first try; never taken from a client.
        unset req.http.X-Coalition-Grace;
        # Set by coalition_public_parameters, for vcl_deliver; never taken from a client.
        unset req.http.X-Coalition-Carried;
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
        || req.url ~ "^/([a-z]{2}/)?(apply|manage|review|confirm|not-us|resend|unsubscribe)(/|\?|$)"
        || req.url ~ "^/([a-z]{2}/)?campaigns/[^/?]+/apply(/|\?|$)") {
        return (pass);
    }
    # A signed-in reviewer sees the same public pages, but whatever the app answers them is theirs.
    if (req.http.Cookie ~ "(^|;\s*)sessionid=") {
        return (pass);
    }

    # Only what the page reads makes a copy of its own (once: a restart keeps the URL).
    if (req.restarts == 0) {
        call coalition_public_parameters;
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

sub vcl_backend_fetch {
    unset bereq.http.X-Coalition-Carried;
}

sub vcl_backend_response {
    if (bereq.uncacheable) {
        return (deliver);
    }
    if (beresp.status >= 500 || beresp.status == 429) {
        # An error where a copy could be kept: drop it. A background refresh so keeps the last
        # good copy; a client waiting for this fetch is restarted to get it (vcl_synth). A 429
        # (one client over the API's limit) is no answer for anyone else either: stored as
        # "not cacheable" it would send every request past the last good copy for a minute.
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
    # The app names what each public response shows (coalition/publishing/cache_keys.py); one it did not
    # name (a static file) goes with everything, so that no purge can miss it.
    if (!beresp.http.xkey) {
        set beresp.http.xkey = "site";
    }
    # s-maxage (or max-age) from the app is the TTL; the last good copy is kept a day longer.
    set beresp.grace = 24h;
    # Text is kept gzipped (the app compresses what it marks public; this is for what it did
    # not): one copy, unzipped on the way out for a client that does not accept gzip. Only
    # what is cached: what is passed (a form and its CSRF token) goes out as the app sent it.
    if (!beresp.http.Content-Encoding && beresp.http.Content-Type ~ "^(?:text/|application/(?:json|javascript|ecmascript|xml|[-.\w]+\+(?:json|xml))|image/svg\+xml)") {
        set beresp.do_gzip = true;
    }
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
    # A redirect (the first visit's language, a missing slash) passes on the tracking
    # parameters that the lookup left out, so that the page it leads to still has them.
    if (req.http.X-Coalition-Carried && resp.status >= 300 && resp.status < 400
        && resp.http.Location) {
        if (resp.http.Location ~ "\?") {
            set resp.http.Location = resp.http.Location + "&" + req.http.X-Coalition-Carried;
        } else {
            set resp.http.Location = resp.http.Location + "?" + req.http.X-Coalition-Carried;
        }
    }
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
    # The purge keys are for this cache (xkey) and for a CDN put in its place (Surrogate-Key,
    # Cache-Tag), never for a visitor: on a page of 200 allies they are 10.9 KB of headers on
    # every answer, more than half of the embed's gzipped body (docs/performance.md). A CDN
    # in front of this Varnish, purging by tag, would keep its own header here.
    unset resp.http.xkey;
    unset resp.http.Surrogate-Key;
    unset resp.http.Cache-Tag;
}
