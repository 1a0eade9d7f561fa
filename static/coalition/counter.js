// Live character counter for fields marked data-counter; the form works without it.
(function () {
  "use strict";
  document.querySelectorAll("[data-counter-for]").forEach(function (output) {
    var field = document.getElementById(output.getAttribute("data-counter-for"));
    if (!field) return;
    var max = parseInt(field.getAttribute("maxlength"), 10);
    var template = output.getAttribute("data-template") || "{n} / {max}";
    function update() {
      var n = Array.from(field.value).length;
      output.textContent = template.replace("{n}", n).replace("{max}", max);
      output.classList.toggle("over", n > max);
    }
    output.hidden = false;
    field.addEventListener("input", update);
    update();
  });
})();
