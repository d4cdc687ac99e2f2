// The editor page: who is signed in, the articles (and the review queue), the form with its
// rich editor, autosave, and each action as the signed-in person's role allows.
(function () {
  "use strict";
  var doc = document;
  var STATES = { draft: "Nháp", review: "Chờ duyệt", scheduled: "Hẹn giờ", published: "Đã xuất bản",
    unpublished: "Đã gỡ" };
  var DELIVERY = { sent: "đã gửi", pending: "chờ gửi", queued: "chờ gửi", sending: "đang gửi",
    retrying: "gửi lại", failed: "lỗi", bounced: "bị trả", suppressed: "bị chặn", skipped: "bỏ qua" };
  var AUTOSAVE_MS = 20000;
  function $(id) { return doc.getElementById(id); }
  var statusBox = $("editor-status");
  var form = $("article-form");
  var rows = doc.querySelector("#articles tbody");
  var api = window.Staff.api;
  var me = null;
  var filter = "";
  var dirty = false;
  var rich = null;

  function say(text, isError) {
    statusBox.textContent = text;
    statusBox.className = "form-message" + (isError ? " error" : "");
  }
  function fail(error) {
    if (error.status === 401) { window.Staff.signInAgain(); return; }
    var details = Array.isArray(error.details) ? " (" + error.details.map(function (d) {
      return (d.loc || d.field || []).toString() + ": " + (d.msg || d.message || "");
    }).join("; ") + ")" : "";
    say("Lỗi: " + error.message + details, true);
  }
  function isEditor() { return me && me.role !== "contributor"; }
  function publicJson(path) {
    return fetch(path, { cache: "no-store" }).then(function (r) { return r.ok ? r.json() : null; })
      .catch(function () { return null; });
  }

  // ---- who is signed in ----------------------------------------------------------------------
  function enter() {
    return api("GET", "/api/editor/me").then(function (who) {
      me = who;
      $("who").textContent = who.name + " (" + (window.Staff.roles[who.role] || who.role) + ")";
      $("people-link").hidden = who.role !== "admin";
      Array.prototype.forEach.call(doc.querySelectorAll("[data-role]"), function (el) {
        var role = el.getAttribute("data-role");
        el.hidden = role === "editor" ? !isEditor() : isEditor();
      });
      $("workspace").hidden = false;
      mountRichEditor();
      return loadList();
    });
  }
  function leave(path) {
    return api("POST", path).then(function () { location.assign("/bien-tap/dang-nhap"); }).catch(fail);
  }
  $("signout").addEventListener("click", function () { leave("/api/staff/sign-out"); });
  $("signout-all").addEventListener("click", function () { leave("/api/staff/sign-out-everywhere"); });

  // ---- the list ------------------------------------------------------------------------------
  var cell = window.Staff.cell;
  function deliveries(summary) {
    var counts = summary && (summary.deliveries || summary.counts || summary.by_state);
    if (!counts) { return "–"; }
    var parts = Object.keys(counts).filter(function (k) { return counts[k] > 0; }).map(function (k) {
      return counts[k] + " " + (DELIVERY[k] || k);
    });
    return parts.length ? parts.join(", ") : "chưa gửi";
  }
  function row(article) {
    var tr = doc.createElement("tr");
    tr.setAttribute("data-id", article.id);
    var link = doc.createElement("a");
    link.href = article.url;
    link.textContent = article.title;
    cell(tr, "").appendChild(link);
    cell(tr, article.section);
    var state = cell(tr, "");
    var badge = doc.createElement("span");
    badge.className = "status status-" + article.status;
    badge.setAttribute("data-status", article.status);
    badge.textContent = STATES[article.status] || article.status;
    state.appendChild(badge);
    if (article.status === "scheduled" && article.publish_at) {
      state.appendChild(doc.createTextNode(" " + new Date(article.publish_at).toLocaleString("vi-VN")));
    }
    var views = cell(tr, "…");
    views.className = "views";
    var mail = cell(tr, "–");
    mail.className = "deliveries";
    var edit = cell(tr, "").appendChild(doc.createElement("button"));
    edit.type = "button";
    edit.className = "secondary";
    edit.textContent = "Sửa";
    edit.setAttribute("aria-label", "Sửa bài: " + article.title);
    edit.addEventListener("click", function () { open(article.id); });
    publicJson("/api/stats/articles/" + encodeURIComponent(article.id)).then(function (s) {
      views.textContent = s && typeof s.views === "number" ? s.views.toLocaleString("vi-VN") : "–";
    });
    if (isEditor()) {  // the counts are not public: asked of content in the editor's name
      api("GET", "/api/editor/articles/" + encodeURIComponent(article.id) + "/deliveries")
        .catch(function () { return null; })
        .then(function (d) { mail.textContent = deliveries(d); });
    }
    return tr;
  }
  function loadList() {
    var query = "/api/editor/articles?limit=100" + (filter ? "&status=" + filter : "");
    if (isEditor()) {
      api("GET", "/api/editor/articles?limit=100&status=review").then(function (queue) {
        $("review-count").textContent = queue.items.length ? "(" + queue.items.length + ")" : "";
      }).catch(function () { /* the count is a hint only */ });
    }
    return api("GET", query).then(function (list) {
      rows.textContent = "";
      list.items.forEach(function (article) { rows.appendChild(row(article)); });
    });
  }
  $("refresh").addEventListener("click", function () { loadList().catch(fail); });
  Array.prototype.forEach.call(doc.querySelectorAll("[data-filter]"), function (button) {
    button.addEventListener("click", function () {
      filter = button.getAttribute("data-filter");
      Array.prototype.forEach.call(doc.querySelectorAll("[data-filter]"), function (b) {
        b.setAttribute("aria-pressed", String(b === button));
      });
      loadList().catch(fail);
    });
  });

  // ---- the form ------------------------------------------------------------------------------
  function field(name) { return form.elements[name]; }
  function list(text) { return text.split(",").map(function (s) { return s.trim(); }).filter(Boolean); }
  function localInput(iso) {  // ISO instant -> the datetime-local value in this browser's zone
    if (!iso) { return ""; }
    var d = new Date(iso);
    return new Date(d.getTime() - d.getTimezoneOffset() * 60000).toISOString().slice(0, 16);
  }
  function mountRichEditor() {
    // The textarea stays the form's value; the rich editor (bundled from npm, editor-src/)
    // writes into it. Without the bundle the textarea is the editor, as before.
    var area = field("body");
    if (!window.RichEditor || rich) { return; }
    var host = doc.createElement("div");
    host.className = "rich-host";
    area.parentNode.insertBefore(host, area);
    area.hidden = true;
    rich = window.RichEditor.mount(host, { html: area.value, label: "Nội dung bài viết",
      onPhotoRequest: function () { window.EditorPage.pickPhoto("body"); },
      onChange: function (html) { area.value = html; dirty = true; } });
    window.EditorPage.rich = rich;
    // "HTML source": the textarea again, for what the toolbar does not do; back to the rich
    // editor, the HTML is read into it (the server sanitises either way).
    var source = doc.createElement("label");
    source.className = "check source-toggle";
    source.innerHTML = '<input type="checkbox" id="f-source"> Sửa mã HTML';
    host.parentNode.insertBefore(source, area);
    doc.getElementById("f-source").addEventListener("change", function (event) {
      var on = event.target.checked;
      if (!on) { rich.setHTML(area.value); }
      area.hidden = !on;
      host.hidden = on;
    });
  }
  function bodyHTML() {
    var sourceMode = rich && doc.getElementById("f-source").checked;
    return rich && !sourceMode ? rich.getHTML() : field("body").value;
  }
  function fill(article) {
    field("id").value = article ? article.id : "";
    field("revision").value = article ? article.revision : "";
    field("title").value = article ? article.title : "";
    field("section").value = article ? article.section_slug : field("section").options[0].value;
    field("lead").value = article ? article.lead : "";
    field("body").value = article ? article.body : "";
    if (rich) { rich.setHTML(field("body").value); }
    field("tags").value = article ? article.tags.map(function (t) { return t.name; }).join(", ") : "";
    field("authors").value = article ? article.authors.join(", ") : "";
    field("cover_image_url").value = article && article.cover_image_url ? article.cover_image_url : "";
    field("cover_caption").value = article ? article.cover_caption : "";
    field("publish_at").value = article ? localInput(article.publish_at) : "";
    $("form-title").textContent = article ? "Sửa bài" : "Bài mới";
    $("article-state").textContent = article ? STATES[article.status] || article.status : "chưa lưu";
    $("article-state").setAttribute("data-status", article ? article.status : "new");
    $("approved").textContent = article && article.approved_by ? "· Duyệt: " + article.approved_by : "";
    var link = $("article-link");
    link.textContent = "";
    if (article && article.status === "published") {
      var a = doc.createElement("a");
      a.href = article.url;
      a.textContent = "Xem trên trang";
      link.appendChild(a);
    }
    $("preview").textContent = "";
    dirty = false;
    window.EditorPage.shown(article);
    return article;
  }
  function open(id) {
    return api("GET", "/api/editor/articles/" + encodeURIComponent(id)).then(function (article) {
      fill(article);
      say("Đang sửa: " + article.title, false);
      $("f-title").focus();
    }).catch(fail);
  }
  $("new-article").addEventListener("click", function () { fill(null); $("f-title").focus(); });
  form.addEventListener("input", function () { dirty = true; });

  function save() {
    var id = field("id").value;
    var body = {
      title: field("title").value.trim(),
      section: field("section").value,
      lead: field("lead").value,
      body: bodyHTML(),
      tags: list(field("tags").value),
      authors: list(field("authors").value),
      cover_caption: field("cover_caption").value.trim()
    };
    var cover = field("cover_image_url").value.trim();
    if (!body.title) {
      field("title").focus();
      return Promise.reject(new Error("Bài viết cần có tiêu đề."));
    }
    if (id) {
      body.cover_image_url = cover;  // "" removes the picture
      body.revision = parseInt(field("revision").value, 10) || null;
      return api("PATCH", "/api/articles/" + encodeURIComponent(id), body).then(fill);
    }
    if (cover) { body.cover_image_url = cover; }
    return api("POST", "/api/articles", body).then(fill);
  }
  // Autosave: a changed draft is saved every 20 s. If someone else changed it meanwhile the
  // server answers 409 and nothing is overwritten: the editor is told, in plain words.
  setInterval(function () {
    var state = $("article-state").getAttribute("data-status");
    if (!dirty || !field("title").value.trim() || (state !== "new" && state !== "draft" && state !== "review")) { return; }
    save().then(function () {
      $("autosave").textContent = "Đã tự lưu lúc " + new Date().toLocaleTimeString("vi-VN");
      return loadList();
    }).catch(function (error) {
      dirty = false;  // not again every 20 s: the person decides
      if (error.status === 409) {
        say("Bài này vừa được người khác sửa. Bản của bạn chưa được lưu: hãy chép phần bạn vừa viết, tải lại bài rồi sửa tiếp.", true);
      } else { fail(error); }
    });
  }, AUTOSAVE_MS);

  function lifecycle(action, payload) {
    return function (article) {
      return api("POST", "/api/articles/" + encodeURIComponent(article.id) + "/" + action, payload)
        .then(fill);
    };
  }
  function current() {
    var id = field("id").value;
    return id ? Promise.resolve({ id: id }) : Promise.reject(new Error("Hãy lưu bài trước."));
  }
  function then(message) { return function () { return message; }; }
  var ACTIONS = {
    save: function () { return save().then(then("Đã lưu.")); },
    submit: function () { return save().then(lifecycle("submit")).then(then("Đã gửi duyệt.")); },
    publish: function () { return save().then(lifecycle("publish")).then(then("Đã xuất bản.")); },
    schedule: function () {
      var when = field("publish_at").value;
      if (!when) { field("publish_at").focus(); return Promise.reject(new Error("Chọn thời điểm xuất bản.")); }
      var at = new Date(when).toISOString();
      return save().then(lifecycle("schedule", { publish_at: at })).then(function () {
        return "Đã hẹn giờ xuất bản lúc " + new Date(at).toLocaleString("vi-VN") + ".";
      });
    },
    unpublish: function () { return current().then(lifecycle("unpublish")).then(then("Đã gỡ bài.")); },
    draft: function () { return current().then(lifecycle("draft")).then(then("Đã chuyển về nháp.")); },
    preview: function () {
      var html = bodyHTML();
      return api("POST", "/api/editor/preview", { body: html }).then(function (out) {
        // The server sanitised it; the page's Content-Security-Policy is the second guard.
        $("preview").innerHTML = out.body;
        return "Bản xem trước đã cập nhật.";
      });
    }
  };
  function run(action) {
    say("Đang xử lý…", false);
    ACTIONS[action]().then(function (message) {
      say(message, false);
      return action === "preview" ? null : loadList();
    }).catch(fail);
  }
  form.addEventListener("submit", function (event) { event.preventDefault(); run("save"); });
  Array.prototype.forEach.call(form.querySelectorAll("button[data-action]"), function (button) {
    if (button.type !== "submit") {
      button.addEventListener("click", function () { run(button.getAttribute("data-action")); });
    }
  });

  window.EditorPage = { open: open, fill: fill, say: say, fail: fail, shown: function () {},
    isEditor: isEditor, rich: null };
  enter().catch(fail);
})();
