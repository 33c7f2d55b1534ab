// Tự tải lại trang điều hành sau số giây ghi ở data-refresh; người xem có thể tạm dừng
// (WCAG 2.2.1: thời gian điều chỉnh được). A static file: the CSP allows no inline script.
(function () {
  "use strict";
  var box = document.getElementById("ioc-refresh");
  if (!box) { return; }
  var seconds = parseInt(box.getAttribute("data-refresh"), 10) || 300;
  var button = box.querySelector("button");
  var status = box.querySelector("[role=status]");
  var timer = null;
  function start() {
    timer = window.setTimeout(function () { window.location.reload(); }, seconds * 1000);
    button.textContent = "Tạm dừng tự tải lại";
    button.setAttribute("aria-pressed", "false");
    status.textContent = "Trang tự tải lại sau " + seconds + " giây.";
  }
  function stop() {
    window.clearTimeout(timer);
    timer = null;
    button.textContent = "Bật lại tự tải lại";
    button.setAttribute("aria-pressed", "true");
    status.textContent = "Đã tạm dừng tự tải lại.";
  }
  button.hidden = false;
  button.addEventListener("click", function () { if (timer) { stop(); } else { start(); } });
  start();
}());
