// The editor page's photo picker: photos from the library (or uploaded here) inserted into
// the body with their caption, or chosen as the cover.
(function () {
  "use strict";
  var doc = document;
  var page = window.EditorPage;
  var dialog = doc.getElementById("photo-picker");
  var grid = doc.getElementById("picker-grid");
  var status = doc.getElementById("picker-status");
  var form = doc.getElementById("article-form");
  var SIZES = "(max-width: 800px) 100vw, 800px";
  var purpose = "body";
  if (!page || !dialog) { return; }

  function say(text, isError) {
    status.textContent = text;
    status.className = "form-message" + (isError ? " error" : "");
  }
  var csrf = window.Staff.csrf;  // the session's CSRF token, sent on every write
  // The body takes the JPEG (or PNG) sizes in one <img srcset>: the figure the rich editor
  // makes (its schema has no <picture>); each browser still takes the width it needs.
  function fallback(photo) {
    return photo.variants.filter(function (v) { return v.format !== "webp"; });
  }
  function bodyPhoto(photo) {
    var sizes = fallback(photo);
    var middle = sizes.filter(function (v) { return v.width <= 1024; }).pop() || sizes[0];
    return {
      src: middle.url,
      srcset: sizes.map(function (v) { return v.url + " " + v.width + "w"; }).join(", "),
      sizes: SIZES,
      alt: photo.alt || photo.caption,
      caption: photo.caption
    };
  }
  function choose(photo) {
    if (purpose === "cover") {
      form.elements.cover_image_url.value = photo.cover_url;
      if (!form.elements.cover_caption.value) { form.elements.cover_caption.value = photo.caption; }
      form.dispatchEvent(new Event("input"));
      page.say("Đã chọn ảnh đại diện.", false);
    } else if (page.rich) {
      page.rich.insertPhoto(bodyPhoto(photo));
      page.say("Đã chèn ảnh vào bài.", false);
    }
    dialog.close();
  }
  function tile(photo) {
    var item = doc.createElement("li");
    var thumb = doc.createElement("img");
    var small = fallback(photo)[0] || photo.variants[0];
    thumb.src = small.url;
    thumb.alt = photo.alt || photo.caption || photo.original_name;
    thumb.width = 160;
    thumb.height = Math.round(160 * photo.height / photo.width);
    thumb.loading = "lazy";
    var caption = doc.createElement("span");
    caption.textContent = photo.caption || photo.original_name;
    var use = doc.createElement("button");
    use.type = "button";
    use.textContent = purpose === "cover" ? "Làm ảnh đại diện" : "Chèn vào bài";
    use.setAttribute("aria-label", use.textContent + ": " + caption.textContent);
    use.addEventListener("click", function () { choose(photo); });
    item.appendChild(thumb);
    item.appendChild(caption);
    item.appendChild(use);
    return item;
  }
  function load() {
    return window.Staff.api("GET", "/api/editor/photos?limit=60").then(function (list) {
      grid.textContent = "";
      list.items.forEach(function (photo) { grid.appendChild(tile(photo)); });
      if (!list.items.length) { say("Thư viện chưa có ảnh: hãy tải ảnh lên.", false); }
    });
  }
  page.pickPhoto = function (wanted) {
    purpose = wanted;
    say("", false);
    dialog.showModal();
    load().catch(function (error) { say(error.message, true); });
  };
  doc.getElementById("pick-cover").addEventListener("click", function () { page.pickPhoto("cover"); });
  doc.getElementById("picker-upload").addEventListener("submit", function (event) {
    event.preventDefault();
    var data = new FormData(event.target);
    say("Đang tải ảnh lên và tạo các cỡ ảnh…", false);
    fetch("/api/editor/photos", { method: "POST", body: data, credentials: "same-origin",
      headers: { "X-CSRF-Token": csrf() } })
      .then(function (response) {
        return response.json().then(function (body) {
          if (!response.ok) { throw new Error((body && body.error && body.error.message) || "HTTP " + response.status); }
          return body;
        });
      })
      .then(function (photo) {
        event.target.reset();
        say("Đã tải lên.", false);
        grid.insertBefore(tile(photo), grid.firstChild);
      })
      .catch(function (error) { say("Không tải lên được: " + error.message, true); });
  });
})();
