/* The village assistant's phone without a network (我的村居 and the home-visit page).

   * Registers the service worker (/sw.js), which keeps these pages for use offline, and on
     我的村居 asks it to keep the home-visit form of every house on the list.
   * Offline, saving a home visit keeps it on the phone (IndexedDB, photos included) with an
     id made here; the box "待上传 N 条" lists what waits. When the network is back (the
     `online` event, the next page load, or the 立即上传 button) each visit is sent to the
     page it came from with the header X-Phone-Queue: 1 and a fresh CSRF token.
   * The server answers saved or already received (a resend whose first answer was lost):
     the phone drops the visit. Refused (the case moved on, or another visit was recorded
     meanwhile): the phone keeps it with the server's reason and a 删除 button. */
(function () {
  "use strict";
  var DB_NAME = "lanshan-phone";
  var STORE = "visits";
  var sending = false;

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/sw.js", {scope: "/"}).then(function () {
      return navigator.serviceWorker.ready;
    }).then(function (registration) {
      var links = Array.prototype.map.call(
        document.querySelectorAll("a.task[href*='/home-visit/']"),
        function (a) { return new URL(a.href).pathname; });
      if (document.querySelector(".mine")) { links.unshift(location.pathname); }
      navigator.serviceWorker.addEventListener("message", function (event) {
        if (event.data && event.data.type === "kept") {
          document.documentElement.dataset.offlineReady = "1";
        }
      });
      if (registration.active) {
        registration.active.postMessage({type: "keep", urls: links});
      }
    }).catch(function () { /* no offline copy: the pages still work online */ });
  }

  // Drafts of visits saved (the server's page says which): drop them from the phone.
  Array.prototype.forEach.call(document.querySelectorAll("[data-clear-draft]"), function (el) {
    try { localStorage.removeItem("home-visit-draft-" + el.dataset.clearDraft); } catch (e) {
      /* storage unavailable */
    }
  });

  // --- IndexedDB, as promises ---------------------------------------------------------------
  function openDb() {
    return new Promise(function (resolve, reject) {
      if (!window.indexedDB) { reject(new Error("no indexedDB")); return; }
      var req = indexedDB.open(DB_NAME, 1);
      req.onupgradeneeded = function () { req.result.createObjectStore(STORE, {keyPath: "id"}); };
      req.onsuccess = function () { resolve(req.result); };
      req.onerror = function () { reject(req.error); };
    });
  }
  function withStore(mode, work) {
    return openDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(STORE, mode);
        var result = work(tx.objectStore(STORE));
        tx.oncomplete = function () { db.close(); resolve(result && result.result); };
        tx.onerror = function () { db.close(); reject(tx.error); };
      });
    });
  }
  // Oldest first: visits are sent, and refused, in the order they were saved.
  function allVisits() {
    return withStore("readonly", function (s) { return s.getAll(); }).then(function (all) {
      return (all || []).sort(function (a, b) { return a.savedAt < b.savedAt ? -1 : 1; });
    });
  }
  function putVisit(v) { return withStore("readwrite", function (s) { return s.put(v); }); }
  function dropVisit(id) { return withStore("readwrite", function (s) { return s.delete(id); }); }

  function newId() {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
    var b = new Uint8Array(16);
    crypto.getRandomValues(b);
    b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); });
    return h.slice(0, 4).join("") + "-" + h.slice(4, 6).join("") + "-" +
      h.slice(6, 8).join("") + "-" + h.slice(8, 10).join("") + "-" + h.slice(10).join("");
  }

  // --- The box of visits waiting on the phone -----------------------------------------------
  var box = document.getElementById("outbox");
  var status = document.getElementById("outbox-status");

  function say(text) { if (status) { status.textContent = text; } }

  function render() {
    if (!box) { return Promise.resolve(); }
    return allVisits().then(function (visits) {
      var waiting = visits.filter(function (v) { return !v.refused; });
      var refused = visits.filter(function (v) { return v.refused; });
      document.getElementById("outbox-count").textContent = "待上传 " + waiting.length + " 条";
      document.getElementById("outbox-refused").textContent =
        refused.length ? "未能上传 " + refused.length + " 条" : "";
      document.getElementById("outbox-send").hidden = !waiting.length;
      var list = document.getElementById("outbox-list");
      list.innerHTML = "";
      visits.forEach(function (v) {
        var li = document.createElement("li");
        li.className = v.refused ? "refused" : "waiting";
        var title = document.createElement("strong");
        title.textContent = v.label;
        li.appendChild(title);
        var sub = document.createElement("span");
        sub.className = "sub";
        var ymd = /^(\d{4})-(\d{2})-(\d{2})$/.exec(v.visitedOn || "");
        sub.textContent = (ymd ? ymd[1] + "年" + Number(ymd[2]) + "月" + Number(ymd[3]) + "日"
                                : v.visitedOn) + "调查 · 照片" + v.photos.length + "张" +
          (v.refused ? "" : " · 待上传");
        li.appendChild(sub);
        if (v.message) {
          var msg = document.createElement("span");
          msg.className = v.refused ? "sub error" : "sub";
          msg.textContent = v.message;
          li.appendChild(msg);
        }
        if (v.refused) {
          var del = document.createElement("button");
          del.type = "button";
          del.className = "danger";
          del.textContent = "删除";
          del.addEventListener("click", function () { dropVisit(v.id).then(render); });
          li.appendChild(del);
        }
        list.appendChild(li);
      });
      box.hidden = !visits.length;
    }).catch(function () { /* no IndexedDB: nothing can wait on this phone */ });
  }

  // --- Sending ------------------------------------------------------------------------------
  function token(url) {
    // A fresh token from the page itself: the copy kept offline may be from an old session.
    return fetch(url, {credentials: "same-origin", cache: "no-store"}).then(function (r) {
      if (r.redirected && /\/login\//.test(new URL(r.url).pathname)) {
        throw new Error("login");
      }
      return r.text();
    }).then(function (html) {
      var m = /X-CSRFToken&quot;:\s*&quot;([^&]+)&quot;|X-CSRFToken":\s*"([^"]+)"/.exec(html);
      if (!m) { throw new Error("token"); }
      return m[1] || m[2];
    });
  }

  function sendOne(v) {
    return token(v.url).then(function (csrf) {
      var data = new FormData();
      v.fields.forEach(function (pair) { data.append(pair[0], pair[1]); });
      v.photos.forEach(function (p) { data.append("photos", p.blob, p.name); });
      data.append("client_id", v.id);
      return fetch(v.url, {method: "POST", body: data, credentials: "same-origin",
                           headers: {"X-CSRFToken": csrf, "X-Phone-Queue": "1"}});
    }).then(function (r) {
      var json = (r.headers.get("Content-Type") || "").indexOf("json") !== -1;
      return (json ? r.json() : Promise.resolve({})).then(function (answer) {
        if (answer.status === "saved" || answer.status === "already_received") {
          return dropVisit(v.id).then(function () { return 1; });
        }
        if (answer.status === "refused") {
          v.refused = true;
          v.message = answer.message || "服务器拒收。";
        } else {
          v.message = "上传未成功（" + r.status + "），稍后自动重试。";
        }
        return putVisit(v).then(function () { return 0; });
      });
    }, function (err) {
      v.message = err && err.message === "login" ? "登录已过期，请重新登录后上传。"
        : "网络不通，联网后自动上传。";
      return putVisit(v).then(function () { return 0; });
    });
  }

  function sendAll() {
    if (!navigator.onLine) { say("无网络，联网后自动上传。"); return Promise.resolve(); }
    if (sending) { return Promise.resolve(); }
    sending = true;
    say("正在上传…");
    return allVisits().then(function (visits) {
      var waiting = visits.filter(function (v) { return !v.refused; });
      var sent = 0;
      return waiting.reduce(function (chain, v) {
        return chain.then(function () {
          return sendOne(v).then(function (n) { sent += n; return render(); });
        });
      }, Promise.resolve()).then(function () {
        say(waiting.length ? "已上传 " + sent + " 条。" : "");
      });
    }).catch(function () { say(""); }).then(function () {
      sending = false;
      return render();
    });
  }

  if (box) {
    document.getElementById("outbox-send").addEventListener("click", sendAll);
    window.addEventListener("online", sendAll);
    render().then(sendAll);
  }

  // --- The home-visit form offline: keep the visit on the phone -----------------------------
  var form = document.getElementById("home-visit-form");
  if (!form || form.dataset.saved === "1" || !form.querySelector("button[type=submit]")) {
    return;
  }
  var note = document.getElementById("offline-note");

  form.addEventListener("submit", function (event) {
    if (navigator.onLine) { return; }
    event.preventDefault();
    event.stopImmediatePropagation();
    if (!form.checkValidity()) { form.reportValidity(); return; }
    var names = ["investigator_1", "investigator_2", "investigator_3"].map(function (n) {
      return (form.elements[n] && form.elements[n].value || "").trim();
    }).filter(Boolean);
    if (names.filter(function (n, i) { return names.indexOf(n) === i; }).length < 2) {
      note.textContent = "入户调查须由至少两名不同的调查人员进行。";
      note.hidden = false;
      return;
    }
    var fields = [];
    var photos = [];
    new FormData(form).forEach(function (value, name) {
      if (name === "csrfmiddlewaretoken" || name === "client_id") { return; }
      if (value instanceof Blob) {
        if (value.size) { photos.push({name: value.name || "photo.jpg", blob: value}); }
      } else { fields.push([name, value]); }
    });
    var visit = {
      id: newId(), url: location.pathname, label: form.dataset.label || "",
      visitedOn: form.elements.visited_on ? form.elements.visited_on.value : "",
      fields: fields, photos: photos, savedAt: new Date().toISOString(),
      refused: false, message: "",
    };
    putVisit(visit).then(function () {
      try { localStorage.removeItem("home-visit-draft-" + form.dataset.case); } catch (e) {
        /* storage unavailable */
      }
      form.hidden = true;
      note.textContent = "无网络：本条入户调查（照片" + photos.length + "张）已保存在本机，" +
        "联网后自动上传。";
      note.hidden = false;
      return render();
    }).catch(function () {
      note.textContent = "本机无法保存，请联网后再提交。";
      note.hidden = false;
    });
  }, true);
})();
