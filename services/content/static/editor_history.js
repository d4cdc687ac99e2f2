// The editor page's revision history: every revision of the open article, compared with the
// current one, and (for editors) restored as a new revision.
(function () {
  "use strict";
  var doc = document;
  var page = window.EditorPage;
  var api = window.Staff.api;
  var ACTIONS = { create: "Tạo", edit: "Sửa", publish: "Xuất bản", schedule: "Hẹn giờ",
    unpublished: "Gỡ", draft: "Về nháp", review: "Gửi duyệt", restore: "Khôi phục" };
  var FIELDS = { title: "Tiêu đề", slug: "Đường dẫn", section: "Chuyên mục", lead: "Sapo",
    body: "Nội dung", tags: "Từ khóa", authors: "Tác giả", cover_image_url: "Ảnh đại diện",
    cover_caption: "Chú thích ảnh" };
  var panel = doc.getElementById("history");
  var rows = doc.querySelector("#revisions tbody");
  var comparison = doc.getElementById("comparison");
  if (!page || !panel) { return; }

  function path(article, rest) {
    return "/api/editor/articles/" + encodeURIComponent(article.id) + rest;
  }
  var button = window.Staff.button;
  var cell = window.Staff.cell;
  function showComparison(out) {
    comparison.textContent = "";
    var title = doc.createElement("h3");
    title.textContent = "Bản " + out.before + " so với bản " + out.after;
    comparison.appendChild(title);
    if (!out.fields.length) {
      comparison.appendChild(doc.createTextNode("Hai bản giống nhau."));
      return;
    }
    out.fields.forEach(function (change) {
      var heading = doc.createElement("h4");
      heading.textContent = FIELDS[change.field] || change.field;
      comparison.appendChild(heading);
      var list = doc.createElement("div");
      list.className = "diff";
      change.lines.forEach(function (line) {
        // Text only (textContent): a revision's HTML is shown as source, never run.
        var el = doc.createElement(line.kind === "added" ? "ins" : line.kind === "removed" ? "del" : "div");
        el.className = "diff-" + line.kind;
        el.textContent = (line.kind === "added" ? "+ " : line.kind === "removed" ? "− " : "  ") + line.text;
        list.appendChild(el);
      });
      comparison.appendChild(list);
    });
  }
  function load(article) {
    comparison.textContent = "";
    return api("GET", path(article, "/history")).then(function (history) {
      rows.textContent = "";
      history.items.slice().reverse().forEach(function (entry) {
        var row = doc.createElement("tr");
        row.setAttribute("data-revision", entry.revision);
        cell(row, String(entry.revision));
        cell(row, ACTIONS[entry.action] || entry.action);
        cell(row, entry.by);
        cell(row, new Date(entry.at).toLocaleString("vi-VN"));
        var actions = cell(row, "");
        if (entry.revision !== article.revision) {
          actions.appendChild(button("So sánh", "So sánh bản " + entry.revision + " với bản hiện tại", function () {
            api("GET", path(article, "/compare?before=" + entry.revision + "&after=" + article.revision))
              .then(showComparison).catch(page.fail);
          }));
          if (page.isEditor()) {
            actions.appendChild(button("Khôi phục", "Khôi phục bản " + entry.revision, function () {
              api("POST", path(article, "/revisions/" + entry.revision + "/restore"), { revision: article.revision })
                .then(function (restored) {
                  page.fill(restored);
                  page.say("Đã khôi phục nội dung bản " + entry.revision + " thành bản " + restored.revision + ".", false);
                }).catch(page.fail);
            }));
          }
        }
        rows.appendChild(row);
      });
      panel.hidden = false;
    });
  }
  page.shown = function (article) {
    if (!article) { panel.hidden = true; return; }
    load(article).catch(page.fail);
  };
})();
