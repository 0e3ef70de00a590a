// The lead list: a box in the header ticks or clears every lead on the page, and the bar
// above the list says how many are ticked. Without this script each box still works alone.
(function () {
  "use strict";
  var all = document.getElementById("tick-all");
  var count = document.getElementById("bulk-count");
  var boxes = Array.prototype.slice.call(document.querySelectorAll(".lead-tick"));
  if (!all || !count || !boxes.length) {
    return;
  }
  function update() {
    var ticked = boxes.filter(function (box) { return box.checked; }).length;
    all.checked = ticked === boxes.length;
    all.indeterminate = ticked > 0 && ticked < boxes.length;
    count.textContent = ticked === 0 ? "With the leads ticked:"
      : "With the " + ticked + " lead" + (ticked === 1 ? "" : "s") + " ticked:";
  }
  all.hidden = false;
  all.addEventListener("change", function () {
    boxes.forEach(function (box) { box.checked = all.checked; });
    update();
  });
  boxes.forEach(function (box) { box.addEventListener("change", update); });
  update();
}());
