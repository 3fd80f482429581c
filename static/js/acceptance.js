// The acceptance flow's small helpers (no inline scripts: CSP; no external files: intranet).
// Screen 1: live ID-number check as the clerk types (the existing id_check endpoint), the
// look-up of a registered household by its head's ID number (with a declared-income input per
// member), and "add a member" rows.
// Screen 2: show the materials that apply to the chosen kind. Screen 3: a select of the
// adults beside each uploaded page, and the pages chosen for the signed application and
// declaration listed in order.
(function () {
  "use strict";

  var root = document.getElementById("acceptance");

  function debounce(fn, ms) {
    var timer = null;
    return function () {
      var self = this, args = arguments;
      clearTimeout(timer);
      timer = setTimeout(function () { fn.apply(self, args); }, ms);
    };
  }

  function compact(value) {
    return value.replace(/\s+/g, "").toUpperCase();
  }

  // --- Live ID-number check -----------------------------------------------------------------
  function checkId(input) {
    var out = input.parentNode.querySelector(".idcheck");
    var value = compact(input.value);
    if (!out || !root) { return; }
    if (!value) { out.textContent = ""; out.className = "idcheck"; return; }
    var url = root.dataset.idcheckUrl + "?id_number=" + encodeURIComponent(value);
    fetch(url, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
      .then(function (r) { return r.text(); })
      .then(function (html) {
        // The endpoint answers a one-span fragment: keep its class and text only. For a
        // registered number it names the person masked ("张*英") and where they live now, or
        // only "another township" outside the clerk's scope (class "warn").
        var doc = new DOMParser().parseFromString(html, "text/html");
        var span = doc.body.querySelector("span");
        out.textContent = span ? span.textContent : "";
        out.className = "idcheck " + (span ? span.className : "");
      })
      .catch(function () { out.textContent = ""; });
  }

  function bindIdChecks(scope) {
    scope.querySelectorAll("input[data-idcheck]").forEach(function (input) {
      input.addEventListener("input", debounce(function () { checkId(input); }, 350));
      input.addEventListener("change", function () { checkId(input); });
    });
  }

  // --- Household look-up by the head's ID number ------------------------------------------
  function showLookup(box, data) {
    box.textContent = "";
    if (!data.found) {
      var p = document.createElement("p");
      p.className = "error";
      p.textContent = data.error;
      box.appendChild(p);
      return;
    }
    var p1 = document.createElement("p");
    p1.className = "ok";
    p1.textContent = "找到家庭：" + data.village + "，" + data.address;
    box.appendChild(p1);
    var ul = document.createElement("ul");
    var incomes = root && root.hasAttribute("data-incomes");
    data.members.forEach(function (m, i) {
      var li = document.createElement("li");
      li.textContent = m.name + "（" + m.relationship + "，" + m.id + "）";
      if (incomes) {
        // The monthly income the applicant declares; posted with the look-up (blank: 未申报).
        var label = document.createElement("label");
        var input = document.createElement("input");
        input.type = "text";
        input.name = m.income_field;
        input.id = "lookup-income-" + i;
        input.inputMode = "decimal";
        input.autocomplete = "off";
        input.placeholder = "未申报的留空";
        label.htmlFor = input.id;
        label.textContent = " 月收入（元）：";
        li.appendChild(label);
        li.appendChild(input);
      }
      ul.appendChild(li);
    });
    box.appendChild(ul);
  }

  function bindLookup() {
    var input = document.querySelector("input[data-lookup]");
    var box = document.getElementById("lookup-result");
    if (!input || !box || !root) { return; }
    input.addEventListener("input", debounce(function () {
      var value = compact(input.value);
      if (value.length < 18) { box.textContent = ""; return; }
      var url = root.dataset.lookupUrl + "?head_id=" + encodeURIComponent(value);
      fetch(url, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
        .then(function (r) { return r.json(); })
        .then(function (data) { showLookup(box, data); })
        .catch(function () { box.textContent = ""; });
    }, 350));
  }

  // --- Add a member row (Django formset empty_form) ------------------------------------------
  function bindAddMember() {
    var button = document.getElementById("add-member");
    var template = document.getElementById("member-template");
    var list = document.getElementById("members");
    var total = document.getElementById("id_m-TOTAL_FORMS");
    if (!button || !template || !list || !total) { return; }
    button.addEventListener("click", function () {
      var index = parseInt(total.value, 10);
      var html = template.innerHTML.replace(/__prefix__/g, String(index));
      var holder = document.createElement("div");
      holder.innerHTML = html;
      var fieldset = holder.firstElementChild;
      list.appendChild(fieldset);
      total.value = String(index + 1);
      bindIdChecks(fieldset);
      var first = fieldset.querySelector("input[type=text]");
      if (first) { first.focus(); }
    });
  }

  // --- Screen 2: what applies to the chosen kind ---------------------------------------------
  function bindKind() {
    var form = document.getElementById("case-form");
    if (!form) { return; }
    function apply() {
      var chosen = form.querySelector("input[name=kind]:checked");
      var kind = chosen ? chosen.value : "";
      form.querySelectorAll("[data-kinds]").forEach(function (row) {
        row.hidden = kind !== "" && row.dataset.kinds.split(" ").indexOf(kind) === -1;
      });
    }
    form.querySelectorAll("input[name=kind]").forEach(function (radio) {
      radio.addEventListener("change", apply);
    });
    apply();
  }

  // --- Screen 3: each uploaded page matched to its person ---------------------------------------
  // One row per chosen file with a select of the adults; the n-th file is proposed for the n-th
  // adult (scanned in the order printed), and the clerk corrects it where needed.
  function bindScans() {
    var input = document.getElementById("scans");
    var list = document.getElementById("scan-list");
    var options = document.getElementById("scan-for-options");
    if (!input || !list || !options) { return; }
    function rows() {
      list.textContent = "";
      Array.prototype.forEach.call(input.files, function (file, i) {
        var li = document.createElement("li");
        var label = document.createElement("label");
        var select = document.createElement("select");
        select.name = "scan_for";
        select.id = "scan-for-" + i;
        select.innerHTML = options.innerHTML;
        if (select.options.length > i + 1) { select.selectedIndex = i + 1; }
        label.htmlFor = select.id;
        label.textContent = "第" + (i + 1) + "个文件：" + file.name + " → ";
        li.appendChild(label);
        li.appendChild(select);
        list.appendChild(li);
      });
    }
    input.addEventListener("change", rows);
    // Files chosen before this script ran (a slow page, or the browser keeping them on
    // going back) get their rows too.
    if (input.files && input.files.length) { rows(); }
  }

  // --- Screen 3: the pages of the signed 申请书 and 诚信声明, listed as chosen ------------------
  function bindPageLists() {
    document.querySelectorAll("input[data-page-list]").forEach(function (input) {
      var list = document.getElementById(input.dataset.pageList);
      if (!list) { return; }
      function rows() {
        list.textContent = "";
        Array.prototype.forEach.call(input.files, function (file, i) {
          var li = document.createElement("li");
          li.textContent = "第" + (i + 1) + "页：" + file.name;
          list.appendChild(li);
        });
      }
      input.addEventListener("change", rows);
      if (input.files && input.files.length) { rows(); }
    });
  }

  bindIdChecks(document);
  bindLookup();
  bindAddMember();
  bindKind();
  bindScans();
  bindPageLists();
})();
