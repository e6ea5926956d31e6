// Contact at handoff: a visitor without an account, handed to a person, is asked once for an
// email address so the reply reaches them after they leave (optional: Skip). chat.js tells us
// about the chat's state with a "chat:status" event; the server says whether to ask
// (GET /api/chat/conversations/<id>/contact), so an answer or a skip survives a reload.
(function () {
  "use strict";
  const LIVE_STATES = ["handoff", "live"];
  const asked = new Set();   // conversations already looked up on this page

  function ids(root) {
    const suffix = root.classList.contains("chat-page") ? "-page" : "";
    return { email: "chat-contact-email" + suffix, why: "chat-contact-why" + suffix,
             error: "chat-contact-error" + suffix, title: "chat-contact-title" + suffix };
  }

  function slot(root) {
    let box = root.querySelector(".chat-contact");
    if (!box) {
      box = Calm.el("div", "chat-contact");
      root.querySelector(".chat-status").before(box);
    }
    return box;
  }

  function showNote(root, email) {
    const box = slot(root);
    box.replaceChildren();
    if (!email) { box.remove(); return; }
    const note = Calm.el("p", "chat-contact-note", "Replies will also be emailed to ");
    note.appendChild(Calm.el("strong", "", email));
    note.appendChild(document.createTextNode("."));
    box.appendChild(note);
  }

  function ask(root, conversationId) {
    const id = ids(root);
    const form = Calm.el("form", "chat-contact-form");
    form.noValidate = true;
    form.setAttribute("aria-labelledby", id.title);
    const title = Calm.el("p", "chat-contact-title", "Get the reply by email?");
    title.id = id.title;
    const why = Calm.el("p", "chat-contact-why", "Optional. We'll send it with a link back to your ticket.");
    why.id = id.why;
    const label = Calm.el("label", "", "Your email address");
    label.htmlFor = id.email;
    const input = Calm.el("input", "");
    Object.assign(input, { id: id.email, type: "email", name: "email", autocomplete: "email", maxLength: 254 });
    input.setAttribute("inputmode", "email");
    input.setAttribute("aria-describedby", id.why);
    const error = Calm.el("p", "field-error chat-contact-error");
    error.id = id.error;
    error.setAttribute("role", "alert");
    error.hidden = true;
    const row = Calm.el("div", "chat-contact-row");
    const save = Calm.el("button", "button", "Save email");
    save.type = "submit";
    const skip = Calm.el("button", "button secondary", "Skip");
    skip.type = "button";
    row.append(input, save, skip);
    form.append(title, why, label, row, error);

    function fail(message) {
      error.textContent = message;
      error.hidden = false;
      input.setAttribute("aria-invalid", "true");
      input.setAttribute("aria-describedby", id.why + " " + id.error);
      input.focus();
    }

    function answer(body) {
      save.disabled = skip.disabled = true;
      Calm.api("/api/chat/conversations/" + conversationId + "/contact", body).then(function (res) {
        if (res.ok) {
          showNote(root, res.data.email);
          const status = root.querySelector(".chat-status");
          status.textContent = res.data.email ? "Saved. We'll email replies there too."
                                              : "No problem. The reply will be here in the chat.";
          root.querySelector(".chat-form textarea").focus();
        } else fail(Calm.errorText(res, "Your email could not be saved. Try again, or choose Skip."));
      }).catch(function () {
        fail("You seem to be offline. Your email is still in the box; try again.");
      }).finally(function () { save.disabled = skip.disabled = false; });
    }

    form.addEventListener("submit", function (e) {
      e.preventDefault();
      if (!input.value.trim()) { fail("Enter your email address, like name@example.com, or choose Skip."); return; }
      answer({ email: input.value });
    });
    skip.addEventListener("click", function () { answer({ skip: true }); });

    const box = slot(root);
    box.replaceChildren(form);
    // Moving focus here only when the customer is in the chat already (never from the page): focus
    // in the panel, or nowhere because the button they pressed became read-only.
    const active = document.activeElement;
    if (!root.hidden && (root.contains(active) || !active || active === document.body)) input.focus();
  }

  document.addEventListener("chat:status", function (e) {
    const root = e.target.closest && e.target.closest("[data-chat]");
    const detail = e.detail || {};
    if (!root || !detail.conversationId || LIVE_STATES.indexOf(detail.status) < 0) return;
    if (asked.has(detail.conversationId)) return;
    asked.add(detail.conversationId);
    Calm.api("/api/chat/conversations/" + detail.conversationId + "/contact").then(function (res) {
      if (!res.ok) { asked.delete(detail.conversationId); return; }
      if (res.data.ask) ask(root, detail.conversationId);
      else if (!res.data.account) showNote(root, res.data.email);
    }).catch(function () { asked.delete(detail.conversationId); });
  });
})();
