/* Coalition Registry wall embed: <div data-coalition-wall data-campaign="slug"> becomes an
   iframe of /embed/slug/ that grows to fit its content. No dependencies. */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !script.src) return;
  var origin = new URL(script.src, location.href).origin;
  var names = ["country", "sector", "q", "order", "theme", "lang", "columns", "names", "count", "ref"];
  var frames = [];

  function build(el) {
    if (el.getAttribute("data-coalition-wall-ready")) return;
    el.setAttribute("data-coalition-wall-ready", "1");
    var campaign = el.getAttribute("data-campaign") || "";
    var url = new URL("/embed/" + encodeURIComponent(campaign) + "/", origin);
    names.forEach(function (name) {
      var value = el.getAttribute("data-" + name);
      if (value) url.searchParams.set(name, value);
    });
    var frame = document.createElement("iframe");
    frame.src = url.href;
    frame.title = el.getAttribute("data-title") || "Organizations that stand together";
    frame.setAttribute("loading", "lazy");
    frame.style.width = "100%";
    frame.style.border = "0";
    frame.style.display = "block";
    frame.style.height = (parseInt(el.getAttribute("data-height"), 10) || 400) + "px";
    el.appendChild(frame);
    frames.push(frame);
  }

  window.addEventListener("message", function (event) {
    var data = event.data;
    if (event.origin !== origin || !data || data.type !== "coalition-wall:height") return;
    var height = Math.ceil(Number(data.height));
    if (!(height > 0 && height < 100000)) return;
    for (var i = 0; i < frames.length; i++) {
      if (frames[i].contentWindow === event.source) frames[i].style.height = height + "px";
    }
  });

  function start() {
    var found = document.querySelectorAll("[data-coalition-wall]");
    for (var i = 0; i < found.length; i++) build(found[i]);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
