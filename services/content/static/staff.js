// Staff pages: sign-in, first administrator, invitation, password reset, people and tokens.
// Also `window.Staff`, the one way the editor pages call the API: the session cookie goes
// by itself; every write carries the CSRF token from the readable cookie.
(function () {
  "use strict";
  var doc = document;
  var ROLES = { contributor: "Cộng tác viên", editor: "Biên tập viên", admin: "Quản trị" };
  var PLAIN = {
    401: "Bạn cần đăng nhập lại.",
    409: "Nội dung đã được người khác thay đổi trong lúc bạn làm việc. Hãy tải lại rồi sửa tiếp.",
    413: "Nội dung quá lớn.",
    503: "Máy chủ tạm thời chưa xử lý được; hãy thử lại sau ít phút."
  };

  function csrf() {
    var found = doc.cookie.split("; ").filter(function (c) { return c.indexOf("portal_csrf=") === 0; })[0];
    return found ? decodeURIComponent(found.slice("portal_csrf=".length)) : "";
  }
  function api(method, path, body) {
    var headers = {};
    if (method !== "GET") { headers["X-CSRF-Token"] = csrf(); }
    if (body !== undefined) { headers["Content-Type"] = "application/json"; }
    return fetch(path, { method: method, headers: headers, cache: "no-store", credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body) })
      .then(function (response) {
        if (response.status === 204 || response.status === 202) { return null; }
        return response.json().catch(function () { return null; }).then(function (data) {
          if (!response.ok) {
            var error = new Error(message(response.status, data));
            error.status = response.status;
            error.details = data && data.error && data.error.details;
            throw error;
          }
          return data;
        });
      });
  }
  function message(status, data) {
    var given = data && data.error && data.error.message;
    if (PLAIN[status]) { return PLAIN[status]; }
    return given || "Lỗi HTTP " + status;
  }
  function signInAgain() {
    location.assign("/bien-tap/dang-nhap?next=" + encodeURIComponent(location.pathname));
  }
  // A table cell with text, and a secondary button: the staff pages' tables are made of them.
  function cell(row, text) {
    var td = doc.createElement("td");
    td.textContent = text;
    row.appendChild(td);
    return td;
  }
  function button(text, label, onClick) {
    var b = doc.createElement("button");
    b.type = "button";
    b.className = "secondary";
    b.textContent = text;
    b.setAttribute("aria-label", label);
    b.addEventListener("click", onClick);
    return b;
  }
  window.Staff = { api: api, csrf: csrf, roles: ROLES, signInAgain: signInAgain, cell: cell,
    button: button };

  function $(id) { return doc.getElementById(id); }
  function say(text, isError) {
    var box = $("staff-status");
    box.textContent = text;
    box.className = "form-message" + (isError ? " error" : "");
  }
  function fail(error) {
    if (error.status === 401 && view === "people") { signInAgain(); return; }
    say(error.message, true);
  }
  function values(form) {
    var out = {};
    Array.prototype.forEach.call(form.elements, function (el) { if (el.name) { out[el.name] = el.value; } });
    return out;
  }
  function onSubmit(id, handle) {
    var form = $(id);
    if (!form) { return; }
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      say("Đang xử lý…", false);
      handle(values(form), form).catch(fail);
    });
  }
  function next() {
    var wanted = new URLSearchParams(location.search).get("next") || "";
    return /^\/bien-tap(\/[a-z-]*)?$/.test(wanted) ? wanted : "/bien-tap";
  }
  function twice(v) {
    if (v.password !== v.again) { return Promise.reject(new Error("Hai mật khẩu chưa giống nhau.")); }
    return Promise.resolve(v.password);
  }
  // The link's secret is in the fragment (never sent to a server, never in a log); it is
  // taken out of the address bar at once.
  var secret = location.hash.slice(1);
  if (secret) { history.replaceState(null, "", location.pathname); }
  var view = doc.body.getAttribute("data-staff-view");

  onSubmit("sign-in", function (v) {
    return api("POST", "/api/staff/sign-in", { email: v.email, password: v.password })
      .then(function () { location.assign(next()); });
  });
  onSubmit("forgot", function (v) {
    return api("POST", "/api/staff/password-reset", { email: v.email }).then(function () {
      say("Nếu email này có tài khoản, liên kết đặt lại mật khẩu đã được gửi. Liên kết dùng được một lần trong 1 giờ.", false);
    });
  });
  onSubmit("setup", function (v) {
    return api("POST", "/api/staff/setup", v).then(function () { location.assign("/bien-tap"); });
  });
  if (view === "accept" || view === "reset") {
    if (!secret) { say("Liên kết không đầy đủ. Hãy mở lại liên kết trong email.", true); }
    else if (view === "accept") {
      api("POST", "/api/staff/invitations/lookup", { token: secret }).then(function (inv) {
        $("link-about").textContent = "Lời mời cho " + inv.name + " (" + inv.email + "), vai trò " +
          (ROLES[inv.role] || inv.role) + ", do " + inv.invited_by + " gửi.";
      }).catch(fail);
    }
  }
  onSubmit("accept", function (v) {
    return twice(v).then(function (password) {
      return api("POST", "/api/staff/invitations/accept", { token: secret, password: password });
    }).then(function () { location.assign("/bien-tap"); });
  });
  onSubmit("reset", function (v) {
    return twice(v).then(function (password) {
      return api("POST", "/api/staff/password-reset/confirm", { token: secret, password: password });
    }).then(function () { location.assign("/bien-tap"); });
  });

  // ---- people and tokens (administrators) ---------------------------------------------------
  function loadPeople() {
    return api("GET", "/api/staff").then(function (list) {
      var rows = doc.querySelector("#people tbody");
      rows.textContent = "";
      list.items.forEach(function (m) {
        var row = doc.createElement("tr");
        row.setAttribute("data-email", m.email);
        cell(row, m.name);
        cell(row, m.email);
        var roleCell = cell(row, "");
        var select = doc.createElement("select");
        select.setAttribute("aria-label", "Vai trò của " + m.name);
        Object.keys(ROLES).forEach(function (r) {
          var o = doc.createElement("option");
          o.value = r; o.textContent = ROLES[r]; o.selected = r === m.role;
          select.appendChild(o);
        });
        select.disabled = !m.active;
        select.addEventListener("change", function () {
          api("PUT", "/api/staff/" + encodeURIComponent(m.id) + "/role", { role: select.value })
            .then(function () { say("Đã đổi vai trò của " + m.name + ".", false); }, fail);
        });
        roleCell.appendChild(select);
        cell(row, m.active ? "Đang hoạt động" : "Đã xóa");
        var actions = cell(row, "");
        if (m.active) {
          actions.appendChild(button("Xóa", "Xóa " + m.name, function () {
            if (!confirm("Xóa " + m.name + " khỏi ban biên tập? Mọi phiên đăng nhập của họ dừng ngay.")) { return; }
            api("DELETE", "/api/staff/" + encodeURIComponent(m.id)).then(function () {
              say("Đã xóa " + m.name + ".", false);
              return loadPeople();
            }).catch(fail);
          }));
        }
        rows.appendChild(row);
      });
    });
  }
  function loadPending() {
    return api("GET", "/api/staff/invitations").then(function (list) {
      var rows = doc.querySelector("#pending tbody");
      rows.textContent = "";
      list.items.forEach(function (inv) {
        var row = doc.createElement("tr");
        row.setAttribute("data-email", inv.email);
        cell(row, inv.name);
        cell(row, inv.email);
        cell(row, ROLES[inv.role] || inv.role);
        cell(row, new Date(inv.expires_at).toLocaleString("vi-VN"));
        cell(row, "").appendChild(button("Thu hồi", "Thu hồi lời mời của " + inv.email, function () {
          api("DELETE", "/api/staff/invitations/" + inv.ref).then(function () {
            say("Đã thu hồi lời mời của " + inv.email + ".", false);
            return loadPending();
          }).catch(fail);
        }));
        rows.appendChild(row);
      });
    });
  }
  function loadTokens() {
    return api("GET", "/api/editor/tokens").then(function (list) {
      var rows = doc.querySelector("#tokens tbody");
      rows.textContent = "";
      list.items.forEach(function (t) {
        var row = doc.createElement("tr");
        cell(row, t.name);
        cell(row, ROLES[t.role] || t.role);
        cell(row, new Date(t.created_at).toLocaleString("vi-VN"));
        cell(row, t.created_by);
        cell(row, "").appendChild(button("Thu hồi", "Thu hồi mã " + t.name, function () {
          api("DELETE", "/api/editor/tokens/" + encodeURIComponent(t.ref)).then(function () {
            say("Đã thu hồi mã " + t.name + ".", false);
            return loadTokens();
          }).catch(fail);
        }));
        rows.appendChild(row);
      });
    });
  }
  if (view === "people") {
    loadPeople().then(loadPending).then(loadTokens).catch(fail);
    onSubmit("invite", function (v, form) {
      return api("POST", "/api/staff/invitations", v).then(function (inv) {
        say("Đã gửi lời mời tới " + inv.email + ".", false);
        form.reset();
        return loadPending();
      });
    });
    onSubmit("new-token", function (v, form) {
      return api("POST", "/api/editor/tokens", v).then(function (made) {
        $("token-value").textContent = made.token;
        $("token-made").hidden = false;
        say("Đã tạo mã " + made.name + ".", false);
        form.reset();
        return loadTokens();
      });
    });
  }
})();
