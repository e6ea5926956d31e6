// The chat's welcome: when the panel is open on an empty conversation, a greeting from the
// assistant and up to three suggested questions (the page being read, the most-read articles),
// from /api/chat/welcome. Clicking a question asks it (a chat:ask event that chat.js sends).
(function () {
  "use strict";

  function setup(root) {
    const log = root.querySelector(".chat-log");
    let empty = false;     // known once chat.js has restored (or found no) conversation
    let shown = false;

    function load() {
      if (shown || !empty || root.hidden) return;
      shown = true;
      Calm.api("/api/chat/welcome?page=" + encodeURIComponent(window.location.pathname)).then(function (res) {
        if (!res.ok || log.children.length) return;  // the customer was quicker: no greeting over them
        render(res.data);
      }).catch(function () { shown = false; });
    }

    function render(data) {
      const item = Calm.el("li", "msg msg-welcome");  // not .msg-bot: the bot has not answered anything yet
      item.appendChild(Calm.el("p", "msg-text", data.greeting));
      const questions = (data.questions || []).slice(0, 3);
      if (questions.length) {
        const row = Calm.el("div", "msg-buttons msg-suggestions");
        row.setAttribute("role", "group");
        row.setAttribute("aria-label", "Suggested questions");
        questions.forEach(function (q) {
          const button = Calm.el("button", "chip", q.text);
          button.type = "button";
          button.addEventListener("click", function () {
            root.dispatchEvent(new CustomEvent("chat:ask", { detail: { text: q.text } }));
          });
          row.appendChild(button);
        });
        item.appendChild(row);
      }
      log.appendChild(item);
      // Decorated like any bot message (avatar and name), but not announced as new.
      root.dispatchEvent(new CustomEvent("chat:message", {
        detail: { message: { sender: "bot", text: data.greeting }, node: item, fresh: false, local: true },
      }));
    }

    root.addEventListener("chat:history", function (e) {
      empty = !(e.detail.messages || []).length;
      load();
    });
    root.addEventListener("chat:open", load);
  }

  document.querySelectorAll("[data-chat]").forEach(setup);
})();
