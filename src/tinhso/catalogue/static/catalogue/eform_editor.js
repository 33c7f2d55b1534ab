// The e-form editor's live preview: the form's schema and layout, posted as the
// administrator types, come back as the rendered form or the list of problems.
(function () {
  var form = document.getElementById("ef-form");
  if (!form) return;
  var url = form.dataset.previewUrl;
  var timer = null;
  function refresh() {
    fetch(url, {method: "POST", body: new FormData(form), credentials: "same-origin"})
      .then(function (r) { return r.json(); })
      .then(function (data) {
        var box = document.getElementById("ef-problems");
        box.textContent = "";
        if (data.problems.length) {
          var ul = document.createElement("ul");
          data.problems.forEach(function (p) {
            var li = document.createElement("li");
            li.textContent = p;
            ul.appendChild(li);
          });
          box.appendChild(ul);
        } else {
          document.getElementById("ef-preview").innerHTML = data.html;
        }
      });
  }
  form.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(refresh, 400);
  });
})();
