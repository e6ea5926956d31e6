/* Agent console: find a help article (the portal's search, by words and by meaning) and
   put its link into the reply, so the customer gets the article, not a paraphrase of it. */
(function () {
  "use strict";
  const box = document.querySelector("[data-article-lookup]");
  if (!box) return;
  const form = box.querySelector("[data-article-form]");
  const input = box.querySelector("[data-article-q]");
  const list = box.querySelector("[data-article-results]");

  function note(text) {
    const item = document.createElement("li");
    item.className = "agent-meta";
    item.textContent = text;
    list.replaceChildren(item);
  }

  function insert(hit) {
    const reply = document.getElementById("agent-reply");
    if (!reply) return;
    const link = new URL(hit.url, window.location.origin).href;
    const line = hit.title + ": " + link;
    reply.value = reply.value.trim() ? reply.value.trimEnd() + "\n" + line : line;
    reply.dispatchEvent(new Event("input", { bubbles: true }));
    if (!reply.closest("[hidden]")) reply.focus();
  }

  function show(results) {
    if (!results.length) {
      note("No article matches. Try other words.");
      return;
    }
    list.replaceChildren(...results.map(function (hit) {
      const item = document.createElement("li");
      const link = document.createElement("a");
      link.href = hit.url;
      link.target = "_blank";
      link.rel = "noopener";
      link.textContent = hit.title;
      const button = document.createElement("button");
      button.type = "button";
      button.className = "button secondary small";
      button.textContent = "Insert link";
      button.setAttribute("aria-label", "Insert a link to " + hit.title + " into the reply");
      button.addEventListener("click", function () { insert(hit); });
      item.append(link, " ", button);
      return item;
    }));
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    const q = input.value.trim();
    if (!q) return;
    note("Searching…");
    fetch("/api/search?type=article&limit=5&q=" + encodeURIComponent(q), { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : Promise.reject(response.status); })
      .then(function (data) { show(data.results || []); })
      .catch(function () { note("Search is not answering. Try again in a moment."); });
  });
})();
