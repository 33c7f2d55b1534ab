/* The report form on a phone: "Dùng vị trí của tôi" and the commune search list.
 *
 * Progressive enhancement: without this script the form has a text box with the communes as
 * a datalist (the server accepts typed names, with or without diacritics) and no position.
 * Messages come from the page (data-* attributes), already translated. */
(function () {
  "use strict";

  function fold(text) {
    return (text || "")
      .replace(/đ/g, "d").replace(/Đ/g, "D")
      .normalize("NFD").replace(/[\u0300-\u036f]/g, "")
      .toLowerCase().replace(/[^a-z0-9]+/g, " ").trim();
  }

  var commune = document.getElementById("id_commune");

  /* --- only the chosen category's extra questions (all of them without script) ---------- */
  var category = document.getElementById("id_category");
  if (category) {
    var showQuestions = function () {
      document.querySelectorAll("fieldset.questions").forEach(function (group) {
        group.hidden = group.dataset.category !== category.value;
      });
    };
    category.addEventListener("change", showQuestions);
    showQuestions();
  }

  /* --- the position ------------------------------------------------------------------- */
  var box = document.getElementById("vi-tri");
  if (box && "geolocation" in navigator) {
    var lat = document.getElementById("id_lat");
    var lon = document.getElementById("id_long");
    var status = document.getElementById("vi-tri-trang-thai");
    var use = document.getElementById("dung-vi-tri");
    var clear = document.getElementById("bo-vi-tri");
    box.hidden = false;
    use.addEventListener("click", function () {
      status.textContent = box.dataset.busy;
      use.disabled = true;
      navigator.geolocation.getCurrentPosition(function (position) {
        lat.value = position.coords.latitude.toFixed(6);
        lon.value = position.coords.longitude.toFixed(6);
        clear.hidden = false;
        use.disabled = false;
        var url = box.dataset.lookup + "?lat=" + lat.value + "&long=" + lon.value;
        fetch(url, { headers: { Accept: "application/json" } })
          .then(function (r) { return r.ok ? r.json() : { commune: null }; })
          .catch(function () { return { commune: null }; })
          .then(function (data) {
            if (data.commune) {
              if (commune) { commune.value = data.commune; }
              status.textContent = box.dataset.found + " " + data.commune + ".";
            } else {
              status.textContent = box.dataset.unknown;
            }
          });
      }, function () {
        use.disabled = false;
        status.textContent = box.dataset.denied;
      }, { enableHighAccuracy: true, timeout: 20000, maximumAge: 60000 });
    });
    clear.addEventListener("click", function () {
      lat.value = "";
      lon.value = "";
      clear.hidden = true;
      status.textContent = box.dataset.cleared;
      use.focus();
    });
  }

  /* --- the commune search list (an ARIA combobox over the datalist's names) ------------- */
  var source = document.getElementById("xa-phuong");
  if (!commune || !source) { return; }
  var names = Array.prototype.map.call(source.options, function (o) {
    return { name: o.value, key: o.dataset.key || fold(o.value) };
  });
  var list = document.createElement("ul");
  list.id = "xa-phuong-goi-y";
  list.className = "suggestions";
  list.setAttribute("role", "listbox");
  list.setAttribute("aria-label", commune.labels.length ? commune.labels[0].textContent : "");
  list.hidden = true;
  commune.insertAdjacentElement("afterend", list);
  commune.removeAttribute("list");
  commune.setAttribute("role", "combobox");
  commune.setAttribute("aria-autocomplete", "list");
  commune.setAttribute("aria-controls", list.id);
  commune.setAttribute("aria-expanded", "false");
  var active = -1;

  function close() {
    list.hidden = true;
    commune.setAttribute("aria-expanded", "false");
    commune.removeAttribute("aria-activedescendant");
    active = -1;
  }

  function choose(name) {
    commune.value = name;
    close();
  }

  function highlight(index) {
    var items = list.children;
    if (!items.length) { return; }
    active = (index + items.length) % items.length;
    for (var i = 0; i < items.length; i++) {
      items[i].setAttribute("aria-selected", i === active ? "true" : "false");
    }
    commune.setAttribute("aria-activedescendant", items[active].id);
    items[active].scrollIntoView({ block: "nearest" });
  }

  commune.addEventListener("input", function () {
    var wanted = fold(commune.value);
    list.textContent = "";
    active = -1;
    if (!wanted) { close(); return; }
    var starts = [], contains = [];
    names.forEach(function (n) {
      var bare = n.key.replace(/^(xa|phuong|dac khu) /, "");
      if (bare.indexOf(wanted) === 0 || n.key.indexOf(wanted) === 0) { starts.push(n); }
      else if (n.key.indexOf(wanted) >= 0) { contains.push(n); }
    });
    starts.concat(contains).slice(0, 8).forEach(function (n, i) {
      var item = document.createElement("li");
      item.id = "xa-phuong-goi-y-" + i;
      item.setAttribute("role", "option");
      item.setAttribute("aria-selected", "false");
      item.textContent = n.name;
      item.addEventListener("mousedown", function (e) { e.preventDefault(); });
      item.addEventListener("click", function () { choose(n.name); });
      list.appendChild(item);
    });
    var open = list.children.length > 0;
    list.hidden = !open;
    commune.setAttribute("aria-expanded", open ? "true" : "false");
  });
  commune.addEventListener("keydown", function (e) {
    if (list.hidden) { return; }
    if (e.key === "ArrowDown") { highlight(active + 1); e.preventDefault(); }
    else if (e.key === "ArrowUp") { highlight(active - 1); e.preventDefault(); }
    else if (e.key === "Enter" && active >= 0) {
      choose(list.children[active].textContent);
      e.preventDefault();
    } else if (e.key === "Escape") { close(); }
  });
  commune.addEventListener("blur", close);
}());
