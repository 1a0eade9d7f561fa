// Inside the embed: tell the page around us how tall we are, so that it can fit the iframe.
// Only a height leaves this frame, so any page may hear it.
(function () {
  "use strict";
  if (window.parent === window) return;
  var root = document.querySelector(".embed-root");
  if (!root) return;
  var last = 0;
  function post() {
    var height = Math.ceil(root.getBoundingClientRect().height);
    if (height === last) return;
    last = height;
    window.parent.postMessage({ type: "coalition-wall:height", height: height }, "*");
  }
  if (window.ResizeObserver) new ResizeObserver(post).observe(root);
  window.addEventListener("load", post);
  post();
})();
