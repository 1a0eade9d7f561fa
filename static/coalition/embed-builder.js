// The embed builder without a round trip: keeps the preview and both snippets in step with the
// form, and copies a snippet with one click. Without it, the form's "Update" button does the same.
(function () {
  "use strict";
  var form = document.getElementById("builder-form");
  if (!form) return;
  var site = form.getAttribute("data-site-url");
  var embedPath = form.getAttribute("data-embed-path");
  var campaign = form.getAttribute("data-campaign");
  var preview = document.getElementById("preview");
  var scriptBox = document.getElementById("snippet-script");
  var iframeBox = document.getElementById("snippet-iframe");
  var status = document.querySelector(".copy-status");
  // The same canonical form as the server's: defaults left out, several values comma-separated.
  var order = ["country", "sector", "q", "order", "theme", "lang", "columns", "names", "count", "ref"];
  var defaults = { q: "", order: "name", theme: "light", lang: "", columns: "0", names: "1", count: "1", ref: "" };

  function values() {
    var result = {};
    order.forEach(function (name) {
      var fields = form.querySelectorAll('[name="' + name + '"]');
      var chosen = [];
      fields.forEach(function (field) {
        if (field.type === "hidden") return;
        if (field.type === "checkbox" && (name === "names" || name === "count")) {
          chosen = [field.checked ? "1" : "0"];
        } else if (field.type === "checkbox" || field.type === "radio") {
          if (field.checked) chosen.push(field.value);
        } else if (field.value.trim()) {
          chosen.push(field.value.trim());
        }
      });
      var value = chosen.join(",");
      if (value && value !== defaults[name]) result[name] = value;
    });
    return result;
  }

  function escapeHtml(text) {
    return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
  }

  function update() {
    var chosen = values();
    var query = new URLSearchParams();
    Object.keys(chosen).forEach(function (name) { query.set(name, chosen[name]); });
    var search = query.toString() ? "?" + query.toString() : "";
    if (preview.getAttribute("src") !== embedPath + search) preview.setAttribute("src", embedPath + search);
    var attributes = ' data-campaign="' + escapeHtml(campaign) + '"';
    Object.keys(chosen).forEach(function (name) {
      attributes += " data-" + name + '="' + escapeHtml(chosen[name]) + '"';
    });
    scriptBox.value = "<div data-coalition-wall" + attributes + "></div>\n" +
      '<script src="' + escapeHtml(site + "/embed.js") + '" async></' + "script>";
    var height = parseInt(form.querySelector('[name="height"]').value, 10) || 600;
    var title = iframeBox.value.match(/title="([^"]*)"/);
    iframeBox.value = '<iframe src="' + escapeHtml(site + embedPath + search) + '" title="' +
      (title ? title[1] : "") + '" width="100%" height="' + height +
      '" loading="lazy" style="border:0;max-width:100%"></iframe>';
  }

  form.addEventListener("input", update);
  form.addEventListener("change", update);

  // The preview is our own embed: let it grow to its content as embed.js would.
  window.addEventListener("message", function (event) {
    var data = event.data;
    if (event.origin !== location.origin || event.source !== preview.contentWindow) return;
    if (data && data.type === "coalition-wall:height" && data.height > 0) {
      preview.style.height = Math.min(Math.ceil(data.height), 5000) + "px";
    }
  });

  document.querySelectorAll("[data-copy]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      var box = document.getElementById(button.getAttribute("data-copy"));
      function done(ok) { status.textContent = status.getAttribute(ok ? "data-copied" : "data-failed"); }
      box.select();
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(box.value).then(function () { done(true); }, function () { done(false); });
      } else {
        var ok = false;
        try { ok = document.execCommand("copy"); } catch (error) { ok = false; }
        done(ok);
      }
    });
  });
})();
