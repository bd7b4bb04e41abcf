// Kizuna console behaviour. No inline script anywhere (the CSP forbids it):
// everything the pages do beyond htmx attributes lives here.
(function () {
  "use strict";

  // "/" focuses the search box, as in most staff tools; Escape leaves it.
  document.addEventListener("keydown", function (e) {
    var t = e.target;
    var typing = t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT" || t.isContentEditable);
    if (e.key === "/" && !typing && !e.ctrlKey && !e.metaKey && !e.altKey) {
      var box = document.querySelector("[data-hotkey='/']");
      if (box) {
        e.preventDefault();
        box.focus();
        box.select();
      }
    } else if (e.key === "Escape" && typing && t.type === "search") {
      t.blur();
    } else if ((e.key === "ArrowDown" || e.key === "ArrowUp") && (t.type === "search" || (t.classList && t.classList.contains("name")))) {
      // Arrow keys walk the search results; Enter opens one.
      var links = Array.prototype.slice.call(document.querySelectorAll("table.results a.name"));
      if (!links.length) return;
      var i = links.indexOf(t);
      i = e.key === "ArrowDown" ? Math.min(i + 1, links.length - 1) : i - 1;
      e.preventDefault();
      if (i < 0) {
        var q = document.querySelector("[data-hotkey='/']");
        if (q) q.focus();
      } else {
        links[i].focus();
      }
    }
  });

  // Buttons that ask first (bulk merge).
  document.addEventListener("submit", function (e) {
    var b = e.submitter || (e.target && e.target.querySelector("[data-confirm]"));
    if (b && b.getAttribute && b.getAttribute("data-confirm") && !window.confirm(b.getAttribute("data-confirm"))) {
      e.preventDefault();
    }
  });

  // Review queue: J/K move between pairs, A merges, R keeps apart, S skips.
  var cards = Array.prototype.slice.call(document.querySelectorAll("[data-review]"));
  if (cards.length) {
    var at = 0;
    var focus = function (i) {
      at = Math.max(0, Math.min(i, cards.length - 1));
      cards.forEach(function (c, k) { c.classList.toggle("focused", k === at); });
      cards[at].focus();
      cards[at].scrollIntoView({ block: "nearest" });
    };
    cards.forEach(function (c, k) {
      c.addEventListener("click", function () { at = k; cards.forEach(function (x, j) { x.classList.toggle("focused", j === k); }); });
      var skip = c.querySelector("[data-skip]");
      if (skip) skip.addEventListener("click", function (e) { e.preventDefault(); focus(k + 1); });
    });
    document.addEventListener("keydown", function (e) {
      var t = e.target;
      if (e.ctrlKey || e.metaKey || e.altKey || (t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT"))) return;
      var k = e.key.toLowerCase();
      if (k === "j") { e.preventDefault(); focus(at + 1); }
      else if (k === "k") { e.preventDefault(); focus(at - 1); }
      else if (k === "s") { e.preventDefault(); focus(at + 1); }
      else if (k === "a" || k === "r") {
        var b = cards[at].querySelector("[data-key='" + k + "']");
        if (b) { e.preventDefault(); b.click(); }
      }
    });
    focus(0);
  }

  // htmx does not swap error answers by default; show the message the
  // server sent (it retargets them to #messages).
  document.addEventListener("htmx:beforeSwap", function (e) {
    if (e.detail.xhr.status >= 400 && e.detail.xhr.getResponseHeader("HX-Retarget")) {
      e.detail.shouldSwap = true;
      e.detail.isError = false;
    }
  });
  document.addEventListener("htmx:sendError", function () {
    var m = document.getElementById("messages");
    if (m) {
      m.textContent = document.documentElement.lang === "en"
        ? "The server could not be reached. Check the network and try again."
        : "サーバーに接続できませんでした。ネットワークを確認して、もう一度お試しください。";
      m.className = "error";
    }
  });
})();
