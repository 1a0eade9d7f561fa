// The logo's file input (templates/coalition/_logo_field.html): a file larger than the server
// takes is refused here, before it is sent, with the server's own words beside the field; the
// chosen logo is previewed. Without this script the server refuses it after the upload.
(function () {
  "use strict";
  document.querySelectorAll("[data-logo-preview-for]").forEach(function (preview) {
    var input = document.getElementById(preview.getAttribute("data-logo-preview-for"));
    if (!input || !input.files) return;
    var field = input.closest(".field") || input.parentNode;
    var limit = parseInt(input.getAttribute("data-max-bytes"), 10);
    var errorId = input.id + "_too_large";
    var describedBy = input.getAttribute("aria-describedby") || "";
    var shown = null; // the object URL of the logo in the preview

    function clearPreview() {
      if (shown) URL.revokeObjectURL(shown);
      shown = null;
      preview.replaceChildren();
      preview.hidden = true;
    }

    function clearError() {
      var error = document.getElementById(errorId);
      if (error) error.remove();
      if (!field.querySelector(".errors")) {
        field.classList.remove("has-error");
        input.removeAttribute("aria-invalid");
      }
      input.setAttribute("aria-describedby", describedBy);
      if (!describedBy) input.removeAttribute("aria-describedby");
    }

    function showError(message) {
      var list = document.createElement("ul");
      list.className = "errors";
      list.id = errorId;
      list.setAttribute("role", "alert");
      var item = document.createElement("li");
      item.textContent = message;
      list.appendChild(item);
      field.appendChild(list);
      field.classList.add("has-error");
      input.setAttribute("aria-invalid", "true");
      input.setAttribute("aria-describedby", (describedBy + " " + errorId).trim());
    }

    input.addEventListener("change", function () {
      clearError();
      clearPreview();
      var file = input.files[0];
      if (!file) return;
      if (limit && file.size > limit) {
        // Emptied, so that the form cannot send the file only to have it refused.
        input.value = "";
        showError(input.getAttribute("data-too-large"));
        return;
      }
      var image = document.createElement("img");
      shown = URL.createObjectURL(file);
      image.alt = input.getAttribute("data-preview-alt") || "";
      image.addEventListener("error", clearPreview); // not a picture the browser can show
      image.src = shown;
      preview.appendChild(image);
      preview.hidden = false;
    });
  });
})();
