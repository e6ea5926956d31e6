// Ask before you post: while a title is typed on the new-thread page, show articles and
// answered threads like it, and note which one the person opens. Plain JS, no CDN.
(function () {
  "use strict";
  const title = document.querySelector("[data-similar-url]");
  const box = document.getElementById("similar");
  if (!title || !box) return;
  const list = box.querySelector("ul");
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const KIND = { article: "Help article", thread: "Answered in the community" };
  let timer = null, controller = null, shownFor = "";

  function item(result) {
    const li = document.createElement("li");
    const link = document.createElement("a");
    link.href = result.url;
    link.target = "_blank";  // a new tab: the draft stays on this page
    link.rel = "noopener";
    link.textContent = result.title;  // text, never HTML
    const kind = document.createElement("span");
    kind.className = "kind";
    kind.textContent = KIND[result.type] || "";
    const opened = function () { note(result.url); };
    link.addEventListener("click", opened);
    link.addEventListener("auxclick", opened);
    li.append(link, kind);
    return li;
  }

  function note(url) {
    fetch(title.dataset.deflectionUrl, {
      method: "POST", keepalive: true,
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify({ query: shownFor, url: url }),
    }).catch(function () { /* a lost note must not get in the way */ });
  }

  function show(query, results) {
    shownFor = query;
    list.replaceChildren.apply(list, results.map(item));
    box.hidden = results.length === 0;
  }

  function lookUp() {
    const q = title.value.trim();
    if (q.length < 3) { show("", []); return; }
    if (controller) controller.abort();
    controller = new AbortController();
    fetch(title.dataset.similarUrl + "?q=" + encodeURIComponent(q),
          { signal: controller.signal, headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : { results: [] }; })
      .then(function (data) { show(q, data.results || []); })
      .catch(function () { /* aborted or offline: the form still works */ });
  }

  title.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(lookUp, 350);
  });
  if (title.value.trim()) lookUp();
})();
