/* Staff ticket page: insert a canned answer into the reply at the cursor. */
(function () {
  "use strict";
  var picker = document.querySelector(".canned-picker");
  var textarea = document.querySelector(".ticket-reply textarea");
  if (!picker || !textarea) { return; }
  picker.hidden = false;
  document.getElementById("canned-insert").addEventListener("click", function () {
    var id = document.getElementById("canned-select").value;
    var tpl = id && document.getElementById("canned-" + id);
    if (!tpl) { return; }
    var text = tpl.content.textContent;
    var start = textarea.selectionStart, end = textarea.selectionEnd, value = textarea.value;
    if (start === undefined || start === null) { start = end = value.length; }
    var before = value.slice(0, start), after = value.slice(end);
    var glue = before && !/\n$/.test(before) ? "\n\n" : "";
    textarea.value = before + glue + text + after;
    var caret = (before + glue + text).length;
    textarea.focus();
    textarea.setSelectionRange(caret, caret);
  });
})();
