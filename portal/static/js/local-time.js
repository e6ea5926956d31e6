// One date format wherever staff and customers see a ticket's dates: "2 Dec 2026, 17:50" in the
// viewer's own time zone. The server writes <time datetime="...Z" data-local-time> with the same
// format in UTC (marked "UTC") for a browser without scripts; this puts the local time in its place.
(function () {
  "use strict";
  const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

  function pad(n) { return String(n).padStart(2, "0"); }

  // "2026-12-02T17:50:00Z" -> "2 Dec 2026, 17:50" (local); "" for anything that is not a date.
  function format(iso) {
    const d = new Date(iso);
    if (!iso || isNaN(d.getTime())) return "";
    return d.getDate() + " " + MONTHS[d.getMonth()] + " " + d.getFullYear() + ", " +
      pad(d.getHours()) + ":" + pad(d.getMinutes());
  }

  function zoneName() {
    try { return Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { return ""; }
  }

  function render(root) {
    const zone = zoneName();
    (root || document).querySelectorAll("time[data-local-time]").forEach(function (node) {
      const text = format(node.getAttribute("datetime"));
      if (!text) return;
      node.textContent = text;
      node.title = "Your local time" + (zone ? " (" + zone + ")" : "");
    });
  }

  window.CalmTime = { format: format, render: render };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", function () { render(); });
  else render();
})();
