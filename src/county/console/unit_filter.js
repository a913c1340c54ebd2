// Filters the handling units' lists of an appeal's forms as one types in
// the box above them (pinyin initials or part of the name). Without this
// script the box filters by reloading the page (`?unit_filter=`).
document.addEventListener('DOMContentLoaded', function () {
  var box = document.querySelector('input[name=unit_filter]');
  if (!box) { return; }
  var lists = document.querySelectorAll('select[name=unit]');
  box.addEventListener('input', function () {
    var typed = box.value.trim().toLowerCase();
    lists.forEach(function (list) {
      Array.prototype.forEach.call(list.options, function (option) {
        if (!option.value) { return; }
        var initials = option.getAttribute('data-initials') || '';
        option.hidden = typed !== '' && initials.indexOf(typed) !== 0 &&
          option.textContent.indexOf(typed) < 0;
      });
    });
  });
});
