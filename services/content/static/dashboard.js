// The statistics dashboard: figures, chart and tables from the counter's API, for a period;
// Online and today's figures move live with the widget's stream. Every name from a client
// (a page, a source) is written with textContent, never as HTML.
(function () {
  "use strict";
  var doc = document;
  var KEY = "portal.adminToken";
  var API = "/api/stats/dashboard";
  var DEVICES = { phone: "Điện thoại", tablet: "Máy tính bảng", desktop: "Máy tính" };
  var TABLES = ["articles", "pages", "sources", "browsers", "devices", "bots"];
  var number = new Intl.NumberFormat("vi-VN");
  function $(id) { return doc.getElementById(id); }
  var period = periodFromAddress();
  var current = null;
  var reloading = null;

  function token() { try { return sessionStorage.getItem(KEY); } catch (e) { return null; } }
  function setToken(value) {
    try { if (value) { sessionStorage.setItem(KEY, value); } else { sessionStorage.removeItem(KEY); } }
    catch (e) { /* a blocked sessionStorage: sign in again on each load */ }
  }
  function say(text, isError) {
    $("board-status").textContent = text;
    $("board-status").className = "form-message" + (isError ? " error" : "");
  }
  function periodFromAddress() {
    var query = new URLSearchParams(location.search);
    var range = query.get("range") || "7d";
    var result = { range: range };
    if (range === "custom") { result.from = query.get("from") || ""; result.to = query.get("to") || ""; }
    return result;
  }
  function params(extra) {
    var query = new URLSearchParams(period);
    Object.keys(extra || {}).forEach(function (key) { query.set(key, extra[key]); });
    return query.toString();
  }
  function get(path) {
    var headers = token() ? { Authorization: "Bearer " + token() } : {};
    return fetch(path, { headers: headers, cache: "no-store" }).then(function (response) {
      if (response.ok) { return response; }
      return response.json().catch(function () { return null; }).then(function (data) {
        var error = new Error((data && data.error && data.error.message) || "HTTP " + response.status);
        error.status = response.status;
        throw error;
      });
    });
  }

  function load() {
    return get(API + "?" + params()).then(function (response) { return response.json(); })
      .then(function (data) {
        current = data;
        $("board-signin").hidden = true;
        $("board").hidden = false;
        $("board-admin").hidden = !token();
        $("board-public").checked = data.public;
        render(data);
        say("");
      }, function (error) {
        if (error.status === 401) {
          var hadToken = Boolean(token());
          setToken(null); $("board").hidden = true; $("board-signin").hidden = false;
          say(hadToken ? "Mã không đúng hoặc đã bị thu hồi." : "", hadToken); return;
        }
        say("Lỗi: " + error.message, true);
      });
  }

  function render(data) {
    var days = data.start === data.end ? dayLabel(data.start) : dayLabel(data.start) + " – " + dayLabel(data.end);
    $("board-period").textContent = days + " · so với " + dayLabel(data.previous_start) +
      (data.previous_start === data.previous_end ? "" : " – " + dayLabel(data.previous_end));
    Array.prototype.forEach.call(doc.querySelectorAll("[data-range]"), function (button) {
      button.setAttribute("aria-pressed", String(button.getAttribute("data-range") === data.range));
    });
    $("board-from").value = data.start; $("board-to").value = data.end;
    showOnline(data.online.formatted);
    ["visitors", "visits", "views"].forEach(function (name) {
      var box = $("fig-" + name);
      box.querySelector(".value").textContent = data.figures[name].formatted;
      var change = data.change[name];
      var text = change === null ? "kỳ trước: " + data.previous[name].formatted
        : (change > 0 ? "▲ +" : change < 0 ? "▼ " : "") + number.format(change) + "% so với kỳ trước";
      box.querySelector(".change").textContent = text;
      box.querySelector(".change").className = "change" + (change > 0 ? " up" : change < 0 ? " down" : "");
    });
    fillSeries(data.series);
    TABLES.forEach(function (name) { fillTable(name, data.tables[name]); });
    names(data.tables.articles);
    chart();
  }
  function dayLabel(iso) { var p = iso.split("-"); return Number(p[2]) + "-" + Number(p[1]) + "-" + p[0]; }
  function showOnline(text) { $("fig-online").querySelector(".value").textContent = text; }
  function cell(row, text, numeric) {
    var td = doc.createElement(row.children.length ? "td" : "th");
    if (!row.children.length) { td.scope = "row"; }
    if (numeric) { td.className = "num"; }
    if (text instanceof Node) { td.appendChild(text); } else { td.textContent = text; }
    row.appendChild(td);
  }
  function fillSeries(points) {
    var body = $("table-series").querySelector("tbody");
    body.textContent = "";
    points.forEach(function (point) {
      var row = doc.createElement("tr");
      cell(row, point.label);
      [point.visitors, point.visits, point.views].forEach(function (n) { cell(row, number.format(n), true); });
      body.appendChild(row);
    });
  }
  function fillTable(name, rows) {
    var body = $("table-" + name).querySelector("tbody");
    body.textContent = "";
    if (!rows.length) {
      var empty = doc.createElement("tr"); cell(empty, "Chưa có số liệu"); cell(empty, "", true);
      body.appendChild(empty);
    }
    rows.forEach(function (item) {
      var row = doc.createElement("tr");
      row.setAttribute("data-name", item.name);
      cell(row, name === "devices" ? (DEVICES[item.name] || item.name) : item.name);
      cell(row, item.views.formatted, true);
      body.appendChild(row);
    });
  }
  function names(rows) {  // the top articles by title, with links, from content's API
    if (!rows.length) { return; }
    var ids = rows.map(function (row) { return row.name; }).filter(function (id) { return /^[A-Za-z0-9_-]{1,64}$/.test(id); });
    if (!ids.length) { return; }
    fetch("/api/article-summaries?ids=" + ids.slice(0, 100).join(",")).then(function (r) { return r.ok ? r.json() : { items: [] }; })
      .then(function (found) {
        found.items.forEach(function (article) {
          var row = $("table-articles").querySelector('tr[data-name="' + article.id + '"] th');
          if (!row) { return; }
          var link = doc.createElement("a");
          link.href = new URL(article.url, location.href).pathname; link.textContent = article.title;
          row.textContent = ""; row.appendChild(link);
        });
      }, function () { /* ids stay shown */ });
  }
  function chart() {
    get(API + "/chart.svg?" + params()).then(function (r) { return r.text(); }).then(function (svg) {
      var image = $("board-chart");
      image.src = "data:image/svg+xml;charset=utf-8," + encodeURIComponent(svg);
      image.alt = "Biểu đồ khách, lượt truy cập và lượt xem; số liệu ở bảng bên dưới";
    }, function () { /* the table below has the numbers */ });
  }
  function download(table) {
    get(API + "/export.csv?" + params({ table: table })).then(function (response) {
      return response.blob();
    }).then(function (blob) {
      var link = doc.createElement("a");
      link.href = URL.createObjectURL(blob);
      link.download = "thong-ke-" + table + "-" + current.start + "-" + current.end + ".csv";
      doc.body.appendChild(link); link.click(); link.remove();
      setTimeout(function () { URL.revokeObjectURL(link.href); }, 10000);
    }, function (error) { say("Lỗi: " + error.message, true); });
  }
  function live() {  // the widget's stream: Online at once, today's figures soon after
    if (!window.EventSource) { return; }
    var source = new EventSource("/api/stats/stream");
    source.addEventListener("stats", function (event) {
      var data = JSON.parse(event.data);
      showOnline(data.formatted.online);
      var today = new Date().toLocaleDateString("sv-SE", { timeZone: "Asia/Ho_Chi_Minh" });
      if (current && current.end >= today && !reloading) {
        reloading = setTimeout(function () { reloading = null; load(); }, 1000);
      }
    });
  }
  function choose(next) {
    period = next;
    history.replaceState(null, "", "?" + params());
    load();
  }

  Array.prototype.forEach.call(doc.querySelectorAll("[data-range]"), function (button) {
    button.addEventListener("click", function () { choose({ range: button.getAttribute("data-range") }); });
  });
  Array.prototype.forEach.call(doc.querySelectorAll("button.csv"), function (button) {
    button.addEventListener("click", function () { download(button.getAttribute("data-table")); });
  });
  $("board-custom").addEventListener("submit", function (event) {
    event.preventDefault();
    choose({ range: "custom", from: $("board-from").value, to: $("board-to").value });
  });
  $("board-signin").addEventListener("submit", function (event) {
    event.preventDefault();
    setToken($("board-token").value.trim());
    $("board-token").value = "";
    load();
  });
  $("board-signout").addEventListener("click", function () { setToken(null); location.reload(); });
  $("board-public").addEventListener("change", function () {
    var wanted = $("board-public").checked;
    fetch(API + "/access", { method: "PUT", cache: "no-store",
      headers: { Authorization: "Bearer " + token(), "Content-Type": "application/json" },
      body: JSON.stringify({ public: wanted }) }).then(function (response) {
      say(response.ok ? (wanted ? "Trang thống kê đã công khai." : "Trang thống kê chỉ dành cho quản trị.") : "Lỗi: HTTP " + response.status, !response.ok);
    });
  });
  load().then(live);
})();
