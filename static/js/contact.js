/* The quote-request form: ingredient lines added and removed on demand, and the kilograms as
 * people type.
 *
 * The arithmetic is crm/catalog/formulation.py's, on exact decimals (BigInt) rather than
 * floats, so the figure shown here is the figure the server stores:
 *   kg = dose (mg) × servings × units × (1 + overage / 100) / 1,000,000, up to the gram,
 *   then rounded up to whole packs of the chosen ingredient.
 * Without JavaScript the form still works: three line slots (a cleared one is left out), no
 * live figure.
 */
(function () {
  "use strict";

  var form = document.getElementById("quote-form");
  if (!form) return;
  var linesBox = document.getElementById("lines");
  var addButton = document.getElementById("add-line");
  var addStatus = document.getElementById("add-line-status");
  var template = document.getElementById("line-template");
  var summary = document.getElementById("error-summary");
  var maxLines = parseInt(addButton.getAttribute("data-max"), 10) || 10;
  var exact = typeof BigInt === "function";

  // -- exact decimals -------------------------------------------------------------------

  // "12.5" → {n: 125n, scale: 1}; null unless a plain non-negative number.
  function parseDecimal(text) {
    var match = /^(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d{1,2}))?$/.exec((text || "").trim());
    if (!match || (match[1] === "" && !match[2])) return null;
    var fraction = match[2] || "";
    var n = BigInt((match[1] || "0") + fraction);
    var scale = fraction.length - parseInt(match[3] || "0", 10);
    if (scale < 0) {
      n *= pow10(-scale);
      scale = 0;
    }
    return { n: n, scale: scale };
  }

  function pow10(k) {
    return BigInt(10) ** BigInt(k);
  }

  // A decimal as an integer count of 10^-places, or null if it has more decimals than that.
  function scaled(value, places) {
    if (!value) return null;
    var n = value.n, scale = value.scale;
    while (scale > places && n % BigInt(10) === BigInt(0)) {  // 25.000 has 3 decimals but is 25
      n /= BigInt(10);
      scale -= 1;
    }
    return scale > places ? null : n * pow10(places - scale);
  }

  function ceilDiv(a, b) {
    return (a + b - BigInt(1)) / b;
  }

  function group(digits) {
    return digits.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  }

  // 315000 (grams) → "315 kg"; 1050500 → "1,050.5 kg"
  function formatKg(grams) {
    var thousand = BigInt(1000);
    var text = group((grams / thousand).toString());
    var rest = grams % thousand;
    if (rest > BigInt(0)) text += "." + rest.toString().padStart(3, "0").replace(/0+$/, "");
    return text + " kg";
  }

  // Bounds the server checks (crm/intake/forms.py); outside them it shows no figure.
  function within(value, low, high, lowIncluded) {
    if (value === null) return false;
    return (lowIncluded ? value >= low : value > low) && value <= high;
  }

  function field(id) {
    return document.getElementById(id);
  }

  // A whole number as typed ("60"), or null.
  function parseWhole(text) {
    text = (text || "").trim();
    return /^\d{1,12}$/.test(text) ? BigInt(text) : null;
  }

  // The plan under "Your product", as integers; null where missing or wrong.
  function readPlan() {
    var overageText = field("overage_pct").value.trim();
    return {
      doseText: field("dose_mg").value.trim(),
      servings: parseWhole(field("servings_per_unit").value),
      units: parseWhole(field("units").value),
      overageCenti: overageText === "" ? BigInt(0) : scaled(parseDecimal(overageText), 2),
      complete: !!(field("servings_per_unit").value.trim() && field("units").value.trim())
    };
  }

  // Grams needed (kg to 3 decimals, as an integer), rounded up: kg_needed() in formulation.py.
  function gramsFromPlan(doseMilli, plan) {
    var B = BigInt;
    if (!within(doseMilli, B(0), B(100000000), false)) return null;
    if (!within(plan.servings, B(1), B(10000), true)) return null;
    if (!within(plan.units, B(1), B(100000000), true)) return null;
    if (!within(plan.overageCenti, B(0), B(10000), true)) return null;
    // dose/1000 × servings × units × (10000 + overage×100)/10000 / 1,000,000 kg, in grams:
    var numerator = doseMilli * plan.servings * plan.units * (B(10000) + plan.overageCenti);
    return ceilDiv(numerator, B(1000) * B(10000) * B(1000));
  }

  // -- one ingredient line --------------------------------------------------------------

  function partsOf(slot) {
    var prefix = slot.getAttribute("data-prefix");
    return {
      ingredient: field(prefix + "ingredient"),
      other: field(prefix + "other"),
      grade: field(prefix + "grade"),
      form: field(prefix + "form"),
      quantity: field(prefix + "quantity_kg"),
      compute: field(prefix + "compute"),
      dose: field(prefix + "dose_mg"),
      output: field(prefix + "kg"),
      gradeList: field(prefix + "grade-options"),
      formList: field(prefix + "form-options")
    };
  }

  function hasError(element) {
    return !!element.querySelector(".is-invalid");
  }

  function isEmpty(slot) {
    var parts = partsOf(slot);
    return !parts.ingredient.value && !parts.other.value && !parts.grade.value &&
      !parts.form.value && !parts.quantity.value && !parts.dose.value && !hasError(slot);
  }

  // Show a wrapper and enable its input, or hide and disable it (a disabled input is not
  // sent). A wrapper holding an error message always stays in sight.
  function toggle(slot, selector, shown) {
    var wrapper = slot.querySelector(selector);
    if (!wrapper) return;
    shown = shown || hasError(wrapper);
    wrapper.hidden = !shown;
    wrapper.querySelectorAll("input, select, textarea").forEach(function (input) {
      input.disabled = !shown;
    });
  }

  function catalogValues(select, attribute) {
    var chosen = select.selectedOptions[0];
    var options = chosen && chosen.hasAttribute(attribute) ? [chosen]
      : select.value ? [] : Array.prototype.slice.call(select.querySelectorAll("option[" + attribute + "]"));
    var values = [];
    options.forEach(function (option) {
      JSON.parse(option.getAttribute(attribute) || "[]").forEach(function (value) {
        if (values.indexOf(value) === -1) values.push(value);
      });
    });
    return values;
  }

  function fillList(list, values) {
    if (!list) return;
    var current = Array.prototype.map.call(list.options, function (o) { return o.value; });
    if (current.join("\n") === values.join("\n")) return;
    list.textContent = "";
    values.forEach(function (value) {
      var option = document.createElement("option");
      option.value = value;
      list.appendChild(option);
    });
  }

  function figure(parts, plan) {
    var option = parts.ingredient.selectedOptions[0];
    var grams;
    if (parts.compute.checked) {
      var doseText = parts.dose.value.trim() || plan.doseText;  // the line's dose comes first
      if (!doseText || !plan.complete) {
        return "Fill in the dose, servings per unit and units under “Your product”.";
      }
      grams = gramsFromPlan(scaled(parseDecimal(doseText), 3), plan);
      if (grams === null) return "Check the dose, servings per unit and units under “Your product”.";
    } else {
      if (!parts.quantity.value.trim()) return "Enter the kilograms, or tick “compute”.";
      grams = scaled(parseDecimal(parts.quantity.value), 3);
      if (!within(grams, BigInt(0), BigInt(1000000000), false)) return "";
    }
    var packGrams = option && option.hasAttribute("data-pack-size-kg")
      ? scaled(parseDecimal(option.getAttribute("data-pack-size-kg")), 3) : null;
    if (!packGrams) return formatKg(grams);
    var packs = ceilDiv(grams, packGrams);
    return formatKg(grams) + " → " + group(packs.toString()) + " × " + formatKg(packGrams) +
      " = " + formatKg(packs * packGrams);
  }

  function updateLine(slot, plan) {
    var parts = partsOf(slot);
    var chosen = parts.ingredient.value;
    toggle(slot, ".line-other", chosen === "other");
    toggle(slot, ".line-quantity", !parts.compute.checked);
    toggle(slot, ".line-dose", parts.compute.checked);
    fillList(parts.gradeList, catalogValues(parts.ingredient, "data-grades"));
    fillList(parts.formList, catalogValues(parts.ingredient, "data-forms"));
    var box = parts.output.parentNode;
    box.hidden = !chosen || !exact;
    if (!box.hidden) {
      var text = figure(parts, plan);
      if (parts.output.value !== text) parts.output.value = text;
    }
  }

  function slots() {
    return Array.prototype.slice.call(linesBox.querySelectorAll(".line-slot"));
  }

  function updateAll() {
    var plan = exact ? readPlan() : null;
    slots().forEach(function (slot) { updateLine(slot, plan); });
  }

  // -- adding and removing lines -------------------------------------------------------

  function shownSlots() {
    return slots().filter(function (slot) { return !slot.hidden; });
  }

  // Add while there is room; Remove on every line while there are two or more.
  function updateButtons() {
    var all = slots(), shown = shownSlots();
    addButton.hidden = shown.length === all.length && all.length >= maxLines;
    if (addButton.hidden) addStatus.textContent = "That is the most one request holds: " +
      maxLines + " ingredients. Name any others in your message.";
    all.forEach(function (slot) {
      slot.querySelector(".line-remove").hidden = shown.length < 2;
    });
  }

  function addLine() {
    var all = slots();
    var slot = all.filter(function (s) { return s.hidden; })[0];
    if (!slot) {
      if (all.length >= maxLines) return;
      var index = all.length;
      var holder = document.createElement("div");
      holder.innerHTML = template.innerHTML
        .replace(/__index__/g, String(index)).replace(/__number__/g, String(index + 1));
      slot = holder.querySelector(".line-slot");
      linesBox.appendChild(slot);
    }
    slot.hidden = false;
    updateAll();
    updateButtons();
    var legend = slot.querySelector("legend");
    if (!addButton.hidden) addStatus.textContent = legend.textContent + " added.";
    partsOf(slot).ingredient.focus();
  }

  // The error summary's links to a removed line go; those to a renumbered one follow it.
  function followInSummary(from, to) {
    if (!summary) return;
    summary.querySelectorAll("a[href^='#" + from + "']").forEach(function (link) {
      if (!to) {
        link.parentNode.remove();
        return;
      }
      link.setAttribute("href", "#" + to + link.getAttribute("href").slice(from.length + 1));
      link.textContent = link.textContent.replace(/^Ingredient \d+/,
        "Ingredient " + (parseInt(to.slice("lines-".length), 10) + 1));
    });
    summary.hidden = !summary.querySelector("li");
  }

  // Give a slot the field names the server reads for line ``index`` (lines-<index>-…), and
  // the ids, references and number that go with them.
  function renumber(slot, index) {
    var from = slot.getAttribute("data-prefix"), to = "lines-" + index + "-";
    if (from === to) return;
    [slot].concat(Array.prototype.slice.call(slot.querySelectorAll("*"))).forEach(function (el) {
      ["id", "name", "for", "list", "aria-describedby", "aria-labelledby", "data-prefix"]
        .forEach(function (name) {
          var value = el.getAttribute(name);
          if (value && value.indexOf(from) !== -1) el.setAttribute(name, value.split(from).join(to));
        });
    });
    slot.querySelectorAll(".line-number").forEach(function (number) {
      number.textContent = String(index + 1);
    });
    followInSummary(from, to);
  }

  // The line goes with its fields, so the server never sees it; the lines below move up.
  function removeLine(slot) {
    var shown = shownSlots();
    var at = shown.indexOf(slot);
    if (at === -1 || shown.length < 2) return;
    var next = shown[at + 1] || shown[at - 1];
    var option = partsOf(slot).ingredient.selectedOptions[0];
    var what = slot.querySelector("legend").textContent +
      (option && option.value ? " (" + option.textContent + ")" : "");
    followInSummary(slot.getAttribute("data-prefix"), null);
    slot.remove();
    slots().forEach(renumber);
    updateAll();
    updateButtons();
    addStatus.textContent = what + " removed.";
    partsOf(next).ingredient.focus();
  }

  // Slots past the first stay out of the way until asked for.
  function hideEmptySlots() {
    slots().forEach(function (slot, index) {
      if (index > 0 && isEmpty(slot)) slot.hidden = true;
    });
  }

  // Browsers may restore typed values when people come back: show what holds something.
  function revealFilledSlots() {
    slots().forEach(function (slot) {
      if (slot.hidden && !isEmpty(slot)) slot.hidden = false;
    });
    updateAll();
    updateButtons();
  }

  // -- wiring ---------------------------------------------------------------------------

  form.addEventListener("input", updateAll);
  form.addEventListener("change", updateAll);
  addButton.addEventListener("click", addLine);
  linesBox.addEventListener("click", function (event) {
    var button = event.target.closest(".line-remove");
    if (button) removeLine(button.closest(".line-slot"));
  });
  window.addEventListener("pageshow", revealFilledSlots);

  if (summary) {
    summary.addEventListener("click", function (event) {
      var link = event.target.closest("a[href^='#']");
      var target = link && document.getElementById(link.getAttribute("href").slice(1));
      if (!target) return;
      event.preventDefault();
      target.scrollIntoView({ block: "center" });
      target.focus();
    });
  }

  hideEmptySlots();
  addButton.hidden = false;
  updateAll();
  updateButtons();
  if (summary) summary.focus();
})();
