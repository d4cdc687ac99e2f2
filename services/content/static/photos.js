// The photo library page: upload (with progress), browse, describe, copy, see uses, delete.
// Calls go through `window.Staff.api` (staff.js): the session cookie, and the CSRF token on
// every write.
(function () {
  "use strict";
  var doc = document;
  var PAGE = 30;
  var STATES = { draft: "Nháp", review: "Chờ duyệt", scheduled: "Hẹn giờ",
    published: "Đã xuất bản", unpublished: "Đã gỡ" };
  function $(id) { return doc.getElementById(id); }
  var statusBox = $("photos-status");
  var grid = $("photo-grid");
  var cardTemplate = $("photo-card");
  var uploadForm = $("photo-upload");
  var more = $("photo-more");
  var nextCursor = null;
  var api = window.Staff.api;

  var csrf = window.Staff.csrf;  // the session's CSRF token, sent on every write
  function failure(status, data) {
    var error = new Error((data && data.error && data.error.message) || "HTTP " + status);
    error.status = status;
    error.details = data && data.error && data.error.details;
    return error;
  }

  // ---- messages, in plain Vietnamese -------------------------------------------------------------
  // By status: the server's own messages are in English, for developers.
  var MESSAGES = {
    0: "Không kết nối được máy chủ. Hãy kiểm tra mạng rồi thử lại.",
    400: "Yêu cầu không hợp lệ. Hãy tải lại trang rồi thử lại.",
    403: "Bạn không có quyền làm việc này, hoặc phiên làm việc đã hết hạn (hãy tải lại trang).",
    404: "Không tìm thấy ảnh này: có thể nó vừa bị xóa.",
    413: "Ảnh quá lớn: tối đa " + uploadForm.getAttribute("data-max-mb") + " MB và " +
      uploadForm.getAttribute("data-max-megapixels") + " megapixel.",
    422: "Tệp không phải ảnh JPEG, PNG hoặc WebP đọc được (có thể tệp bị hỏng, là ảnh động, " +
      "hoặc là loại khác như GIF, TIFF, SVG).",
    429: "Máy chủ đang bận xử lý ảnh khác. Hãy thử lại sau ít phút."
  };
  function say(text, isError) {
    statusBox.textContent = text;
    statusBox.className = "form-message" + (isError ? " error" : "");
  }
  function explain(error) {
    if (error.status === 401) { window.Staff.signInAgain(); return "Bạn cần đăng nhập lại."; }
    var fields = Array.isArray(error.details) ? error.details.map(function (d) { return d.field; }) : [];
    if (error.status === 422 && (fields.indexOf("caption") >= 0 || fields.indexOf("alt") >= 0)) {
      return "Chú thích hoặc mô tả không hợp lệ (quá dài, hoặc có ký tự điều khiển).";
    }
    return MESSAGES[error.status || 0] || "Máy chủ gặp lỗi (" + error.status + "). Hãy thử lại sau.";
  }
  function fail(error) { say(explain(error), true); }

  // ---- one photo's card --------------------------------------------------------------------------
  function megabytes(bytes) { return (bytes / 1048576).toLocaleString("vi-VN", { maximumFractionDigits: 1 }) + " MB"; }
  function srcset(photo, format) {
    return photo.variants.filter(function (v) { return v.format === format; })
      .map(function (v) { return v.url + " " + v.width + "w"; }).join(", ");
  }
  function fillCard(card, photo) {
    var img = card.querySelector("img");
    var fallback = photo.cover_url.split(".").pop();
    var small = photo.variants.filter(function (v) { return v.format === "webp"; })[0];
    img.src = small.url;
    img.srcset = srcset(photo, "webp");
    img.sizes = "(min-width: 64rem) 20rem, (min-width: 40rem) 45vw, 90vw";
    img.width = small.width;
    img.height = small.height;
    img.alt = photo.alt || photo.caption || photo.original_name;
    card.querySelector(".photo-facts").textContent = photo.original_name + " · " + photo.width + "×" +
      photo.height + " px · " + megabytes(photo.original_bytes) + " · " + fallback.toUpperCase() + "/WebP";
    var form = card.querySelector(".photo-text");
    form.elements.caption.value = photo.caption;
    form.elements.alt.value = photo.alt;
    card.photo = photo;
  }
  function makeCard(photo) {
    var card = cardTemplate.content.firstElementChild.cloneNode(true);
    card.setAttribute("data-id", photo.id);
    fillCard(card, photo);
    card.querySelector(".photo-text").addEventListener("submit", function (event) {
      event.preventDefault();
      describe(card, event.target);
    });
    Array.prototype.forEach.call(card.querySelectorAll("[data-copy]"), function (button) {
      button.addEventListener("click", function () { copy(card, button.getAttribute("data-copy")); });
    });
    card.querySelector('[data-action="uses"]').addEventListener("click", function () { showUses(card); });
    card.querySelector('[data-action="delete"]').addEventListener("click", function () { remove(card); });
    return card;
  }

  function describe(card, form) {
    var body = { caption: form.elements.caption.value.trim(), alt: form.elements.alt.value.trim() };
    api("PATCH", "/api/editor/photos/" + card.photo.id, body).then(function (photo) {
      fillCard(card, photo);
      say("Đã lưu mô tả ảnh.", false);
    }).catch(fail);
  }

  function copy(card, what) {
    var text = what === "cover" ? card.photo.cover_url : card.photo.markup;
    var box = card.querySelector(".photo-copy");
    var input = box.querySelector("input");
    input.value = text;
    box.hidden = false;
    input.select();
    var done = function () {
      say(what === "cover" ? "Đã chép URL ảnh đại diện: dán vào ô “Ảnh đại diện” của bài viết."
        : "Đã chép mã chèn ảnh (kèm chú thích): dán vào nội dung bài viết.", false);
    };
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(text).then(done, function () {
        say("Trình duyệt không cho chép tự động: hãy chép nội dung trong ô đã chọn.", true);
      });
    } else {
      say("Trình duyệt không cho chép tự động: hãy chép nội dung trong ô đã chọn.", true);
    }
  }

  function listUses(card, uses) {
    var box = card.querySelector(".photo-uses");
    var list = box.querySelector("ul");
    list.textContent = "";
    box.querySelector(".photo-uses-title").textContent = uses.length
      ? "Ảnh đang được dùng ở " + uses.length + " bài:" : "Ảnh chưa được dùng ở bài nào.";
    uses.forEach(function (use) {
      var item = doc.createElement("li");
      var where = [use.as_cover ? "ảnh đại diện" : "", use.in_body ? "trong nội dung" : ""]
        .filter(Boolean).join(", ");
      item.textContent = use.title + " (" + (STATES[use.status] || use.status) + "; " + where + ")";
      list.appendChild(item);
    });
    box.hidden = false;
  }
  function showUses(card) {
    api("GET", "/api/editor/photos/" + card.photo.id).then(function (detail) {
      listUses(card, detail.used_in);
    }).catch(fail);
  }

  function remove(card) {
    var photo = card.photo;
    if (!window.confirm("Xóa hẳn ảnh “" + photo.original_name + "” và mọi cỡ của nó?")) { return; }
    var base = "/api/editor/photos/" + photo.id;
    api("DELETE", base).catch(function (error) {
      if (error.status !== 409) { throw error; }
      var uses = (error.details || []).map(function (use) { return "• " + use.title; }).join("\n");
      if (!window.confirm("Ảnh đang được dùng ở các bài sau; xóa ảnh thì bài sẽ mất ảnh:\n" +
        uses + "\n\nVẫn xóa?")) {
        return "kept";
      }
      return api("DELETE", base + "?force=true");
    }).then(function (outcome) {
      if (outcome === "kept") { say("Đã giữ lại ảnh.", false); return; }
      card.remove();
      $("photo-empty").hidden = grid.children.length > 0;
      say("Đã xóa ảnh.", false);
    }).catch(fail);
  }

  // ---- the list ----------------------------------------------------------------------------------
  function load(cursor) {
    var query = "?limit=" + PAGE + (cursor ? "&cursor=" + encodeURIComponent(cursor) : "");
    return api("GET", "/api/editor/photos" + query).then(function (page) {
      if (!cursor) { grid.textContent = ""; }
      page.items.forEach(function (photo) { grid.appendChild(makeCard(photo)); });
      nextCursor = page.next_cursor;
      more.hidden = !nextCursor;
      $("photo-empty").hidden = grid.children.length > 0;
      $("photos-workspace").hidden = false;
    });
  }
  more.addEventListener("click", function () { load(nextCursor).catch(fail); });

  // ---- uploading: XMLHttpRequest, the one browser API that reports upload progress ---------------
  var fileInput = $("photo-file");
  var submit = $("photo-submit");
  var progressBox = uploadForm.querySelector(".photo-progress");
  var progress = $("photo-progress");
  var maxBytes = parseInt(uploadForm.getAttribute("data-max-mb"), 10) * 1048576;
  function busy(on) {
    submit.disabled = on;
    uploadForm.setAttribute("aria-busy", on ? "true" : "false");
    progressBox.hidden = !on;
    if (!on) { progress.value = 0; }
  }
  function send(data) {
    return new Promise(function (resolve, reject) {
      var request = new XMLHttpRequest();
      request.open("POST", "/api/editor/photos");
      request.withCredentials = true;
      request.setRequestHeader("X-CSRF-Token", csrf());
      request.upload.addEventListener("progress", function (event) {
        if (event.lengthComputable) { progress.value = Math.round(event.loaded * 100 / event.total); }
        if (event.loaded === event.total) { say("Đã gửi xong, máy chủ đang xử lý ảnh…", false); }
      });
      request.addEventListener("load", function () {
        var body = null;
        try { body = JSON.parse(request.responseText); } catch (e) { /* not JSON */ }
        if (request.status === 201) { resolve(body); } else { reject(failure(request.status, body)); }
      });
      request.addEventListener("error", function () { reject(failure(0, null)); });
      request.send(data);
    });
  }
  uploadForm.addEventListener("submit", function (event) {
    event.preventDefault();
    var file = fileInput.files && fileInput.files[0];
    if (!file) { say("Hãy chọn một tệp ảnh.", true); fileInput.focus(); return; }
    if (file.size > maxBytes) { say(MESSAGES[413], true); return; }
    var data = new FormData();
    data.append("file", file, file.name);
    data.append("caption", uploadForm.elements.caption.value.trim());
    data.append("alt", uploadForm.elements.alt.value.trim());
    busy(true);
    say("Đang tải ảnh lên…", false);
    send(data).then(function (photo) {
      grid.insertBefore(makeCard(photo), grid.firstChild);
      $("photo-empty").hidden = true;
      uploadForm.reset();
      say("Đã tải lên “" + photo.original_name + "” (" + photo.width + "×" + photo.height + " px).", false);
    }).catch(fail).then(function () { busy(false); });
  });

  load(null).catch(fail);
})();
