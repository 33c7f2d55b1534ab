// Upload with a progress bar; without JavaScript the form posts normally.
(function () {
  "use strict";
  document.querySelectorAll("form[data-upload]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      var input = form.querySelector("input[type=file]");
      if (!window.FormData || !input || !input.files.length) { return; }
      event.preventDefault();
      var bar = form.querySelector("progress");
      var status = form.querySelector(".upload-status");
      var button = form.querySelector("button[type=submit]");
      var request = new XMLHttpRequest();
      bar.hidden = false; bar.value = 0; button.disabled = true;
      form.dataset.sending = "1";
      status.textContent = "Đang tải lên…";
      request.upload.addEventListener("progress", function (e) {
        if (e.lengthComputable) {
          var percent = Math.round((e.loaded / e.total) * 100);
          bar.value = percent;
          // at 100% the server still checks the file: say so rather than look stuck
          status.textContent = percent < 100 ? "Đang tải lên: " + percent + "%"
            : "Đã gửi xong, đang kiểm tra tệp…";
        }
      });
      request.addEventListener("load", function () {
        var body = {};
        try { body = JSON.parse(request.responseText); } catch (e) { body = {errors: ["Không tải lên được tệp."]}; }
        var errors = body.errors || [];
        if (body.added) { window.location.reload(); return; }
        delete form.dataset.sending;
        bar.hidden = true; button.disabled = false;
        status.textContent = errors.join(" ");
        status.classList.add("ef-error");
        input.value = "";
        input.focus();  // the button was disabled under the focus: give it back to the picker
      });
      request.addEventListener("error", function () {
        delete form.dataset.sending;
        bar.hidden = true; button.disabled = false;
        status.textContent = "Mất kết nối khi tải lên; các tệp đã tải lên trước đó vẫn được giữ. Vui lòng thử lại.";
      });
      request.open("POST", form.action);
      request.setRequestHeader("Accept", "application/json");
      request.send(new FormData(form));
    });
  });

  // A file chosen but not yet sent would be lost by "Tiếp tục": say so and lead to its button.
  var next = document.querySelector("form[data-continue]");
  if (next) {
    next.addEventListener("submit", function (event) {
      var waiting = Array.prototype.filter.call(
        document.querySelectorAll("form[data-upload] input[type=file]"),
        function (input) { return input.files && input.files.length; }
      );
      if (!waiting.length) { return; }
      event.preventDefault();
      var notice = next.querySelector("[data-pending]");
      notice.hidden = false;
      var sending = waiting.filter(function (input) { return input.form.dataset.sending; });
      if (sending.length) {
        // the upload is on its way: the page reloads with the file once the server has it
        notice.textContent = "Tệp đang được tải lên, xin đợi trong giây lát rồi bấm «Tiếp tục».";
        return;
      }
      notice.textContent = "Ông/Bà đã chọn tệp nhưng chưa bấm «Tải lên», nên tệp chưa được gửi. " +
        "Hãy bấm «Tải lên» cạnh tệp đã chọn rồi bấm «Tiếp tục».";
      var details = waiting[0].closest("details");
      if (details) { details.open = true; }
      waiting[0].form.querySelector("button[type=submit]").focus();
    });
  }
})();
