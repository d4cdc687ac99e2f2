// The reader pages' script: page-view beacon, live visitor widget, font size, subscribe form.
(function () {
  "use strict";
  var doc = document;

  function store(action, key, value) {  // localStorage can be off (private mode, policy)
    try {
      if (action === "get") { return window.localStorage.getItem(key); }
      window.localStorage.setItem(key, value);
    } catch (e) { /* the choice just does not persist */ }
    return null;
  }

  // ---- font size: A- A A+, one choice for every article page --------------------------------
  var FONT_KEY = "portal.textScale";
  var SCALES = [0.875, 1, 1.125, 1.25, 1.5, 1.75];
  function scaleIndex() {
    var saved = parseInt(store("get", FONT_KEY), 10);
    return isNaN(saved) ? 1 : Math.max(0, Math.min(SCALES.length - 1, saved));
  }
  function applyScale(index) {
    doc.documentElement.style.setProperty("--text-scale", String(SCALES[index]));
  }
  applyScale(scaleIndex());
  Array.prototype.forEach.call(doc.querySelectorAll("[data-font]"), function (button) {
    button.addEventListener("click", function () {
      var step = parseInt(button.getAttribute("data-font"), 10);
      var index = step === 0 ? 1 : Math.max(0, Math.min(SCALES.length - 1, scaleIndex() + step));
      store("set", FONT_KEY, String(index));
      applyScale(index);
    });
  });

  // ---- page view: one beacon per page load ---------------------------------------------------
  var view = JSON.stringify({
    path: location.pathname,
    article_id: doc.body.getAttribute("data-article-id") || null,
    referrer: doc.referrer || null
  });
  if (doc.body.hasAttribute("data-not-counted")) {
    // a staff page (the statistics themselves): looking at the figures does not move them
  } else if (navigator.sendBeacon) {
    navigator.sendBeacon("/api/views", view);
  } else {
    fetch("/api/views", { method: "POST", body: view, keepalive: true }).catch(function () {});
  }

  // ---- visitor widget: first numbers from /api/stats, then live from the stream --------------
  var widget = doc.getElementById("visitor-widget");
  function group(n) { return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, "."); }
  var live = false;
  function show(stats) {
    if (!widget || !stats) { return; }
    ["online", "today", "total"].forEach(function (measure) {
      var text = stats.formatted && stats.formatted[measure];
      if (text === undefined && typeof stats[measure] === "number") { text = group(stats[measure]); }
      if (text !== undefined) {
        widget.querySelector('[data-measure="' + measure + '"]').textContent = text;
      }
    });
  }
  if (widget) {
    fetch("/api/stats", { cache: "no-store" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (stats) { if (!live) { show(stats); } })
      .catch(function () {});
    if (window.EventSource) {
      var stream = new EventSource("/api/stats/stream");
      var onStats = function (event) {
        try { live = true; show(JSON.parse(event.data)); } catch (e) { /* not stats */ }
      };
      stream.onmessage = onStats;
      stream.addEventListener("stats", onStats);
    }
  }

  // ---- subscribe form -----------------------------------------------------------------------
  Array.prototype.forEach.call(doc.querySelectorAll("form[data-subscribe]"), function (form) {
    var message = form.querySelector(".form-message");
    var button = form.querySelector("button[type=submit]");
    function say(text, isError) {
      message.textContent = text;
      message.className = "form-message" + (isError ? " error" : "");
    }
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var email = form.elements.email;
      if (!email.value.trim() || !email.checkValidity()) {
        say("Vui lòng nhập một địa chỉ email hợp lệ.", true);
        email.focus();
        return;
      }
      var sections = Array.prototype.filter.call(form.elements.sections || [], function (box) {
        return box.checked;
      }).map(function (box) { return box.value; });
      button.disabled = true;
      say("Đang gửi…", false);
      fetch("/api/subscribers", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ email: email.value.trim(), sections: sections, language: "vi" })
      }).then(function (response) {
        if (response.ok) {
          say("Cảm ơn bạn! Chúng tôi vừa gửi thư xác nhận đến " + email.value.trim() +
              ". Hãy mở thư và bấm vào liên kết để bắt đầu nhận tin.", false);
          form.reset();
          return null;
        }
        return response.json().then(function (body) {
          var detail = body && body.error && body.error.message;
          say("Chưa đăng ký được" + (detail ? ": " + detail : "") + ". Vui lòng thử lại.", true);
        });
      }).catch(function () {
        say("Không kết nối được máy chủ. Vui lòng thử lại sau.", true);
      }).then(function () { button.disabled = false; });
    });
  });
})();
