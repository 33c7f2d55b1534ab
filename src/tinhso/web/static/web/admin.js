/* Django's admin, corrected where axe-core (WCAG 2.1 AA) finds it wanting.
   The autocomplete boxes (select2) have no accessible name: give each the text of its
   field's label, so a screen reader says what is being chosen. They are built in jQuery's
   ready handlers, so this runs in one registered after theirs. */
'use strict';
(function () {
  function nameAutocompletes() {
    document.querySelectorAll('select.admin-autocomplete').forEach(function (select) {
      const label = document.querySelector('label[for="' + select.id + '"]');
      const box = select.parentElement.querySelector('.select2-selection[role="combobox"]');
      if (!label || !box) { return; }
      const name = label.textContent.replace(/:\s*$/, '').trim();
      box.setAttribute('aria-label', name);
      const shown = box.querySelector('.select2-selection__rendered');
      if (shown) { shown.setAttribute('aria-label', name); }
    });
  }
  if (window.django && window.django.jQuery) {
    window.django.jQuery(nameAutocompletes);
  } else {
    document.addEventListener('DOMContentLoaded', nameAutocompletes);
  }
})();
