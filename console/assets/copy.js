// Copy buttons: a button with data-copy="ID" copies the text of element ID.
// The buttons are hidden in the HTML and shown here, so that without
// JavaScript there is no button that does nothing.
"use strict";
document.querySelectorAll("button[data-copy]").forEach(function (button) {
  var target = document.getElementById(button.dataset.copy);
  var status = button.parentElement.querySelector(".copy-status");
  if (!target || !navigator.clipboard) {
    return;
  }
  button.hidden = false;
  button.addEventListener("click", function () {
    navigator.clipboard.writeText(target.textContent.trim()).then(function () {
      if (status) status.textContent = "Copied.";
    }, function () {
      if (status) status.textContent = "Could not copy: select the key and copy it yourself.";
    });
  });
});
// A page restored from the back-forward cache would show the secret again:
// replace it before it is seen.
window.addEventListener("pageshow", function (event) {
  if (!event.persisted) {
    return;
  }
  document.querySelectorAll(".secret-text").forEach(function (el) {
    el.textContent = "(hidden: a key is shown only once)";
  });
  document.querySelectorAll("button[data-copy]").forEach(function (b) {
    b.hidden = true;
  });
});
