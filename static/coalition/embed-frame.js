// Inside the embed: tell the page around us how tall we are, so that it can fit the iframe.
// Only a height leaves this frame, so any page may hear it.
//
// WordPress (wp-includes/js/wp-embed.js) puts the frame in a sandbox (allow-scripts only: no
// popups, no navigating the page) with a secret in its address (#?secret=…), and listens only to
// messages carrying that secret: {message: "height", value} sizes the frame (200 to 1000
// pixels), {message: "link", value} takes the page to an address of the frame's own host, if
// the frame has the focus (the visitor clicked in it). So there we post our height its way too,
// again when it says it is ready, and send the links that leave the frame as "link" messages.
(function () {
  "use strict";
  if (window.parent === window) return;
  var root = document.querySelector(".embed-root");
  if (!root) return;
  var found = /[#?&]secret=([A-Za-z0-9]+)/.exec(location.hash);
  var secret = found ? found[1] : "";
  var last = 0;
  function post(again) {
    var height = Math.ceil(root.getBoundingClientRect().height);
    if (height === last && !again) return;
    last = height;
    window.parent.postMessage({ type: "coalition-wall:height", height: height }, "*");
    if (secret) window.parent.postMessage({ message: "height", value: height, secret: secret }, "*");
  }
  if (window.ResizeObserver) new ResizeObserver(function () { post(false); }).observe(root);
  window.addEventListener("load", function () { post(false); });
  post(false);
  if (!secret) return;

  window.addEventListener("message", function (event) {
    var data = event.data;
    if (event.source === window.parent && data && data.message === "ready" && data.secret === secret) {
      post(true);
    }
  });

  // A link that leaves the wall (for a new tab, or to another of our pages, which refuse to be
  // framed) cannot open from the sandbox: WordPress opens it in the page instead. It goes only
  // to addresses of this site, so an ally's own site is reached through its entry on the
  // campaign's page (data-page), where its link works. The wall's own pages stay in the frame.
  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("a[href]") : null;
    if (!link || event.defaultPrevented || event.button !== 0) return;
    if (event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) return;
    var url = new URL(link.href, location.href);
    var inside = url.host === location.host && url.pathname === location.pathname;
    if (inside && link.target !== "_blank") return;
    if (url.host !== location.host) {
      var ally = link.closest(".ally[id]");
      if (!ally || !root.getAttribute("data-page")) return;
      url = new URL(root.getAttribute("data-page"), location.href);
      url.hash = ally.id;
    }
    if (url.protocol !== "https:" && url.protocol !== "http:") return;
    event.preventDefault();
    window.parent.postMessage({ message: "link", value: url.href, secret: secret }, "*");
  });
})();
