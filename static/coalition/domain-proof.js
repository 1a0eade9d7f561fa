// While a domain check is waiting for the worker, ask every few seconds whether it is done, and
// show the result by reloading the page. Without this script, a refresh does the same.
(function () {
  "use strict";
  var status = document.querySelector("[data-domain-check-status]");
  if (!status || !window.fetch) return;
  var url = status.getAttribute("data-domain-check-status");
  var asked = 0;
  var MAX_ASKS = 40; // about two minutes: past that, the page's own words say to refresh
  function later(delay) {
    if (asked < MAX_ASKS) window.setTimeout(ask, delay);
  }
  function ask() {
    asked += 1;
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin", cache: "no-store" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (answer) {
        if (answer && answer.pending === false) {
          window.location.reload();
        } else {
          later(3000);
        }
      })
      .catch(function () { later(6000); });
  }
  later(1500);
})();
