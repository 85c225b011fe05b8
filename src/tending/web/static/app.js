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

  // A running import refreshes its page.
  var refresh = document.querySelector(".js-refresh");
  if (refresh) {
    var seconds = parseInt(refresh.getAttribute("data-refresh-seconds"), 10) || 5;
    window.setTimeout(function () { window.location.reload(); }, seconds * 1000);
  }
})();
