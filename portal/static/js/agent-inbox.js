// The console's inbox settings: the agent's availability switch, desktop notifications for new
// handoffs (permission asked with a button, never on page load), and the list of people to
// transfer a conversation to, each with their availability. agent.js tells this module about the
// queue ("calm:queue") and new handoffs ("calm:handoff"). Everything goes into the page as text.
(function () {
  "use strict";
  const root = document.querySelector("[data-agent-console]");
  const box = root && root.querySelector("[data-inbox-settings]");
  if (!box) return;
  const el = Calm.el, api = Calm.api, errorText = Calm.errorText;
  const ui = {
    switch: box.querySelector("[data-availability]"), note: box.querySelector("[data-availability-note]"),
    notify: box.querySelector("[data-notify]"), notifyState: box.querySelector("[data-notify-state]"),
    person: root.querySelector("[data-transfer-agent]"),
  };
  const NOTES = {
    available: "You count as available: customers are told someone will pick up.",
    away: "Away: you keep your chats, but customers are not promised you.",
    offline: "Offline: customers are not promised you, and you get no desktop notifications.",
  };
  const PEOPLE_MS = 30000;
  let availability = null;   // as the server last confirmed it
  let saving = false;

  // ---- availability ---------------------------------------------------------------------------

  function showAvailability(status) {
    availability = status;
    if (!saving) ui.switch.value = status;
    ui.note.textContent = NOTES[status] || "";
  }

  ui.switch.addEventListener("change", function () {
    const wanted = ui.switch.value;
    saving = true;
    api("/api/agent/availability", { status: wanted }).then(function (res) {
      saving = false;
      if (!res.ok) {
        ui.note.textContent = errorText(res, "Your status was not changed.");
        ui.switch.value = availability || "available";
        return;
      }
      showAvailability(res.data.availability);
      const online = root.querySelector("[data-online]");
      const n = res.data.agents_available;
      if (online) online.textContent = n === 1 ? "1 agent" : n + " agents";
      loadPeople();
    }).catch(function () {
      saving = false;
      ui.switch.value = availability || "available";
      ui.note.textContent = "You seem to be offline. Your status was not changed.";
    });
  });

  document.addEventListener("calm:queue", function (e) {
    if (e.detail && e.detail.availability) showAvailability(e.detail.availability);
  });

  // ---- desktop notifications ------------------------------------------------------------------

  const supported = "Notification" in window;

  function showPermission() {
    if (!supported) {
      ui.notify.hidden = true;
      ui.notifyState.textContent = "This browser cannot show desktop notifications; the banner and sound still work.";
      return;
    }
    const state = Notification.permission;
    ui.notify.hidden = state === "granted" || state === "denied";
    ui.notifyState.textContent = state === "granted" ? "Desktop notifications are on." :
      state === "denied" ? "Desktop notifications are blocked in your browser's site settings." :
      "Get a desktop notification for each new handoff, even in another tab.";
  }

  ui.notify.addEventListener("click", function () {
    const asked = Notification.requestPermission(showPermission);  // older browsers: a callback
    if (asked && asked.then) asked.then(showPermission);
  });

  document.addEventListener("calm:handoff", function (e) {
    if (!supported || Notification.permission !== "granted" || availability === "offline") return;
    const numbers = (e.detail && e.detail.numbers) || [];
    try {
      const note = new Notification("New handoff waiting", {
        body: numbers.join(", ") + (numbers.length === 1 ? " is" : " are") + " waiting in your queue.",
        tag: "calm-handoff-" + numbers.join("-"),
      });
      note.onclick = function () { window.focus(); note.close(); };
    } catch (err) {
      // Some browsers only notify from a service worker; the banner and sound remain.
    }
  });

  // ---- transfer to a person, by name ----------------------------------------------------------

  function loadPeople() {
    return api("/api/agent/people").then(function (res) {
      if (!res.ok) return;
      const chosen = ui.person.value;
      const first = el("option", null, "a person…");
      first.value = "";
      ui.person.replaceChildren(first);
      res.data.people.filter(function (p) { return !p.me; }).forEach(function (p) {
        const option = el("option", null, p.name + " (" + p.availability + ")");
        option.value = String(p.id);
        option.dataset.availability = p.availability;
        ui.person.appendChild(option);
      });
      ui.person.value = chosen;
      if (ui.person.value !== chosen) ui.person.value = "";
    }).catch(function () {});
  }

  showPermission();
  loadPeople();
  setInterval(function () { if (document.activeElement !== ui.person) loadPeople(); }, PEOPLE_MS);
})();
