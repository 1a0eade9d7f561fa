// Where a visitor came from goes on the Sign on link here, in their browser: the ref and UTM
// parameters of the address this page was opened at (a partner's embed has its data-ref there),
// named by the link's data-carry. The page itself is the same bytes for every visitor, one copy
// in every cache, whatever link brought them. Without this script, the form reads them from the
// Referer instead (coalition/endorsements/sources.py).
(function () {
  "use strict";
  var given = new URLSearchParams(location.search);
  document.querySelectorAll("a[data-carry]").forEach(function (link) {
    var url = new URL(link.getAttribute("href"), location.href);
    link.getAttribute("data-carry").split(" ").forEach(function (name) {
      // The last value, as the server reads a repeated parameter.
      var values = given.getAll(name);
      var value = values.length ? values[values.length - 1].trim() : "";
      if (name && value) url.searchParams.set(name, value);
    });
    if (url.origin === location.origin) link.setAttribute("href", url.pathname + url.search + url.hash);
  });
})();
