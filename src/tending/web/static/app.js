// tending's own small script: progressive enhancements only; every page works without it.
(function () {
  "use strict";

  // The menu button shows on narrow screens and folds the navigation.
  var toggle = document.querySelector(".menu-toggle");
  var nav = document.getElementById("site-nav");
  if (toggle && nav) {
    toggle.hidden = false;
    document.documentElement.classList.add("js");
    toggle.addEventListener("click", function () {
      var open = toggle.getAttribute("aria-expanded") === "true";
      toggle.setAttribute("aria-expanded", String(!open));
      nav.classList.toggle("open", !open);
    });
  }

  // The community switcher keeps the current page (overview, members...) in the other community.
  var select = document.getElementById("community-switch");
  if (select) {
    select.addEventListener("change", function () {
      var current = select.getAttribute("data-current");
      var path = window.location.pathname.replace(/^\/c\/\d+\/([a-z]+).*$/, "$1");
      if (!/^[a-z]+$/.test(path)) { path = "overview"; }
      if (select.value !== current) { window.location.assign("/c/" + select.value + "/" + path); }
    });
  }

  // Forms that destroy something ask first.
  document.querySelectorAll("form.js-confirm").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-confirm") || "?")) { event.preventDefault(); }
    });
  });

  // A public post for a platform tending cannot post to (a Facebook group) is copied, then posted by hand.
  document.querySelectorAll("button.js-copy").forEach(function (button) {
    var field = document.getElementById(button.getAttribute("data-copy"));
    if (!field || !navigator.clipboard) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(field.value).then(function () {
        button.textContent = button.getAttribute("data-copied");
      });
    });
  });

  // A running import refreshes its page.
  var refresh = document.querySelector(".js-refresh");
  if (refresh) {
    var seconds = parseInt(refresh.getAttribute("data-refresh-seconds"), 10) || 5;
    window.setTimeout(function () { window.location.reload(); }, seconds * 1000);
  }
  // A queue's keys (the review queue, the outbox): j / k move between rows, the others act on the
  // current row. Keys typed into a field are the field's, but Esc leaves the field for its row.
  var queueKeys = function (rows, focusRow, keys) {
    var current = -1;
    var move = function (to) {
      if (!rows.length) { return; }
      if (current >= 0) { rows[current].classList.remove("current"); }
      current = Math.max(0, Math.min(rows.length - 1, to));
      var row = rows[current];
      row.classList.add("current");
      focusRow(row);
      row.scrollIntoView({block: "nearest"});
    };
    document.addEventListener("keydown", function (event) {
      if (event.ctrlKey || event.metaKey || event.altKey) { return; }
      var target = event.target || {};
      var inField = /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName || "");
      var key = event.key;
      if (key === "j") { if (inField) { return; } move(current + 1); }
      else if (key === "k") { if (inField) { return; } move(current - 1); }
      else if (keys[key] && (!inField || key === "Escape")) {
        var row = current >= 0 ? rows[current] : null;
        if (key === "Escape" && inField) {
          var owner = target.closest ? target.closest("[data-row]") : null;
          if (!owner || rows.indexOf(owner) < 0) { return; }
          move(rows.indexOf(owner));
          row = owner;
        }
        if (!row && key !== "u") { return; }
        if (keys[key](row) === false) { return; }
      }
      else { return; }
      event.preventDefault();
    });
  };
  var click = function (row, selector) {
    var target = row && row.querySelector(selector);
    if (!target) { return false; }
    target.click();
  };

  // The review queue: o opens an item, x selects it, a acts as suggested, c claims it, u undoes one's
  // last decision.
  var queue = document.querySelector(".moderation-queue");
  if (queue) {
    queueKeys(
      Array.prototype.slice.call(queue.querySelectorAll(".moderation-item")),
      function (row) { row.querySelector("summary").focus(); },
      {
        o: function (row) { var d = row.querySelector("details"); d.open = !d.open; },
        x: function (row) { return click(row, "input.select"); },
        a: function (row) { return click(row, ".act-form button.primary"); },
        c: function (row) { return click(row, ".claim-form button"); },
        u: function () { return click(document, "#undo-form button"); }
      }
    );
    var all = document.querySelector(".js-select-all");
    if (all) {
      all.hidden = false;
      all.addEventListener("click", function () {
        queue.querySelectorAll("input.select").forEach(function (box) { box.checked = true; });
      });
    }
  }

  // The outbox: o opens the message's text to edit it, Esc closes it (back to the row), x selects the
  // message, a approves it, s skips it, u undoes one's last approval or skip (the messages are drafted
  // again).
  var outbox = document.querySelector("ol.outbox");
  if (outbox) {
    queueKeys(
      Array.prototype.slice.call(outbox.querySelectorAll(".outbox-message")),
      function (row) { row.focus(); },
      {
        o: function (row) {
          var body = row.querySelector("textarea");
          if (!body) { return false; }
          row.classList.add("editing");
          body.focus();
        },
        Escape: function (row) { row.classList.remove("editing"); },
        x: function (row) { return click(row, "input.select"); },
        a: function (row) { return click(row, ".approve-form button"); },
        s: function (row) { return click(row, ".skip-form button"); },
        u: function () { return click(document, "#undo-form button"); }
      }
    );
  }
})();
