// The editor page: sign in with a token (kept in this tab only), list, write, preview, publish.
(function () {
  "use strict";
  var doc = document;
  var KEY = "portal.editorToken";
  var STATES = { draft: "Nháp", scheduled: "Hẹn giờ", published: "Đã xuất bản", unpublished: "Đã gỡ" };
  var DELIVERY = { sent: "đã gửi", pending: "chờ gửi", queued: "chờ gửi", sending: "đang gửi",
    retrying: "gửi lại", failed: "lỗi", bounced: "bị trả", suppressed: "bị chặn", skipped: "bỏ qua" };
  function $(id) { return doc.getElementById(id); }
  var statusBox = $("editor-status");
  var form = $("article-form");
  var rows = doc.querySelector("#articles tbody");

  function token() { try { return sessionStorage.getItem(KEY); } catch (e) { return null; } }
  function setToken(value) {
    try { if (value) { sessionStorage.setItem(KEY, value); } else { sessionStorage.removeItem(KEY); } }
    catch (e) { /* a blocked sessionStorage: sign in again on each load */ }
  }
  function say(text, isError) {
    statusBox.textContent = text;
    statusBox.className = "form-message" + (isError ? " error" : "");
  }
  function fail(error) {
    if (error.status === 401) { signOut(); }
    var details = Array.isArray(error.details) ? " (" + error.details.map(function (d) {
      return (d.loc || d.field || []).toString() + ": " + (d.msg || d.message || "");
    }).join("; ") + ")" : "";
    say("Lỗi: " + error.message + details, true);
  }

  function api(method, path, body) {
    var headers = { Authorization: "Bearer " + token() };
    if (body !== undefined) { headers["Content-Type"] = "application/json"; }
    return fetch(path, { method: method, headers: headers, cache: "no-store",
      body: body === undefined ? undefined : JSON.stringify(body) })
      .then(function (response) {
        return response.json().catch(function () { return null; }).then(function (data) {
          if (!response.ok) {
            var error = new Error((data && data.error && data.error.message) || "HTTP " + response.status);
            error.status = response.status;
            error.details = data && data.error && data.error.details;
            throw error;
          }
          return data;
        });
      });
  }
  function publicJson(path) {
    return fetch(path, { cache: "no-store" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .catch(function () { return null; });
  }

  // ---- signing in ----------------------------------------------------------------------------
  function signOut() {
    setToken(null);
    $("workspace").hidden = true;
    $("signin").hidden = false;
  }
  function enter() {
    return api("GET", "/api/editor/me").then(function (me) {
      $("who").textContent = me.name + " (" + me.role + ")";
      $("signin").hidden = true;
      $("workspace").hidden = false;
      return loadList();
    });
  }
  $("signin").addEventListener("submit", function (event) {
    event.preventDefault();
    setToken($("token").value.trim());
    $("token").value = "";
    enter().then(function () { say("Đã đăng nhập.", false); $("f-title").focus(); }, function (error) {
      setToken(null);
      say(error.status === 401 ? "Mã không đúng hoặc đã bị thu hồi." : "Lỗi: " + error.message, true);
    });
  });
  $("signout").addEventListener("click", function () { signOut(); say("Đã đăng xuất.", false); });

  // ---- the list ------------------------------------------------------------------------------
  function cell(row, text) {
    var td = doc.createElement("td");
    td.textContent = text;
    row.appendChild(td);
    return td;
  }
  function deliveries(summary) {
    var counts = summary && (summary.deliveries || summary.counts || summary.by_state);
    if (!counts) { return "–"; }
    var parts = Object.keys(counts).filter(function (k) { return counts[k] > 0; }).map(function (k) {
      return counts[k] + " " + (DELIVERY[k] || k);
    });
    return parts.length ? parts.join(", ") : "chưa gửi";
  }
  function loadList() {
    return api("GET", "/api/editor/articles?limit=100").then(function (list) {
      rows.textContent = "";
      list.items.forEach(function (article) {
        var row = doc.createElement("tr");
        row.setAttribute("data-id", article.id);
        var title = cell(row, "");
        var link = doc.createElement("a");
        link.href = article.url;
        link.textContent = article.title;
        title.appendChild(link);
        cell(row, article.section);
        var state = cell(row, "");
        var badge = doc.createElement("span");
        badge.className = "status status-" + article.status;
        badge.setAttribute("data-status", article.status);
        badge.textContent = STATES[article.status] || article.status;
        state.appendChild(badge);
        if (article.status === "scheduled" && article.publish_at) {
          state.appendChild(doc.createTextNode(" " + new Date(article.publish_at).toLocaleString("vi-VN")));
        }
        var views = cell(row, "…");
        views.className = "views";
        var mail = cell(row, "…");
        mail.className = "deliveries";
        var edit = doc.createElement("button");
        edit.type = "button";
        edit.className = "secondary";
        edit.textContent = "Sửa";
        edit.setAttribute("aria-label", "Sửa bài: " + article.title);
        edit.addEventListener("click", function () { open(article.id); });
        cell(row, "").appendChild(edit);
        rows.appendChild(row);
        publicJson("/api/stats/articles/" + encodeURIComponent(article.id)).then(function (s) {
          views.textContent = s && typeof s.views === "number" ? s.views.toLocaleString("vi-VN") : "–";
        });
        // Asked of content with the editor's token: the counts are not public.
        api("GET", "/api/editor/articles/" + encodeURIComponent(article.id) + "/deliveries")
          .catch(function () { return null; })
          .then(function (d) { mail.textContent = deliveries(d); });
      });
    });
  }
  $("refresh").addEventListener("click", function () { loadList().catch(fail); });

  // ---- the form ------------------------------------------------------------------------------
  function field(name) { return form.elements[name]; }
  function list(text) {
    return text.split(",").map(function (s) { return s.trim(); }).filter(Boolean);
  }
  function localInput(iso) {  // ISO instant -> the datetime-local value in this browser's zone
    if (!iso) { return ""; }
    var d = new Date(iso);
    return new Date(d.getTime() - d.getTimezoneOffset() * 60000).toISOString().slice(0, 16);
  }
  function fill(article) {
    field("id").value = article ? article.id : "";
    field("revision").value = article ? article.revision : "";
    field("title").value = article ? article.title : "";
    field("section").value = article ? article.section_slug : field("section").options[0].value;
    field("lead").value = article ? article.lead : "";
    field("body").value = article ? article.body : "";
    field("tags").value = article ? article.tags.map(function (t) { return t.name; }).join(", ") : "";
    field("authors").value = article ? article.authors.join(", ") : "";
    field("cover_image_url").value = article && article.cover_image_url ? article.cover_image_url : "";
    field("cover_caption").value = article ? article.cover_caption : "";
    field("publish_at").value = article ? localInput(article.publish_at) : "";
    $("form-title").textContent = article ? "Sửa bài" : "Bài mới";
    $("article-state").textContent = article ? STATES[article.status] || article.status : "chưa lưu";
    $("article-state").setAttribute("data-status", article ? article.status : "new");
    var link = $("article-link");
    link.textContent = "";
    if (article && article.status === "published") {
      var a = doc.createElement("a");
      a.href = article.url;
      a.textContent = "Xem trên trang";
      link.appendChild(a);
    }
    $("preview").textContent = "";
    return article;
  }
  function open(id) {
    api("GET", "/api/editor/articles/" + encodeURIComponent(id)).then(function (article) {
      fill(article);
      say("Đang sửa: " + article.title, false);
      $("f-title").focus();
    }).catch(fail);
  }
  $("new-article").addEventListener("click", function () { fill(null); $("f-title").focus(); });

  function save() {
    var id = field("id").value;
    var body = {
      title: field("title").value.trim(),
      section: field("section").value,
      lead: field("lead").value,
      body: field("body").value,
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
  var ACTIONS = {
    save: function () { return save().then(function () { return "Đã lưu."; }); },
    publish: function () {
      return save().then(lifecycle("publish")).then(function () { return "Đã xuất bản."; });
    },
    schedule: function () {
      var when = field("publish_at").value;
      if (!when) { field("publish_at").focus(); return Promise.reject(new Error("Chọn thời điểm xuất bản.")); }
      var at = new Date(when).toISOString();
      return save().then(lifecycle("schedule", { publish_at: at })).then(function () {
        return "Đã hẹn giờ xuất bản lúc " + new Date(at).toLocaleString("vi-VN") + ".";
      });
    },
    unpublish: function () {
      return current().then(lifecycle("unpublish")).then(function () { return "Đã gỡ bài."; });
    },
    draft: function () {
      return current().then(lifecycle("draft")).then(function () { return "Đã chuyển về nháp."; });
    },
    preview: function () {
      return api("POST", "/api/editor/preview", { body: field("body").value }).then(function (out) {
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

  if (token()) { enter().catch(fail); }
})();
