// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";

  // Ask before destructive actions (forms carrying data-confirm).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
      return;
    }
    // Prevent double submissions on slow links.
    var buttons = form.querySelectorAll("button[type=submit]");
    window.setTimeout(function () {
      buttons.forEach(function (b) { b.disabled = true; b.setAttribute("aria-busy", "true"); });
    }, 0);
  });

  // Coming back through the history cache: buttons work again.
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("button[aria-busy=true]").forEach(function (b) {
      b.disabled = false;
      b.removeAttribute("aria-busy");
    });
  });

  // Show the chosen poster before uploading (a data: URL, which the CSP allows).
  document.querySelectorAll("input[type=file][data-preview]").forEach(function (input) {
    var target = document.getElementById(input.getAttribute("data-preview"));
    if (!target || !window.FileReader) { return; }
    input.addEventListener("change", function () {
      var file = input.files && input.files[0];
      if (!file || !/^image\/(png|jpeg|webp)$/.test(file.type)) {
        target.hidden = true;
        return;
      }
      var reader = new FileReader();
      reader.onload = function () { target.src = reader.result; target.hidden = false; };
      reader.readAsDataURL(file);
    });
  });

  // One-time API token: select it all on focus, ready to copy.
  document.querySelectorAll("[data-select-on-focus]").forEach(function (field) {
    field.addEventListener("focus", function () { field.select(); });
  });
})();
