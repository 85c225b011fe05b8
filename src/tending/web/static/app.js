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
  // The review queue's keys: j / k move between items, o opens one, x selects it, a acts as suggested,
  // c claims it, u undoes one's last decision. Keys typed into a field are the field's.
  var queue = document.querySelector(".moderation-queue");
  if (queue) {
    var rows = Array.prototype.slice.call(queue.querySelectorAll(".moderation-item"));
    var current = -1;
    var move = function (to) {
      if (!rows.length) { return; }
      if (current >= 0) { rows[current].classList.remove("current"); }
      current = Math.max(0, Math.min(rows.length - 1, to));
      var row = rows[current];
      row.classList.add("current");
      row.querySelector("summary").focus();
      row.scrollIntoView({block: "nearest"});
    };
    var click = function (selector) {
      if (current < 0) { return; }
      var target = rows[current].querySelector(selector);
      if (target) { target.click(); }
    };
    document.addEventListener("keydown", function (event) {
      var tag = (event.target && event.target.tagName) || "";
      if (/^(INPUT|TEXTAREA|SELECT)$/.test(tag) || event.ctrlKey || event.metaKey || event.altKey) { return; }
      var key = event.key;
      if (key === "j") { move(current + 1); }
      else if (key === "k") { move(current - 1); }
      else if (key === "o" && current >= 0) { var d = rows[current].querySelector("details"); d.open = !d.open; }
      else if (key === "x") { click("input.select"); }
      else if (key === "a") { click(".act-form button.primary"); }
      else if (key === "c") { click(".claim-form button"); }
      else if (key === "u") { var undo = document.querySelector("#undo-form button"); if (undo) { undo.click(); } }
      else { return; }
      event.preventDefault();
    });
    var all = document.querySelector(".js-select-all");
    if (all) {
      all.hidden = false;
      all.addEventListener("click", function () {
        queue.querySelectorAll("input.select").forEach(function (box) { box.checked = true; });
      });
    }
  }
})();
