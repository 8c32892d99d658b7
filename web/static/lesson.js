// The lesson on the projector: follows the teacher's moves (made on /admin from a phone) and, on the device's
// own keyboard, moves on with the arrow keys or a presenter's clicker (PageDown / PageUp).
(function () {
  "use strict";
  var lesson = document.getElementById("lesson");
  if (!lesson) return;
  var shown = Number(lesson.dataset.step);
  var camera = lesson.querySelector("img[data-stream]");
  if (camera) camera.src = camera.dataset.stream;

  function check() {
    if (document.hidden) return;
    fetch(lesson.dataset.state, { cache: "no-store" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (state) { if (state && state.step !== shown) location.reload(); })
      .catch(function () { /* the kit restarting: try again at the next tick */ });
  }
  setInterval(check, 1500);

  var keys = { ArrowRight: "next", PageDown: "next", ArrowLeft: "prev", PageUp: "prev", Home: "first" };
  document.addEventListener("keydown", function (event) {
    var to = keys[event.key];
    if (!to || event.altKey || event.ctrlKey || event.metaKey) return;
    if (event.target.closest && event.target.closest("input, textarea, select")) return;
    var form = document.querySelector('form[data-move="' + to + '"]');
    var button = form && form.querySelector("button");
    if (!button || button.disabled) return;
    event.preventDefault();
    form.submit();
  });
})();
