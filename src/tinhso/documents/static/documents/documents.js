/* Long checkbox lists (recipients) get a filter box: type part of a name, with or without
 * diacritics, and only the matching entries stay visible. Without script the whole list
 * scrolls inside its box. The box's label comes from the page (data-filter-label). */
(function () {
  "use strict";
  function fold(text) {
    return (text || "").replace(/đ/g, "d").replace(/Đ/g, "D").normalize("NFD")
      .replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }
  document.querySelectorAll(".field.many[data-filter-label]").forEach(function (field, n) {
    var list = field.querySelector('div[id^="id_"]');
    if (!list) { return; }
    var labels = list.querySelectorAll("label");
    if (labels.length < 8) { return; }
    var input = document.createElement("input");
    input.type = "search";
    input.id = "loc-" + n;
    input.className = "choice-filter";
    input.setAttribute("aria-label", field.dataset.filterLabel);
    input.placeholder = field.dataset.filterLabel;
    input.setAttribute("aria-controls", list.id);
    list.insertAdjacentElement("beforebegin", input);
    input.addEventListener("input", function () {
      var wanted = fold(input.value.trim());
      labels.forEach(function (label) {
        var row = label.parentElement === list ? label : label.parentElement;
        row.hidden = wanted !== "" && fold(label.textContent).indexOf(wanted) < 0;
      });
    });
  });
}());
