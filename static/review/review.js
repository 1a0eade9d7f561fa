/* The reviewers' workspace: keyboard shortcuts, and on a decision screen the claim kept while
   the reviewer acts and news of another reviewer's decision. Everything works without it. */
(function () {
  "use strict";
  var root = document.querySelector(".review[data-page]");
  if (!root) return;
  var page = root.getAttribute("data-page");
  // The reviewer's choice (review/shortcuts.py): single keys, with Alt, or off (WCAG 2.2 SC 2.1.4).
  var keys = root.getAttribute("data-keys") || "single";

  // The shortcuts are listed only where they work: with this script.
  Array.prototype.forEach.call(document.querySelectorAll("[data-shortcuts]"), function (el) {
    el.hidden = false;
  });

  function typing(target) {
    if (!target || !target.closest) return false;
    return !!target.closest("input, textarea, select, [contenteditable=''], [contenteditable='true']");
  }

  function go(selector) {
    var link = document.querySelector(selector);
    if (link) window.location.assign(link.href);
  }

  function moveInQueue(step) {
    var links = Array.prototype.slice.call(document.querySelectorAll("[data-row-link]"));
    if (!links.length) return;
    var index = links.indexOf(document.activeElement);
    var next = index === -1 ? (step > 0 ? 0 : links.length - 1) : index + step;
    if (next < 0 || next >= links.length) return;
    links[next].focus();
    links[next].closest("tr").scrollIntoView({ block: "nearest" });
  }

  function approve() {
    var form = document.querySelector("[data-approve]");
    if (!form) return;
    var tick = form.querySelector("input[type=checkbox]");
    if (tick && !tick.checked) {
      // The evidence asks for a tick first: bring it to the reviewer rather than submit.
      tick.focus();
      form.reportValidity();
      return;
    }
    if (form.requestSubmit) form.requestSubmit(); else form.submit();
  }

  function reject() {
    var details = document.querySelector("[data-reject]");
    if (!details) return;
    details.open = true;
    var reason = details.querySelector("input[type=radio]:checked") ||
      details.querySelector("input[type=radio], select");
    if (reason) reason.focus();
  }

  // The shortcut an event is, as the reviewer set them; "" for any other key.
  function shortcut(event) {
    if (keys === "off" || event.ctrlKey || event.metaKey) return "";
    if (keys === "alt") {
      if (!event.altKey || event.shiftKey) return "";
      if (/^[a-z]$/.test(event.key)) return event.key;
      // With Alt a Mac types another character (Option+a is "å"): the key's place names it.
      var match = /^Key([A-Z])$/.exec(event.code || "");
      return match ? match[1].toLowerCase() : "";
    }
    return event.altKey ? "" : event.key;
  }

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || typing(event.target)) return;
    var key = shortcut(event);
    if (!key) return;
    if (page === "queue") {
      if (key === "j") { moveInQueue(1); event.preventDefault(); }
      else if (key === "k") { moveInQueue(-1); event.preventDefault(); }
      return;
    }
    if (page !== "decision") return;
    if (key === "a") { event.preventDefault(); approve(); }
    else if (key === "r") { event.preventDefault(); reject(); }
    else if (key === "j") { event.preventDefault(); go("[data-next]"); }
    else if (key === "k") { event.preventDefault(); go("[data-previous]"); }
  });

  if (page !== "decision") return;

  var statusUrl = root.getAttribute("data-status-url");
  var claimUrl = root.getAttribute("data-claim-url");
  var shownStatus = root.getAttribute("data-status");
  var pollSeconds = parseInt(root.getAttribute("data-poll-seconds"), 10) || 20;
  var mine = root.hasAttribute("data-claim-mine");
  var outcome = document.querySelector("[data-outcome]");
  var controls = document.querySelector("[data-controls]");
  var claimBox = document.querySelector("[data-claim-box]");
  var claimText = document.querySelector("[data-claim-text]");
  var tokenInput = document.querySelector("input[name=csrfmiddlewaretoken]");

  function show(state) {
    if (state.status !== shownStatus && state.outcome) {
      outcome.textContent = state.outcome;
      outcome.hidden = false;
      if (controls) controls.hidden = true;
    }
    if (mine && state.claim && !state.claim.mine) {
      // Someone took it over: say so, and leave the decision to them unless taken back.
      mine = false;
      claimText.textContent = state.claim.text + ".";
      claimBox.classList.add("claim-other");
      if (controls) controls.hidden = true;
    }
  }

  function ask(method) {
    var options = { method: method, credentials: "same-origin", headers: { Accept: "application/json" } };
    if (method === "POST") options.headers["X-CSRFToken"] = tokenInput ? tokenInput.value : "";
    return fetch(method === "POST" ? claimUrl : statusUrl, options)
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (state) { if (state) show(state); })
      .catch(function () { /* offline for a moment: the next poll tries again */ });
  }

  // The claim is renewed while the reviewer acts (at most once a minute), never by an idle tab.
  var lastRenewal = Date.now();
  function acted() {
    if (!mine || Date.now() - lastRenewal < 60000) return;
    lastRenewal = Date.now();
    ask("POST");
  }
  ["keydown", "pointerdown", "input", "scroll"].forEach(function (name) {
    document.addEventListener(name, acted, { passive: true });
  });

  window.setInterval(function () { if (!document.hidden) ask("GET"); }, pollSeconds * 1000);
  window.addEventListener("focus", function () { ask("GET"); });
  document.addEventListener("visibilitychange", function () { if (!document.hidden) ask("GET"); });
})();
