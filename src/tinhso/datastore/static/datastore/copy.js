/* "Sao chép" beside each shared link of a stored document's page.
 *
 * Progressive enhancement: without this script the buttons stay hidden and the link is a
 * read-only text box the person selects and copies. Messages come from the page (data-*
 * attributes), already translated. */
(function () {
  "use strict";

  function copy(box) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(box.value);
    }
    return new Promise(function (resolve, reject) {
      box.focus();
      box.select();
      try {
        if (document.execCommand("copy")) { resolve(); } else { reject(); }
      } catch (e) {
        reject(e);
      }
    });
  }

  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    var box = document.getElementById(button.dataset.copy);
    var status = document.getElementById(button.dataset.status);
    if (!box || !status) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      copy(box).then(function () {
        status.textContent = button.dataset.copied;
      }, function () {
        box.focus();
        box.select();
        status.textContent = button.dataset.failed;
      });
    });
  });
}());
