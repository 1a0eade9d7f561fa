// "Copy link" beside the share links (a campaign's page, an approved ally's page) and "Copy the
// code" beside a badge's snippet: shown only where the browser can copy (the Clipboard API);
// without it the link is in the page and the snippet in a read-only field to select. A status
// line near the button says it was copied.
(function () {
  "use strict";
  if (!navigator.clipboard) return;
  function statusFor(button) {
    var around = button.closest(".share, .ally-share");
    return around ? around.querySelector(".copy-status") : null;
  }
  document.querySelectorAll("[data-copy-link], [data-copy-from]").forEach(function (button) {
    if (button.dataset.copyReady) return; // the script is on the page twice
    button.dataset.copyReady = "1";
    button.hidden = false;
    button.addEventListener("click", function () {
      var from = button.getAttribute("data-copy-from");
      var field = from ? document.getElementById(from) : null;
      var text = field ? field.value : button.getAttribute("data-copy-link");
      navigator.clipboard.writeText(text).then(function () {
        var status = statusFor(button);
        if (status) status.textContent = button.getAttribute("data-copied");
      }, function () {
        // Refused (no permission): the field is there to select by hand.
        if (field) field.select();
      });
    });
  });
})();
