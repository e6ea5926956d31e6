// Calmline chat: the conversation in the widget on every customer page and at /chat. Plain JS,
// no CDN. The other chat modules (chat-shell.js, chat-people.js, chat-welcome.js) load first and
// listen on the panel: chat:message {message, node, fresh} for each message shown, chat:history
// {messages} once the conversation is restored, chat:status {status, agent}; they ask a question
// with chat:ask {text, label}.
(function () {
  "use strict";
  const root = document.querySelector("[data-chat]");
  if (!root) return;
  const log = root.querySelector(".chat-log");
  const form = root.querySelector(".chat-form");
  const input = form.querySelector("textarea");
  const status = root.querySelector(".chat-status");
  const el = Calm.el, api = Calm.api;
  const KEY = "calmline.conversation";
  let conversationId = window.localStorage.getItem(KEY);
  let sending = false;
  let unsent = null;               // {text, clientId} of a message whose POST got no answer
  // Live mode: while a person has (or is about to have) the conversation, follow its events.
  const LIVE_STATES = ["handoff", "live"];
  const TYPING_MS = 2000, TYPING_SHOWN_MS = 4000, POLL_MS = 2000, AFTER_LIVE_MS = 30000;
  const seen = new Set();          // ids of messages on screen
  const pending = [];              // the customer's own messages shown before the server answered
  let chatStatus = "bot";
  let agentName = "";
  let lastEventId = 0;
  let source = null;
  let sourceErrors = 0;
  let pollTimer = null;
  let following = false;
  let stopTimer = null;
  let lastTypingSent = 0;
  let typingTimer = null;
  const typingNote = el("p", "chat-typing");
  typingNote.setAttribute("aria-live", "polite");
  typingNote.hidden = true;
  status.before(typingNote);

  function tell(name, detail) {
    // Bubbles, so modules outside the panel (contact.js) can follow from the document.
    root.dispatchEvent(new CustomEvent("chat:" + name, { detail: detail, bubbles: true }));
  }

  // fresh: it arrived now (a reply or a live event), not replayed from the history.
  function render(message, fresh) {
    if (message.id !== undefined) {
      if (seen.has(message.id)) return null;
      seen.add(message.id);
    }
    const item = el("li", "msg msg-" + message.sender);
    if (message.text) item.appendChild(el("p", "msg-text", message.text));
    if (window.CalmAttachments) CalmAttachments.render(item, message);
    (message.articles || []).forEach(function (a) {
      if (!Calm.localPath(a.url)) return;  // only our own pages, whatever the message says
      const link = el("a", "msg-article" + (a.type === "thread" ? " msg-thread" : ""),
                      (a.type === "thread" ? "Community: " : "") + a.title);
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
    if (message.sender === "customer") markAnswered(item, message.text);
    log.scrollTop = log.scrollHeight;
    tell("message", { message: message, node: item, fresh: fresh !== false });
    return item;
  }

  // Buttons the customer has answered (suggestions, ratings) stay on screen, read-only, with
  // the one they chose marked; after a reload too, since the history replays the same way.
  function markAnswered(answer, text) {
    log.querySelectorAll(".msg-buttons:not(.answered)").forEach(function (row) {
      if (!(row.compareDocumentPosition(answer) & Node.DOCUMENT_POSITION_FOLLOWING)) return;
      row.classList.add("answered");
      row.querySelectorAll("button").forEach(function (button) {
        button.disabled = true;
        if (button.textContent === text) { button.classList.add("chosen"); button.setAttribute("aria-pressed", "true"); }
      });
    });
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

  function send(text, shown) {
    if (sending || !text.trim()) return;
    sending = true;
    status.textContent = "Sending…";
    const mine = { text: shown || text, node: render({ sender: "customer", text: shown || text }) };
    pending.push(mine);
    const body = { text: text, page: window.location.pathname };
    if (shown && shown !== text) body.label = shown;  // a button: the payload goes to the bot
    if (conversationId) body.conversation_id = conversationId;
    // Sent again after a failure: the same id, so a message that did reach us is not stored twice.
    if (unsent && unsent.text === text) body.client_id = unsent.clientId;
    Calm.sendMessage("/api/chat/messages", body).then(function (res) {
      if (!res.ok) {
        status.textContent = (res.data.error && res.data.error.message) || "Your message could not be sent.";
        if (res.status === 404) { window.localStorage.removeItem(KEY); conversationId = null; }
        return;
      }
      conversationId = res.data.conversation_id;
      window.localStorage.setItem(KEY, conversationId);
      if (res.data.message) claimPending(res.data.message, mine);
      res.data.replies.forEach(function (m) { render(m, true); });
      status.textContent = res.data.assistant_available ? "" : "Our assistant is unavailable; your message is saved.";
      setStatus(res.data.status);
      unsent = null;
    }).catch(function () {
      unsent = { text: text, clientId: body.client_id };
      status.textContent = "You seem to be offline. Your text is still in the box; try again.";
      input.value = input.value || text;
    }).finally(function () {
      sending = false;
      const at = pending.indexOf(mine);
      if (at >= 0) pending.splice(at, 1);
    });
  }

  // The customer's own message comes back twice: in the POST's answer and, while a person
  // has the chat, as a live event (sometimes first). Either way it is shown once.
  function claimPending(message, entry) {
    entry = entry || pending.filter(function (p) { return p.text === message.text; })[0];
    const at = entry ? pending.indexOf(entry) : -1;
    if (at < 0) return false;
    pending.splice(at, 1);
    seen.add(message.id);
    return true;
  }

  // ---- live mode: a person in the chat ------------------------------------------------------

  function showState() {
    if (chatStatus === "live") status.textContent = "You're chatting with " + (agentName || "our support team") + ".";
    else if (chatStatus === "handoff") status.textContent = "A person from our team will reply here.";
  }

  function setStatus(next, name) {
    if (!next) return;
    chatStatus = next;
    if (name) agentName = name;
    tell("status", { status: next, agent: agentName, conversationId: conversationId });
    if (LIVE_STATES.indexOf(next) >= 0) {
      clearTimeout(stopTimer);
      stopTimer = null;
      showState();
      startLive();
    } else if (following && !stopTimer) {
      // Back with the bot: its rating question still arrives as events, so listen a little longer.
      status.textContent = "You're back with our assistant.";
      setTyping("");
      stopTimer = setTimeout(stopLive, AFTER_LIVE_MS);
    }
  }

  function showTyping(data) {
    if (data.who !== "agent") return;
    setTyping((data.name || agentName || "Our agent") + " is typing…");
    clearTimeout(typingTimer);
    typingTimer = setTimeout(function () { setTyping(""); }, TYPING_SHOWN_MS);
  }

  function setTyping(text) {
    typingNote.textContent = text;
    typingNote.hidden = !text;
  }

  function handleEvent(event, catchingUp) {
    if (event.id > lastEventId) lastEventId = event.id;
    const data = event.data || {};
    if (event.kind === "message") {
      if (data.sender === "customer" && !seen.has(data.id) && claimPending(data)) return;
      if (data.sender === "agent") {
        setTyping("");
        if (data.author) agentName = data.author;
      }
      render(data);
    } else if (event.kind === "typing" && !catchingUp) {
      showTyping(data);
    } else if (event.kind === "status") {
      setStatus(data.status, data.agent);
    }
  }

  function startLive() {
    if (following || !conversationId) return;
    following = true;
    const url = "/api/chat/conversations/" + conversationId + "/events";
    // Catch up with one JSON batch (old typing notices are not shown), then stream from there.
    api(url + "?after=" + lastEventId).then(function (res) {
      if (!following) return;
      if (!res.ok) { stopLive(); return; }
      (res.data.events || []).forEach(function (e) { handleEvent(e, true); });
      if (following) stream(url);
    }).catch(function () { if (following) poll(url); });
  }

  function stream(url) {
    if (!window.EventSource) { poll(url); return; }
    const es = new EventSource(url + "?after=" + lastEventId);
    source = es;
    sourceErrors = 0;
    ["message", "typing", "status"].forEach(function (kind) {
      es.addEventListener(kind, function (e) {
        try { handleEvent(JSON.parse(e.data), false); } catch (err) { /* a malformed event is skipped */ }
      });
    });
    es.addEventListener("open", function () { sourceErrors = 0; root.dataset.live = "stream"; });
    es.addEventListener("error", function () {
      // Streams end every so often and the browser reconnects (Last-Event-ID); only
      // repeated failures switch to polling.
      sourceErrors += 1;
      if (es.readyState === EventSource.CLOSED || sourceErrors >= 3) {
        es.close();
        if (source === es) { source = null; poll(url); }
      }
    });
  }

  function poll(url) {
    root.dataset.live = "poll";
    const step = function () {
      if (!following) return;
      api(url + "?after=" + lastEventId).then(function (res) {
        if (res.ok) (res.data.events || []).forEach(function (e) { handleEvent(e, false); });
      }).catch(function () {}).finally(function () {
        if (following) pollTimer = setTimeout(step, POLL_MS);
      });
    };
    pollTimer = setTimeout(step, POLL_MS);
  }

  function stopLive() {
    following = false;
    delete root.dataset.live;
    clearTimeout(stopTimer);
    stopTimer = null;
    if (source) { source.close(); source = null; }
    if (pollTimer) { clearTimeout(pollTimer); pollTimer = null; }
    setTyping("");
  }

  function leaveMessage() {
    if (!conversationId) return;
    api("/api/chat/conversations/" + conversationId + "/leave-message", {}).then(function (res) {
      if (res.ok) {
        restore();  // the note with the ticket number, as stored: the same after a reload
        setStatus("handoff");  // the chat waits in the team's queue: follow it, so the reply does arrive here
      } else status.textContent = (res.data.error && res.data.error.message) || "Could not leave the message.";
    });
  }

  // On every page: the conversation as it was (history, who has it), followed live while a
  // person has it, so what they write shows up, or is counted as unread, on whichever page.
  // A passing failure (the server busy, the network dropping) is tried again before the widget
  // gives up and greets as if there were no conversation.
  function restore(attempt) {
    attempt = attempt || 0;
    if (!conversationId) { tell("history", { messages: [] }); return; }
    function retry() {
      if (attempt < 3) { window.setTimeout(function () { restore(attempt + 1); }, 500 * (attempt + 1)); return true; }
      return false;
    }
    api("/api/chat/conversations/" + conversationId).then(function (res) {
      if (!res.ok) {
        if (res.status === 404) { window.localStorage.removeItem(KEY); conversationId = null; }
        else if (retry()) return;
        tell("history", { messages: [] });
        return;
      }
      log.replaceChildren();
      seen.clear();
      res.data.messages.forEach(function (m) { render(m, false); });
      tell("history", { messages: res.data.messages });
      if (LIVE_STATES.indexOf(res.data.status) >= 0) {
        const agent = res.data.messages.filter(function (m) { return m.sender === "agent" && m.author; }).pop();
        setStatus(res.data.status, agent ? agent.author : "");
      }
    }).catch(function () { if (!retry()) tell("history", { messages: [] }); });
  }

  // attachments.js sent files: the answer is like a sent message's.
  root.addEventListener("calm:attached", function (e) {
    const d = e.detail;
    if (d.conversation_id && d.conversation_id !== conversationId) {
      conversationId = d.conversation_id;
      window.localStorage.setItem(KEY, conversationId);
    }
    render(d.message);
    (d.replies || []).forEach(render);
    setStatus(d.status);
  });
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    const text = input.value;
    input.value = "";
    send(text);
  });
  input.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); form.requestSubmit(); }
  });
  input.addEventListener("input", function () {
    if (chatStatus !== "live" || !conversationId || !input.value.trim()) return;
    const now = Date.now();
    if (now - lastTypingSent < TYPING_MS) return;
    lastTypingSent = now;
    api("/api/chat/conversations/" + conversationId + "/typing", {}).catch(function () {});
  });
  root.addEventListener("chat:ask", function (e) { send(e.detail.text, e.detail.label); });
  window.addEventListener("pagehide", stopLive);  // free the stream now, not when the server notices
  window.addEventListener("pageshow", function (e) { if (e.persisted) restore(); });  // back from the cache
  restore();
})();
