// Tự cập nhật số liệu trang điều hành (the operations centre's overview refreshes its figures).
//
// Every data-refresh seconds the page's figures (ioc/_live.html, ?fragment=1) are fetched and
// each <section> that changed is swapped in place; nothing else moves. For screen readers and
// keyboard users (WCAG 2.2.1 timing adjustable, 2.2.2 pause, 4.1.3 status messages):
// - a section holding the keyboard focus is left as it is until the focus leaves it;
// - open "Xem bảng số liệu" tables stay open;
// - only the "Cập nhật lúc HH:MM" line is a live region (role=status, polite), changed only
//   when some figure changed; a check with no change is written beside it, not announced;
// - the viewer can pause it (the button), and it pauses itself while the tab is hidden.
// Without JavaScript the page is a plain page with a "Làm mới" link. A static file: the
// Content-Security-Policy (core/csp.py) allows scripts from this origin only, none inline.
(function () {
  "use strict";
  var box = document.getElementById("ioc-refresh");
  var live = document.getElementById("ioc-live");
  if (!box || !live || !window.fetch || !window.DOMParser) { return; }
  var seconds = parseInt(box.getAttribute("data-refresh"), 10) || 60;
  var url = box.getAttribute("data-fragment");
  var button = box.querySelector("button");
  var note = document.getElementById("ioc-refresh-note");
  var updated = document.getElementById("ioc-updated");
  var checked = document.getElementById("ioc-checked");
  var text = function (name, at) { return (box.getAttribute("data-" + name) || "%s").replace("%s", at); };
  var paused = false;
  var timer = null;
  var busy = false;
  var lastCheck = Date.now();
  // what the server last sent for each section: the page's own DOM changes as people use it
  // (a <details> opened), so "changed" is judged on what was received, not on what is shown
  var received = {};

  function sections(root) {
    var found = {};
    var list = root.querySelectorAll("section[id]");
    for (var i = 0; i < list.length; i += 1) { found[list[i].id] = list[i]; }
    return found;
  }

  (function remember() {
    var shown = sections(live);
    for (var id in shown) { if (shown.hasOwnProperty(id)) { received[id] = shown[id].innerHTML; } }
  }());

  function holdsFocus(node) {
    return node.contains(document.activeElement) && document.activeElement !== document.body;
  }

  function replace(old, html) {
    var open = [];
    var details = old.querySelectorAll("details");
    for (var i = 0; i < details.length; i += 1) { open.push(details[i].open); }
    old.innerHTML = html;
    details = old.querySelectorAll("details");
    for (var j = 0; j < details.length && j < open.length; j += 1) { details[j].open = open[j]; }
  }

  function apply(doc) {
    var fresh = sections(doc);
    var shown = sections(live);
    var changed = 0;
    var sameSet = Object.keys(fresh).join() === Object.keys(shown).join();
    if (!sameSet) {
      // a ranking appeared or went away: the whole block, unless the focus is in it
      if (holdsFocus(live)) { return -1; }
      live.innerHTML = doc.body.innerHTML;
      received = {};
      shown = sections(live);
      for (var k in shown) { if (shown.hasOwnProperty(k)) { received[k] = shown[k].innerHTML; } }
      return 1;
    }
    for (var id in fresh) {
      if (!fresh.hasOwnProperty(id) || received[id] === fresh[id].innerHTML) { continue; }
      if (holdsFocus(shown[id])) { continue; }  // next round, once the focus has moved on
      replace(shown[id], fresh[id].innerHTML);
      received[id] = fresh[id].innerHTML;
      changed += 1;
    }
    return changed;
  }

  function schedule() {
    window.clearTimeout(timer);
    timer = null;
    if (!paused && document.visibilityState !== "hidden") {
      timer = window.setTimeout(refresh, seconds * 1000);
    }
  }

  function refresh() {
    if (busy) { return; }
    busy = true;
    lastCheck = Date.now();
    window.fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (response) {
        // signed out meanwhile: the sign-in page is not the figures
        if (!response.ok || response.redirected) { throw new Error(String(response.status)); }
        return response.text();
      })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        var stamp = doc.getElementById("ioc-stamp");
        var at = stamp ? stamp.getAttribute("data-at") : "";
        if (apply(doc) > 0) {
          updated.textContent = text("updated", at);
          checked.textContent = "";
        } else {
          checked.textContent = text("checked", at);
        }
      })
      .catch(function () {
        var now = new Date();
        var at = ("0" + now.getHours()).slice(-2) + ":" + ("0" + now.getMinutes()).slice(-2);
        checked.textContent = text("failed", at);
      })
      .then(function () { busy = false; schedule(); });
  }

  function label() {
    button.textContent = text(paused ? "resume" : "pause", "");
    if (note) { note.hidden = paused; }
  }

  button.hidden = false;
  label();
  button.addEventListener("click", function () {
    paused = !paused;
    label();
    if (paused) { schedule(); } else { refresh(); }
  });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") {
      schedule();  // clears the timer: nothing is fetched for a tab nobody sees
    } else if (!paused) {
      if (Date.now() - lastCheck >= seconds * 1000) { refresh(); } else { schedule(); }
    }
  });
  schedule();
}());
