// Calmline chat: the widget on every page and the full page at /chat. Plain JS, no CDN.
(function () {
  "use strict";
  const root = document.querySelector("[data-chat]");
  if (!root) return;
  const log = root.querySelector(".chat-log");
  const form = root.querySelector(".chat-form");
  const input = form.querySelector("textarea");
  const status = root.querySelector(".chat-status");
  const toggle = document.querySelector("[data-chat-toggle]");
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const KEY = "calmline.conversation";
  let conversationId = window.localStorage.getItem(KEY);
  let sending = false;

  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text) node.textContent = text;  // always text, never HTML
    return node;
  }

  function render(message) {
    const item = el("li", "msg msg-" + message.sender);
    if (message.text) item.appendChild(el("p", "msg-text", message.text));
    (message.articles || []).forEach(function (a) {
      const link = el("a", "msg-article", a.title);
      link.href = a.url;
      item.appendChild(link);
    });
    if (message.buttons && message.buttons.length) {
      const row = el("div", "msg-buttons");
      message.buttons.forEach(function (b) {
        const button = el("button", "chip", b.title);
        button.type = "button";
        button.addEventListener("click", function () { send(b.payload || b.title, b.title); });
        row.appendChild(button);
      });
      item.appendChild(row);
    }
    if (message.custom && message.custom.assistant_unavailable) item.appendChild(fallbackOffers());
    log.appendChild(item);
    log.scrollTop = log.scrollHeight;
  }

  function fallbackOffers() {
    const box = el("div", "msg-offers");
    const search = el("a", "chip", "Search help articles");
    search.href = "/search";
    const leave = el("button", "chip", "Leave a message for our team");
    leave.type = "button";
    leave.addEventListener("click", leaveMessage);
    box.append(search, leave);
    return box;
  }

  function api(url, body) {
    return fetch(url, {
      method: body === undefined ? "GET" : "POST",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrf },
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (data) { return { ok: r.ok, status: r.status, data: data }; });
    });
  }

  function send(text, shown) {
    if (sending || !text.trim()) return;
    sending = true;
    status.textContent = "Sending…";
    render({ sender: "customer", text: shown || text });
    const body = { text: text, page: window.location.pathname };
    if (shown && shown !== text) body.label = shown;  // a button: the payload goes to the bot
    if (conversationId) body.conversation_id = conversationId;
    api("/api/chat/messages", body).then(function (res) {
      if (!res.ok) {
        status.textContent = (res.data.error && res.data.error.message) || "Your message could not be sent.";
        if (res.status === 404) { window.localStorage.removeItem(KEY); conversationId = null; }
        return;
      }
      conversationId = res.data.conversation_id;
      window.localStorage.setItem(KEY, conversationId);
      res.data.replies.forEach(render);
      status.textContent = res.data.assistant_available ? "" : "Our assistant is unavailable; your message is saved.";
    }).catch(function () {
      status.textContent = "You seem to be offline. Your text is still in the box; try again.";
      input.value = input.value || text;
    }).finally(function () { sending = false; });
  }

  function leaveMessage() {
    if (!conversationId) return;
    api("/api/chat/conversations/" + conversationId + "/leave-message", {}).then(function (res) {
      if (res.ok) render({ sender: "system", text: "Thanks. Ticket " + res.data.ticket_number + " is with our team; a person will reply here." });
      else status.textContent = (res.data.error && res.data.error.message) || "Could not leave the message.";
    });
  }

  function restore() {
    if (!conversationId) return;
    api("/api/chat/conversations/" + conversationId).then(function (res) {
      if (!res.ok) { window.localStorage.removeItem(KEY); conversationId = null; return; }
      log.replaceChildren();
      res.data.messages.forEach(render);
    });
  }

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    const text = input.value;
    input.value = "";
    send(text);
  });
  input.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); form.requestSubmit(); }
  });
  if (toggle) {
    toggle.addEventListener("click", function () {
      const open = root.hidden;
      root.hidden = !open;
      toggle.setAttribute("aria-expanded", String(open));
      if (open) { restore(); input.focus(); }
    });
  } else {
    restore();
  }
})();
