// Light enhancements of the SPARQL query page; the page works without them.
// Tab indents, Ctrl/Cmd+Enter runs, the example picker loads a query, long queries are POSTed.
(function () {
  "use strict";
  var form = document.getElementById("sparql-form");
  var editor = document.getElementById("query");
  if (!form || !editor) {
    return;
  }
  var INDENT = "  ";
  var LONGEST_GET = 1800; // characters of URL-encoded query before the form switches to POST

  editor.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      if (form.requestSubmit) {
        form.requestSubmit();
      } else {
        form.submit();
      }
      return;
    }
    if (event.key === "Tab" && !event.shiftKey && !event.altKey && !event.ctrlKey && !event.metaKey) {
      event.preventDefault();
      var start = editor.selectionStart;
      var end = editor.selectionEnd;
      editor.value = editor.value.slice(0, start) + INDENT + editor.value.slice(end);
      editor.selectionStart = editor.selectionEnd = start + INDENT.length;
    }
  });

  var picker = document.getElementById("example");
  var data = document.getElementById("example-data");
  if (picker && data) {
    var examples = {};
    try {
      JSON.parse(data.textContent).forEach(function (example) {
        examples[example.name] = example;
      });
    } catch (error) {
      examples = {};
    }
    picker.addEventListener("change", function () {
      var example = examples[picker.value];
      if (example) {
        editor.value = example.text;
        editor.focus();
      }
    });
  }

  form.addEventListener("submit", function () {
    var size = encodeURIComponent(editor.value).length;
    form.method = size > LONGEST_GET ? "post" : "get";
  });
})();
