// Who is speaking in the chat: the header shows the bot or, while a person has the chat, that
// person (name, role, avatar initials); every bubble carries its speaker's avatar and name; new
// messages from others are read out through a live region. Listens on each [data-chat] panel.
(function () {
  "use strict";
  const AGENT_ROLE = "Support team";
  const BOT_ROLE = "Virtual assistant";

  function initials(name) {
    const words = String(name || "").match(/[^\s\d_.,;:!?()'"-][^\s]*/g) || [];
    return words.slice(0, 2).map(function (w) { return w[0]; }).join("").toUpperCase() || "?";
  }

  function avatar(name, kind) {
    const node = Calm.el("span", "avatar avatar-" + kind, initials(name));
    node.setAttribute("aria-hidden", "true");
    return node;
  }

  function setup(root) {
    const bot = { name: root.dataset.botName || "Assistant", role: BOT_ROLE, kind: "bot" };
    const head = {
      avatar: root.querySelector("[data-chat-avatar]"),
      name: root.querySelector("[data-chat-name]"),
      role: root.querySelector("[data-chat-role]"),
    };
    const announcer = root.querySelector("[data-chat-announce]");
    let agent = "";

    function speaker(message) {
      if (message.sender === "agent") return { name: message.author || agent || "Our team", role: AGENT_ROLE, kind: "agent" };
      if (message.sender === "bot") return bot;
      return null;
    }

    function showHeader(who, role) {
      head.avatar.textContent = initials(who.name);
      head.avatar.className = "avatar avatar-" + who.kind;
      head.name.textContent = who.name;
      head.role.textContent = role || who.role;
      root.dataset.speaker = who.kind;
    }

    function decorate(node, message) {
      const who = speaker(message);
      if (!who) return;  // the customer's own (on the right) and the site's notices (centred): no face
      const line = Calm.el("div", "msg-who");
      line.append(avatar(who.name, who.kind), Calm.el("span", "msg-name", who.name),
                  Calm.el("span", "msg-role", who.role));
      node.classList.add("msg-has-who");
      node.prepend(line);
    }

    root.addEventListener("chat:message", function (e) {
      const message = e.detail.message;
      if (message.sender === "agent" && message.author) agent = message.author;
      if (e.detail.node) decorate(e.detail.node, message);
      if (e.detail.fresh && message.sender !== "customer" && announcer) {
        const who = speaker(message);
        announcer.textContent = (who ? who.name + ": " : "") + (message.text || "");
      }
    });
    root.addEventListener("chat:status", function (e) {
      const status = e.detail.status;
      if (e.detail.agent) agent = e.detail.agent;
      if (status === "live") showHeader({ name: agent || "Our support team", role: AGENT_ROLE, kind: "agent" });
      else if (status === "handoff") showHeader(bot, "Waiting for a person from our team");
      else showHeader(bot);
    });
    showHeader(bot, head.role.textContent);
  }

  document.querySelectorAll("[data-chat]").forEach(setup);
  window.CalmChatPeople = { initials: initials };
})();
