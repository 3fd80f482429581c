// A page that comes back with a form's errors: focus the first field in error (or the error
// summary when the error is not about one field), so that keyboard and screen-reader users
// start where the correction is needed. The summary's links move the focus to their field.
document.addEventListener("DOMContentLoaded", function () {
  var summary = document.querySelector("[data-error-summary]");
  if (!summary) {
    return;
  }
  var form = summary.closest("form") || document;
  var field = form.querySelector(".has-error input, .has-error select, .has-error textarea");
  (field || summary).focus();
  summary.addEventListener("click", function (event) {
    var link = event.target.closest("a[href^='#']");
    var target = link && document.getElementById(link.getAttribute("href").slice(1));
    if (target) {
      event.preventDefault();
      target.focus();
    }
  });
});
