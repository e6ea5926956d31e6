// Calmline agent console (/agent): the handoff queue, claiming, and the live conversation.
// Plain JS, no CDN. Every piece of data goes into the page as text, never as HTML.
(function () {
  "use strict";
  const root = document.querySelector("[data-agent-console]");
  if (!root) return;
  const el = Calm.el, api = Calm.api, errorText = Calm.errorText;
  const $ = function (sel) { return root.querySelector(sel); };

  const ui = {
    banner: $("[data-banner]"), error: $("[data-error]"),
    queue: $("[data-queue]"), queueCount: $("[data-queue-count]"), queueEmpty: $("[data-queue-empty]"),
    mine: $("[data-mine]"), mineEmpty: $("[data-mine-empty]"),
    online: $("[data-online]"), connection: $("[data-connection]"),
    placeholder: $("[data-placeholder]"), ticket: $("[data-ticket]"),
    title: $("[data-ticket-title]"), meta: $("[data-ticket-meta]"), state: $("[data-ticket-state]"),
    claim: $("[data-claim]"), briefing: $("[data-briefing]"),
    earlierBox: $("[data-earlier-box]"), earlier: $("[data-earlier]"),
    transcript: $("[data-transcript]"), typing: $("[data-typing]"), satisfaction: $("[data-satisfaction]"),
    meterLevel: $("[data-meter-level]"), meterFill: $("[data-meter-fill]"), meter: $("[data-meter]"),
    suggestionsBox: $("[data-suggestions-box]"), suggestions: $("[data-suggestions]"), canned: $("[data-canned]"),
    composer: $("[data-composer]"), composerHint: $("[data-composer-hint]"),
    notes: $("[data-notes]"), noteForm: $("[data-note-form]"),
    resolve: $("[data-resolve]"), handback: $("[data-handback]"),
    transfer: $("[data-transfer]"), transferTeam: $("[data-transfer-team]"), transferAgent: $("[data-transfer-agent]"),
  };
  const reply = ui.composer.querySelector("textarea");
  const noteInput = ui.noteForm.querySelector("textarea");

  const LEVELS = ["calm", "annoyed", "frustrated", "angry"];
  const REASONS = {
    requested_human: "Asked for a person", angry: "Angry", frustrated_rising: "Frustration rising",
    abuse: "Abusive language", bot_failing: "Bot could not help", left_message: "Left a message",
  };
  const PRESENCE_MS = 30000, QUEUE_POLL_MS = 3000, TICKET_POLL_MS = 2000, TYPING_MS = 2000, TYPING_SHOWN_MS = 4000;

  let knownQueue = null;           // ticket numbers in the queue at the last fetch (null: first fetch)
  let queueItems = [];             // [{item, fetchedAt, waitNode}]
  let current = null;              // the open ticket's detail
  let seenMessages = new Set();    // message ids already in the transcript
  let shownMessages = [];          // the messages in the transcript, in order
  let liveNotes = [];              // notes that arrived as events since the ticket was last drawn
  let stream = null;               // the one EventSource: the queue's, or the open ticket's (queue included)
  let streamErrors = 0;
  let pollTimer = null;
  let lastEventId = 0;
  let queueRefetch = null;
  let lastTypingSent = 0;
  let typingTimer = null;
  let bannerTimer = null;
  let audio = null;

  // ---- small helpers ---------------------------------------------------------------------

  function showError(text) {
    ui.error.textContent = text || "";
    ui.error.hidden = !text;
  }

  function formatWait(seconds) {
    seconds = Math.max(0, Math.floor(seconds));
    const h = Math.floor(seconds / 3600), m = Math.floor((seconds % 3600) / 60), s = seconds % 60;
    if (h) return h + "h " + m + "m";
    if (m) return m + "m " + String(s).padStart(2, "0") + "s";
    return s + "s";
  }

  function levelBadge(level) {
    const known = LEVELS.indexOf(level) >= 0;
    return el("span", "level-badge level-" + (known ? level : "unknown"), known ? level : "unknown");
  }

  function ticketUrl(number, action) {
    return "/api/agent/tickets/" + encodeURIComponent(number) + (action ? "/" + action : "");
  }

  // ---- notice: banner and a short beep -------------------------------------------------------

  function beep() {
    try {
      const Ctx = window.AudioContext || window.webkitAudioContext;
      if (!Ctx) return;
      audio = audio || new Ctx();
      if (audio.state === "suspended" && audio.resume) audio.resume().catch(function () {});
      const osc = audio.createOscillator();
      const gain = audio.createGain();
      osc.type = "sine";
      osc.frequency.value = 880;
      gain.gain.value = 0.08;
      osc.connect(gain);
      gain.connect(audio.destination);
      osc.start();
      osc.stop(audio.currentTime + 0.18);
    } catch (e) {
      // Audio blocked or unavailable: the banner is the notice.
    }
  }

  function announce(numbers) {
    ui.banner.textContent = "New handoff: " + numbers.join(", ");
    ui.banner.hidden = false;
    beep();
    // agent-inbox.js shows the desktop notification, when the agent has allowed them.
    document.dispatchEvent(new CustomEvent("calm:handoff", { detail: { numbers: numbers } }));
    clearTimeout(bannerTimer);
    bannerTimer = setTimeout(function () { ui.banner.hidden = true; }, 15000);
  }

  // ---- queue and my conversations ----------------------------------------------------------

  function queueRow(item, withClaim, isNew) {
    const li = el("li", "queue-item" + (isNew ? " is-new" : "") + (item.sla_breached ? " is-breached" : ""));
    li.dataset.ticket = item.ticket;
    const top = el("div", "queue-top");
    top.append(el("strong", "queue-customer", item.customer), el("span", "queue-number", item.ticket),
               el("span", "priority priority-" + item.priority, item.priority));
    if (item.sla_breached) top.appendChild(el("span", "sla-breached", "SLA breached"));
    li.appendChild(top);
    li.appendChild(el("p", "queue-problem", item.problem));
    const facts = el("p", "queue-facts");
    facts.append(levelBadge(item.frustration), el("span", null, REASONS[item.reason] || item.reason),
                 el("span", "queue-team", item.team ? "Team: " + item.team : "No team"));
    const wait = el("span", "queue-wait");
    facts.appendChild(wait);
    li.appendChild(facts);
    const actions = el("div", "queue-actions");
    const open = el("button", "button secondary", "Open");
    open.type = "button";
    open.setAttribute("aria-label", "Open " + item.ticket);
    open.addEventListener("click", function () { openTicket(item.ticket); });
    actions.appendChild(open);
    if (withClaim) {
      const claim = el("button", "button", "Claim");
      claim.type = "button";
      claim.setAttribute("aria-label", "Claim " + item.ticket);
      claim.addEventListener("click", function () { claimTicket(item.ticket, claim); });
      actions.appendChild(claim);
    } else {
      wait.hidden = true;
      li.appendChild(el("p", "agent-meta", item.conversation_status === "live" ? "Live chat" :
                                          "Conversation: " + (item.conversation_status || "none")));
    }
    li.appendChild(actions);
    return { li: li, wait: wait };
  }

  function renderQueue(data) {
    const now = Date.now();
    const numbers = data.queue.map(function (i) { return i.ticket; });
    const fresh = knownQueue === null ? [] : numbers.filter(function (n) { return knownQueue.indexOf(n) < 0; });
    knownQueue = numbers;
    queueItems = [];
    ui.queue.replaceChildren();
    data.queue.forEach(function (item) {
      const row = queueRow(item, true, fresh.indexOf(item.ticket) >= 0);
      queueItems.push({ item: item, fetchedAt: now, wait: row.wait });
      ui.queue.appendChild(row.li);
    });
    ui.queueCount.textContent = String(data.queue.length);
    ui.queueEmpty.hidden = data.queue.length > 0;
    ui.mine.replaceChildren();
    data.mine.forEach(function (item) {
      const row = queueRow(item, false, false);
      ui.mine.appendChild(row.li);
    });
    ui.mineEmpty.hidden = data.mine.length > 0;
    ui.online.textContent = data.agents_available === 1 ? "1 agent" : data.agents_available + " agents";
    document.dispatchEvent(new CustomEvent("calm:queue", { detail: data }));
    tickWaits();
    if (fresh.length) announce(fresh);
  }

  function tickWaits() {
    const now = Date.now();
    queueItems.forEach(function (q) {
      q.wait.textContent = "Waiting " + formatWait(q.item.waiting_seconds + (now - q.fetchedAt) / 1000);
    });
  }

  function loadQueue() {
    return api("/api/agent/queue").then(function (res) {
      if (!res.ok) { showError(errorText(res, "Could not load the queue.")); return null; }
      renderQueue(res.data);
      return res.data;
    }).catch(function () { ui.connection.textContent = "Offline; retrying…"; return null; });
  }

  // Queue events come in bursts (a handoff commits its ticket, then its conversation):
  // refetch once now and once a moment later, so the list is never a step behind.
  function queueChanged() {
    if (queueRefetch) return;
    queueRefetch = setTimeout(function () {
      queueRefetch = null;
      loadQueue();
      setTimeout(loadQueue, 1500);
    }, 150);
  }

  // ---- following events: one EventSource, else polling ---------------------------------------

  function streamUrl() {
    return current ? ticketUrl(current.ticket, "events") : "/api/agent/queue/events";
  }

  function handleEvent(event) {
    if (event.id > lastEventId) lastEventId = event.id;
    const data = event.data || {};
    if (event.kind === "queue") { queueChanged(); return; }
    if (!current) return;
    if (event.kind === "message") addMessage(data, true);
    else if (event.kind === "typing") showTyping(data);
    else if (event.kind === "status") refreshTicket();
    else if (event.kind === "note") { liveNotes.push(data); addNote(data); }
    else if (event.kind === "rating") showSatisfaction(data);
  }

  function stopFollowing() {
    if (stream) { stream.close(); stream = null; }
    if (pollTimer) { clearTimeout(pollTimer); pollTimer = null; }
  }

  function follow() {
    stopFollowing();
    streamErrors = 0;
    if (!window.EventSource) { poll(); return; }
    const source = new EventSource(streamUrl() + "?after=" + lastEventId);
    stream = source;
    ["message", "typing", "status", "note", "queue", "rating"].forEach(function (kind) {
      source.addEventListener(kind, function (e) {
        try { handleEvent(JSON.parse(e.data)); } catch (err) { /* a malformed event is skipped */ }
      });
    });
    source.addEventListener("open", function () {
      streamErrors = 0;
      ui.connection.textContent = "Live";
    });
    source.addEventListener("error", function () {
      // The server ends each stream after a while and the browser reconnects on its own;
      // only repeated failures (or a closed stream) switch to polling.
      streamErrors += 1;
      if (source.readyState === EventSource.CLOSED || streamErrors >= 3) {
        if (stream === source) { source.close(); stream = null; poll(); }
      } else {
        ui.connection.textContent = "Reconnecting…";
      }
    });
  }

  function poll() {
    ui.connection.textContent = "Polling";
    const following = current ? current.ticket : null;
    const step = function () {
      const done = function () {
        if ((current ? current.ticket : null) === following && !stream) {
          pollTimer = setTimeout(step, following ? TICKET_POLL_MS : QUEUE_POLL_MS);
        }
      };
      if (!following) { loadQueue().finally(done); return; }
      api(ticketUrl(following, "events") + "?after=" + lastEventId).then(function (res) {
        if (res.ok) (res.data.events || []).forEach(handleEvent);
      }).catch(function () {}).finally(done);
    };
    pollTimer = setTimeout(step, following ? TICKET_POLL_MS : QUEUE_POLL_MS);
  }

  // ---- the open conversation -----------------------------------------------------------------

  function row(list, label, value) {
    if (value === undefined || value === null || value === "" || (Array.isArray(value) && !value.length)) return;
    list.appendChild(el("dt", null, label));
    const dd = el("dd");
    if (Array.isArray(value)) {
      const ul = el("ul", "plain-list");
      value.forEach(function (v) { ul.appendChild(el("li", null, typeof v === "object" ? (v.title || v.url) : v)); });
      dd.appendChild(ul);
    } else if (value instanceof Node) {
      dd.appendChild(value);
    } else {
      dd.textContent = String(value);
    }
    list.appendChild(dd);
  }

  function renderBriefing(detail) {
    const b = detail.briefing || {};
    ui.briefing.replaceChildren();
    row(ui.briefing, "Problem", b.problem || detail.problem);
    row(ui.briefing, "Wants", b.wants);
    row(ui.briefing, "Reason", REASONS[b.reason || detail.reason] || b.reason || detail.reason);
    const details = Object.keys(b.details || {}).map(function (k) { return k.replace(/_/g, " ") + ": " + b.details[k]; });
    row(ui.briefing, "Details", details);
    const mood = el("span", "mood-row");
    [["start", b.mood_start], ["now", b.mood_now], ["peak", b.mood_peak]].forEach(function (pair) {
      const part = el("span", "mood-part", pair[0] + " ");
      part.appendChild(levelBadge(pair[1]));
      mood.appendChild(part);
    });
    row(ui.briefing, "Mood", mood);
    row(ui.briefing, "Bot offered articles", detail.articles_shown || b.bot_offered_articles);
    row(ui.briefing, "Bot offered options", b.bot_offered_options);
    row(ui.briefing, "Promised", b.promised);
  }

  function renderEarlier(detail) {
    ui.earlier.replaceChildren();
    (detail.earlier_tickets || []).forEach(function (t) {
      ui.earlier.appendChild(el("li", null, [t.ticket, t.status, CalmTime.format(t.created_at), t.subject]
        .filter(Boolean).join(" · ")));
    });
    if (!ui.earlier.children.length) ui.earlier.appendChild(el("li", "agent-meta", "None."));
  }

  function setMeter(level, score) {
    const known = LEVELS.indexOf(level) >= 0;
    ui.meterLevel.textContent = known ? level : "unknown";
    ui.meter.className = "mood-meter level-" + (known ? level : "unknown");
    ui.meter.title = typeof score === "number" ? "score " + score.toFixed(2) : "";
  }

  function addMessage(m, live) {
    if (!m || (m.id !== undefined && seenMessages.has(m.id))) return;
    if (m.id !== undefined) seenMessages.add(m.id);
    shownMessages.push(m);
    const li = el("li", "tmsg tmsg-" + m.sender);
    const head = el("div", "tmsg-head");
    const who = m.sender === "agent" ? (m.author || "Agent") : m.sender === "customer" ? "Customer" :
      m.sender === "bot" ? "Assistant" : "System";
    head.appendChild(el("span", "tmsg-who", who));
    if (m.sender === "customer" && m.frustration) head.appendChild(levelBadge(m.frustration.level));
    li.appendChild(head);
    if (m.text) li.appendChild(el("p", "tmsg-text", m.text));
    if (window.CalmAttachments) CalmAttachments.render(li, m);
    (m.articles || []).forEach(function (a) { li.appendChild(el("p", "tmsg-extra", "Article: " + (a.title || a.url))); });
    if (m.buttons && m.buttons.length) {
      li.appendChild(el("p", "tmsg-extra", "Options: " + m.buttons.map(function (b) { return b.title; }).join(" · ")));
    }
    ui.transcript.appendChild(li);
    ui.transcript.scrollTop = ui.transcript.scrollHeight;
    if (live && m.sender === "customer") {
      ui.typing.textContent = "";
      if (m.frustration) {
        const changed = m.frustration.level !== current.frustration_now;
        setMeter(m.frustration.level, m.frustration.score);
        current.frustration_now = m.frustration.level;
        if (changed) refreshSuggestions();
      }
    }
  }

  function addNote(n) {
    ui.notes.appendChild(el("li", null, (n.author ? n.author + ": " : "") + n.text));
  }

  function showTyping(data) {
    if (data.who !== "customer") return;
    ui.typing.textContent = "Customer is typing…";
    clearTimeout(typingTimer);
    typingTimer = setTimeout(function () { ui.typing.textContent = ""; }, TYPING_SHOWN_MS);
  }

  // Resolved or closed: the customer is back with the bot, so the chat is read-only here
  // (the server refuses a reply too).
  function isFinished(d) { return d.status === "resolved" || d.status === "closed"; }
  function canReply(d) { return Boolean(d && d.mine && !isFinished(d)); }

  // The customer's rating, from the ticket or as it arrives (the bot stores it on the click).
  function showSatisfaction(sat) {
    sat = sat || {};
    ui.satisfaction.hidden = !sat.rating && !sat.comment;
    const who = sat.path === "bot" ? "Customer's rating of the assistant: " : "Customer rating: ";
    ui.satisfaction.textContent = who + (sat.rating ? sat.rating + "/5" : "none") +
      (sat.comment ? " · “" + sat.comment + "”" : "");
  }

  function renderSuggestions(detail) {
    ui.suggestions.replaceChildren();
    (detail.suggestions || []).forEach(function (text) {
      const chip = el("button", "suggestion", text);
      chip.type = "button";
      chip.addEventListener("click", function () { insertIntoComposer(text); });
      ui.suggestions.appendChild(chip);
    });
    ui.suggestionsBox.hidden = !canReply(detail) || !(detail.suggestions || []).length;
    ui.canned.replaceChildren(el("option", null, "Insert a canned response…"));
    ui.canned.firstChild.value = "";
    (detail.canned || []).forEach(function (c) {
      const option = el("option", null, c.title);
      option.value = String(c.id);
      ui.canned.appendChild(option);
    });
  }

  function insertIntoComposer(text) {
    // Inserted for the agent to edit: never sent on its own.
    const start = reply.selectionStart, end = reply.selectionEnd;
    if (reply.value && typeof start === "number" && start !== end) {
      reply.value = reply.value.slice(0, start) + text + reply.value.slice(end);
    } else {
      reply.value = reply.value.trim() ? reply.value.replace(/\s*$/, " ") + text : text;
    }
    reply.focus();
  }

  function stateText(d) {
    if (d.status === "resolved" || d.status === "closed") return "Resolved.";
    if (d.conversation_status === "live") return "Live chat with " + (d.assignee || "an agent") + ".";
    if (d.conversation_status === "handoff") return d.assignee ? "Assigned to " + d.assignee + "." : "Waiting for an agent.";
    if (d.conversation_status === "bot") return "The customer is with the assistant.";
    return "No live chat: replies also go to the customer by email.";
  }

  function renderTicket(detail) {
    const switching = !current || current.ticket !== detail.ticket;
    current = detail;
    ui.placeholder.hidden = true;
    ui.ticket.hidden = false;
    ui.title.textContent = detail.ticket + " · " + detail.customer;
    ui.meta.textContent = [detail.priority + " priority", detail.team ? "team " + detail.team : "",
                           detail.sla_breached ? "SLA breached" : "SLA due " + CalmTime.format(detail.sla_due_at)]
      .filter(Boolean).join(" · ");
    ui.state.textContent = stateText(detail);
    const claimable = !detail.assignee && detail.status === "open";
    ui.claim.hidden = !claimable;
    renderBriefing(detail);
    renderEarlier(detail);
    // A message or note that arrived live while this detail was on its way is not in it: it
    // stays (its event is behind us and will not come again).
    const arrived = switching ? [] : shownMessages;
    const pendingNotes = switching ? [] : liveNotes;
    ui.transcript.replaceChildren();
    seenMessages = new Set();
    shownMessages = [];
    (detail.messages || []).forEach(function (m) { addMessage(m, false); });
    const kept = arrived.filter(function (m) { return m.id !== undefined && !seenMessages.has(m.id); });
    kept.forEach(function (m) { addMessage(m, false); });
    const lastCustomer = (detail.messages || []).concat(kept)
      .filter(function (m) { return m.sender === "customer" && m.frustration; }).pop();
    const keptMood = kept.filter(function (m) { return m.sender === "customer" && m.frustration; }).pop();
    if (keptMood) current.frustration_now = keptMood.frustration.level;
    setMeter(current.frustration_now, lastCustomer ? lastCustomer.frustration.score : null);
    ui.notes.replaceChildren();
    (detail.notes || []).forEach(addNote);
    const drawn = (detail.notes || []).map(function (n) { return (n.author || "") + "\n" + n.text; });
    liveNotes = pendingNotes.filter(function (n) {
      const at = drawn.indexOf((n.author || "") + "\n" + n.text);
      if (at >= 0) { drawn.splice(at, 1); return false; }  // the detail has it now
      return true;
    });
    liveNotes.forEach(addNote);
    renderSuggestions(detail);
    showSatisfaction(detail.satisfaction);
    const canAct = canReply(detail);
    ui.composer.querySelector("button[type=submit]").disabled = !canAct;
    reply.disabled = !canAct;
    ui.canned.disabled = !canAct;
    ui.composerHint.textContent = isFinished(detail) ? "Resolved: this chat is read-only." :
      detail.mine ? "" : "Claim the conversation to reply.";
    [ui.resolve, ui.handback].forEach(function (b) { b.disabled = !canAct; });
    ui.handback.disabled = !canAct || !detail.conversation_id;
    ui.transfer.querySelector("button").disabled = !canAct;
    if (window.CalmAttachments) CalmAttachments.ticketShown(root, detail, canAct);
    if (switching) {
      reply.value = "";
      ui.typing.textContent = "";
      if (window.history && window.history.replaceState) window.history.replaceState(null, "", "#" + detail.ticket);
      // The detail holds everything up to its last_event_id; follow from there. The ticket's
      // stream carries the queue's events too, so one connection serves the whole console.
      lastEventId = Math.max(lastEventId, detail.last_event_id || 0);
      follow();
      loadQueue();
    }
  }

  function openTicket(number) {
    showError("");
    return api(ticketUrl(number)).then(function (res) {
      if (!res.ok) { showError(errorText(res, "Could not open " + number + ".")); return; }
      const switching = !current || current.ticket !== res.data.ticket;
      if (switching) lastEventId = 0;  // follow from the detail's own position
      renderTicket(res.data);
    });
  }

  function refreshTicket() {
    if (!current) return;
    const number = current.ticket;
    api(ticketUrl(number)).then(function (res) {
      if (res.ok && current && current.ticket === number) renderTicket(res.data);
    });
    queueChanged();
  }

  function refreshSuggestions() {
    if (!current) return;
    const number = current.ticket;
    api(ticketUrl(number)).then(function (res) {
      if (res.ok && current && current.ticket === number) renderSuggestions(res.data);
    });
  }

  function claimTicket(number, button) {
    showError("");
    if (button) button.disabled = true;
    api(ticketUrl(number, "claim"), {}).then(function (res) {
      if (!res.ok) {
        showError(errorText(res, "Could not claim " + number + "."));
        loadQueue();
        if (current && current.ticket === number) refreshTicket();
        return;
      }
      if (!current || current.ticket !== number) lastEventId = 0;
      renderTicket(res.data);
      loadQueue();
      reply.focus();
    }).catch(function () {
      showError("You seem to be offline. Try again.");
    }).finally(function () { if (button) button.disabled = false; });
  }

  function ticketAction(action, body, done) {
    if (!current) return;
    showError("");
    const number = current.ticket;
    api(ticketUrl(number, action), body || {}).then(function (res) {
      if (!res.ok) { showError(errorText(res, "That did not work.")); return; }
      if (done) done(res.data);
      else if (current && current.ticket === number && res.data.ticket) renderTicket(res.data);
      loadQueue();
    }).catch(function () { showError("You seem to be offline. Try again."); });
  }

  // ---- wiring ------------------------------------------------------------------------------

  ui.claim.addEventListener("click", function () { if (current) claimTicket(current.ticket, ui.claim); });

  root.addEventListener("calm:attached", function (e) {  // attachments.js sent a file
    if (current && current.ticket === e.detail.ticket) addMessage(e.detail.message, false);
  });
  ui.composer.addEventListener("submit", function (e) {
    e.preventDefault();
    const text = reply.value.trim();
    if (!text || !current) return;
    const number = current.ticket;
    const button = ui.composer.querySelector("button[type=submit]");
    button.disabled = true;
    Calm.sendMessage(ticketUrl(number, "messages"), { text: text }).then(function (res) {
      if (!res.ok) { showError(errorText(res, "Your reply was not sent.")); return; }
      showError("");
      if (reply.value.trim() === text) reply.value = "";
      if (current && current.ticket === number) addMessage(res.data, false);
    }).catch(function () {
      showError("You seem to be offline. Your reply is still in the box.");
    }).finally(function () { button.disabled = !canReply(current); });
  });
  reply.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); ui.composer.requestSubmit(); }
  });
  reply.addEventListener("input", function () {
    if (!current || !current.mine || current.conversation_status !== "live" || !reply.value.trim()) return;
    const now = Date.now();
    if (now - lastTypingSent < TYPING_MS) return;
    lastTypingSent = now;
    api(ticketUrl(current.ticket, "typing"), {}).catch(function () {});
  });

  ui.canned.addEventListener("change", function () {
    const chosen = (current && current.canned || []).filter(function (c) { return String(c.id) === ui.canned.value; })[0];
    if (chosen) insertIntoComposer(chosen.text);
    ui.canned.value = "";
  });

  ui.noteForm.addEventListener("submit", function (e) {
    e.preventDefault();
    const text = noteInput.value.trim();
    if (!text || !current) return;
    api(ticketUrl(current.ticket, "notes"), { text: text }).then(function (res) {
      if (!res.ok) { showError(errorText(res, "The note was not saved.")); return; }
      noteInput.value = "";  // the note itself arrives as an event
    }).catch(function () { showError("You seem to be offline. Your note is still in the box."); });
  });

  ui.resolve.addEventListener("click", function () { ticketAction("resolve"); });
  ui.handback.addEventListener("click", function () { ticketAction("handback"); });
  ui.transfer.addEventListener("submit", function (e) {
    e.preventDefault();
    const team = ui.transferTeam.value;
    const agent = parseInt(ui.transferAgent.value, 10);
    if (!team && !agent) { showError("Choose a team or a person."); return; }
    ticketAction("transfer", agent ? { agent: agent } : { team: team }, function (detail) {
      ui.transferTeam.value = "";
      ui.transferAgent.value = "";
      if (current && current.ticket === detail.ticket) renderTicket(detail);
    });
  });

  function ping() { api("/api/agent/presence", {}).catch(function () {}); }

  loadQueue().then(function (data) {
    if (!current) {
      lastEventId = Math.max(lastEventId, (data && data.last_event_id) || 0);
      follow();
    }
    const wanted = window.location.hash.replace(/^#/, "");
    if (/^T-\d+$/.test(wanted)) openTicket(wanted);
  });
  setInterval(tickWaits, 1000);
  setInterval(function () { ping(); loadQueue(); }, PRESENCE_MS);
})();
