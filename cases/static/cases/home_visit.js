/* Home-visit page: shrink photos before upload (a phone photo is 3–8 MB; the server keeps
   1600 px anyway) and keep the typed text on the phone until the visit is saved. Without
   this script the form still works: the originals are uploaded and shrunk on the server. */
(function () {
  "use strict";
  var form = document.getElementById("home-visit-form");
  if (!form) { return; }
  var key = "home-visit-draft-" + form.dataset.case;
  var status = document.getElementById("photo-status");
  var thumbs = document.getElementById("photo-thumbs");
  var input = form.querySelector("input[type=file]");
  var MAX = 1600;

  function textFields() {
    return Array.prototype.filter.call(form.elements, function (el) {
      return el.name && el.type !== "file" && el.type !== "hidden" && el.type !== "submit";
    });
  }
  function save() {
    var data = {};
    textFields().forEach(function (el) {
      if (el.type === "checkbox" || el.type === "radio") {
        data[el.name + "=" + el.value] = el.checked;
      } else { data[el.name] = el.value; }
    });
    try { localStorage.setItem(key, JSON.stringify(data)); } catch (e) { /* storage full */ }
  }
  function restore() {
    var raw = null;
    try { raw = localStorage.getItem(key); } catch (e) { return; }
    if (!raw || form.dataset.bound === "1") { return; }
    var data = JSON.parse(raw);
    textFields().forEach(function (el) {
      if (el.type === "checkbox" || el.type === "radio") {
        var k = el.name + "=" + el.value;
        if (k in data) { el.checked = data[k]; }
      } else if (el.name in data && data[el.name]) { el.value = data[el.name]; }
    });
  }
  if (form.dataset.saved === "1") {
    try { localStorage.removeItem(key); } catch (e) { /* ignore */ }
  }
  restore();
  form.addEventListener("input", save);
  form.addEventListener("change", save);

  function shrink(file) {
    return new Promise(function (resolve) {
      if (!/^image\//.test(file.type) || !window.createImageBitmap) { resolve(file); return; }
      createImageBitmap(file).then(function (bitmap) {
        var scale = Math.min(1, MAX / Math.max(bitmap.width, bitmap.height));
        if (scale === 1 && file.size < 1024 * 1024) { resolve(file); return; }
        var canvas = document.createElement("canvas");
        canvas.width = Math.round(bitmap.width * scale);
        canvas.height = Math.round(bitmap.height * scale);
        canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
        canvas.toBlob(function (blob) {
          if (!blob || blob.size >= file.size) { resolve(file); return; }
          resolve(new File([blob], file.name.replace(/\.\w+$/, "") + ".jpg",
                           { type: "image/jpeg" }));
        }, "image/jpeg", 0.82);
      }).catch(function () { resolve(file); });
    });
  }
  if (input && window.DataTransfer) {
    input.addEventListener("change", function () {
      var files = Array.prototype.slice.call(input.files);
      if (!files.length) { return; }
      status.textContent = "正在压缩照片…";
      Promise.all(files.map(shrink)).then(function (small) {
        var dt = new DataTransfer();
        var total = 0;
        thumbs.innerHTML = "";
        small.forEach(function (f) {
          dt.items.add(f);
          total += f.size;
          var img = document.createElement("img");
          img.alt = "照片预览";
          img.src = URL.createObjectURL(f);
          thumbs.appendChild(img);
        });
        input.files = dt.files;
        status.textContent = "已选" + small.length + "张照片，共" +
          Math.max(1, Math.round(total / 1024)) + "KB";
      });
    });
  }
  form.addEventListener("submit", function () {
    var button = form.querySelector("button[type=submit]");
    if (button) { button.disabled = true; button.textContent = "正在上传，请稍候…"; }
  });
})();
