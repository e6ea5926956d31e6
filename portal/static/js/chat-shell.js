// The chat widget's shell: the launcher, open and close (button, Escape), the focus trap while
// open, the open state kept across pages, and what tells the customer about messages they have
// not seen: a badge on the launcher, "(n)" in the tab title, and an optional sound (off unless
// they turn it on; remembered). Events on the panel: chat:open and chat:close go out;
// chat:message (from chat.js) comes in.
(function () {
  "use strict";
  const OPEN_KEY = "calmline.chat.open";     // per tab: a new tab starts closed
  const SEEN_KEY = "calmline.chat.seen";     // the newest message id the customer has seen
  const SOUND_KEY = "calmline.chat.sound";
  // What Tab reaches: a control taken out of the tab order (tabindex -1, e.g. the file input
  // behind the paperclip) is not the last one.
  const FOCUSABLE = ["a[href]", "button:not([disabled])", "textarea:not([disabled])", "input:not([disabled])",
                     "[tabindex]"].map(function (s) { return s + ":not([tabindex='-1'])"; }).join(", ");

  function store(kind) {
    try { return window[kind]; } catch (err) { return null; }  // storage may be blocked
  }
  function read(kind, key) { const s = store(kind); return s ? s.getItem(key) : null; }
  function write(kind, key, value) { const s = store(kind); if (s) s.setItem(key, value); }

  function setup(root) {
    const toggle = document.querySelector("[data-chat-toggle][aria-controls='" + root.id + "']");
    const badge = toggle ? toggle.querySelector("[data-chat-unread]") : null;
    const closer = root.querySelector("[data-chat-close]");
    const soundButton = root.querySelector("[data-chat-sound]");
    const input = root.querySelector("textarea");
    const baseTitle = document.title;
    const unread = new Set();
    let seen = Number(read("localStorage", SEEN_KEY)) || 0;
    let newest = 0;

    function isOpen() { return !root.hidden; }
    function watching() { return isOpen() && document.visibilityState !== "hidden"; }

    function showUnread() {
      const n = unread.size;
      document.title = n ? "(" + n + ") " + baseTitle : baseTitle;
      if (!badge) return;
      badge.hidden = !n;
      badge.replaceChildren(String(n), Calm.el("span", "visually-hidden", n === 1 ? " unread message" : " unread messages"));
    }

    function markSeen() {
      if (newest > seen) { seen = newest; write("localStorage", SEEN_KEY, String(seen)); }
      unread.clear();
      showUnread();
    }

    function open(focus) {
      root.hidden = false;
      if (toggle) toggle.setAttribute("aria-expanded", "true");
      document.documentElement.classList.add("chat-open");
      write("sessionStorage", OPEN_KEY, "1");
      markSeen();
      root.dispatchEvent(new CustomEvent("chat:open"));
      if (focus !== false) input.focus();
    }

    function close() {
      root.hidden = true;
      document.documentElement.classList.remove("chat-open");  // first: on a phone it shows the launcher again
      if (toggle) { toggle.setAttribute("aria-expanded", "false"); toggle.focus(); }
      write("sessionStorage", OPEN_KEY, "0");
      root.dispatchEvent(new CustomEvent("chat:close"));
    }

    function beep() {
      const Ctx = window.AudioContext || window.webkitAudioContext;
      if (!Ctx) return;
      try {
        const ctx = new Ctx(), tone = ctx.createOscillator(), gain = ctx.createGain();
        tone.frequency.value = 880;
        gain.gain.setValueAtTime(0.08, ctx.currentTime);
        gain.gain.exponentialRampToValueAtTime(0.0001, ctx.currentTime + 0.25);
        tone.connect(gain).connect(ctx.destination);
        tone.start();
        tone.stop(ctx.currentTime + 0.25);
        tone.onended = function () { ctx.close(); };
      } catch (err) { /* no sound is better than a broken chat */ }
    }

    function soundOn() { return read("localStorage", SOUND_KEY) === "on"; }
    function showSound() {
      if (!soundButton) return;
      soundButton.setAttribute("aria-pressed", String(soundOn()));
      soundButton.title = "Sound for new messages: " + (soundOn() ? "on" : "off");
    }

    root.addEventListener("chat:message", function (e) {
      const message = e.detail.message;
      if (typeof message.id !== "number") return;  // not stored (the greeting)
      newest = Math.max(newest, message.id);
      if (message.sender === "customer" || watching()) { markSeen(); return; }
      if (message.id <= seen || unread.has(message.id)) return;
      unread.add(message.id);
      showUnread();
      if (e.detail.fresh && soundOn()) beep();
    });
    document.addEventListener("visibilitychange", function () { if (watching()) markSeen(); });

    if (soundButton) {
      showSound();
      soundButton.addEventListener("click", function () {
        write("localStorage", SOUND_KEY, soundOn() ? "off" : "on");
        showSound();
      });
    }

    if (!toggle) {  // the full-page chat: always open
      root.dispatchEvent(new CustomEvent("chat:open"));
      return;
    }
    toggle.addEventListener("click", function () { if (isOpen()) close(); else open(); });
    if (closer) closer.addEventListener("click", close);
    document.addEventListener("keydown", function (e) {
      if (!isOpen()) return;
      if (e.key === "Escape") { e.preventDefault(); close(); return; }
      if (e.key !== "Tab") return;
      if (!root.contains(document.activeElement)) { e.preventDefault(); input.focus(); return; }
      // Keep focus inside the open panel: past the last control comes the first, and back.
      const items = Array.prototype.filter.call(root.querySelectorAll(FOCUSABLE), function (node) {
        return node.offsetParent !== null || node === document.activeElement;
      });
      if (!items.length) return;
      const first = items[0], last = items[items.length - 1];
      if (e.shiftKey && document.activeElement === first) { e.preventDefault(); last.focus(); }
      else if (!e.shiftKey && document.activeElement === last) { e.preventDefault(); first.focus(); }
    });
    document.addEventListener("focusin", function (e) {
      if (isOpen() && !root.contains(e.target) && e.target !== toggle) input.focus();
    });
    if (read("sessionStorage", OPEN_KEY) === "1") open();  // resume as it was on the last page
  }

  document.querySelectorAll("[data-chat]").forEach(setup);
})();
