// Officials' queue: keyboard shortcuts and acting on a row without a page reload.
// Without this script every form still posts and redirects back (progressive enhancement).
(function () {
  "use strict";
  var table = document.querySelector("table.queue");
  if (!table) return;
  var index = -1;
  function rows() { return Array.prototype.slice.call(table.tBodies[0].rows); }
  function select(i) {
    var all = rows();
    if (!all.length) return;
    index = Math.max(0, Math.min(all.length - 1, i));
    all.forEach(function (r) { r.classList.remove("selected"); });
    all[index].classList.add("selected");
    all[index].focus();
  }
  function bind(form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var row = form.closest("tr");
      fetch(form.action, {
        method: "POST",
        body: new FormData(form),
        headers: { "X-Requested-With": "fetch" },
        credentials: "same-origin"
      }).then(function (response) { return response.text(); }).then(function (html) {
        var holder = document.createElement("tbody");
        holder.innerHTML = html.trim();
        var fresh = holder.firstElementChild;
        if (fresh && row) {
          row.replaceWith(fresh);
          fresh.querySelectorAll("form.row-action").forEach(bind);
          fresh.focus();
        }
      }).catch(function () { form.submit(); });
    });
  }
  table.querySelectorAll("form.row-action").forEach(bind);
  document.addEventListener("keydown", function (event) {
    var tag = (event.target.tagName || "").toLowerCase();
    if (tag === "input" || tag === "select" || tag === "textarea" || event.ctrlKey || event.metaKey || event.altKey) return;
    var all = rows();
    var row = all[index];
    if (event.key === "j") { select(index + 1); event.preventDefault(); }
    else if (event.key === "k") { select(index - 1); event.preventDefault(); }
    else if (event.key === "Enter" && row && event.target === row) {
      var link = row.querySelector("a"); if (link) { link.click(); event.preventDefault(); }
    } else if (event.key === "x" && row) {
      var box = row.querySelector("input[type=checkbox]"); if (box) { box.checked = !box.checked; }
    } else if (event.key === "a" && row) {
      var button = row.querySelector("form.row-action button"); if (button) { button.click(); }
    } else if (/^[1-7]$/.test(event.key)) {
      var tab = document.querySelector('.queues a[data-key="' + event.key + '"]'); if (tab) { tab.click(); }
    }
  });
})();
