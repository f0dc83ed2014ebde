// Copy buttons: <button data-copy="ID" data-copied="message" hidden> copies the value of the
// input with that id. The buttons stay hidden without JavaScript (the input can still be
// selected and copied by hand); #copy-status announces the result to screen readers.
(function () {
  "use strict";
  var status = document.getElementById("copy-status");

  function say(text) {
    if (status) {
      status.textContent = text;
    }
  }

  function copyBySelection(input) {
    input.focus();
    input.select();
    try {
      return document.execCommand("copy");
    } catch (error) {
      return false;
    }
  }

  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    var input = document.getElementById(button.getAttribute("data-copy"));
    if (!input) {
      return;
    }
    var copied = button.getAttribute("data-copied") || "";
    button.hidden = false;
    button.addEventListener("click", function () {
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(input.value).then(
          function () { say(copied); },
          function () { if (copyBySelection(input)) { say(copied); } }
        );
      } else if (copyBySelection(input)) {
        say(copied);
      }
    });
  });
})();
