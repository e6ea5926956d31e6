// Suggestions as you type in the search box: titles from /api/search/suggest.
(function () {
  "use strict";
  const input = document.getElementById("site-search");
  const list = document.getElementById("site-search-suggestions");
  if (!input || !list) return;
  const url = input.dataset.suggestUrl;
  let timer = null, controller = null, active = -1;

  function close() { list.hidden = true; list.replaceChildren(); active = -1; }

  function render(items) {
    list.replaceChildren();
    items.forEach(function (item, i) {
      const li = document.createElement("li");
      li.setAttribute("role", "option");
      li.id = "suggestion-" + i;
      const a = document.createElement("a");
      a.href = item.url;
      a.textContent = item.title;  // text, never HTML
      li.appendChild(a);
      list.appendChild(li);
    });
    list.hidden = items.length === 0;
  }

  function fetchSuggestions() {
    const q = input.value.trim();
    if (q.length < 2) { close(); return; }
    if (controller) controller.abort();
    controller = new AbortController();
    fetch(url + "?q=" + encodeURIComponent(q), { signal: controller.signal, headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : { suggestions: [] }; })
      .then(function (data) { render(data.suggestions || []); })
      .catch(function () { /* aborted or offline: keep the box usable */ });
  }

  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(fetchSuggestions, 150);
  });
  input.addEventListener("keydown", function (e) {
    const items = list.querySelectorAll("li");
    if (list.hidden || !items.length) return;
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      if (active >= 0) items[active].removeAttribute("aria-selected");
      active = (active + (e.key === "ArrowDown" ? 1 : -1) + items.length) % items.length;
      items[active].setAttribute("aria-selected", "true");
      input.setAttribute("aria-activedescendant", items[active].id);
    } else if (e.key === "Enter" && active >= 0) {
      e.preventDefault();
      window.location = items[active].querySelector("a").href;
    } else if (e.key === "Escape") {
      close();
    }
  });
  document.addEventListener("click", function (e) { if (!list.contains(e.target) && e.target !== input) close(); });
})();
