// Calmline attachments: the paperclip in the chat widget and the agent console, previews and
// file links in their messages, and the file names chosen on the ticket pages' attach forms.
// chat.js and agent.js call CalmAttachments.render(element, message) for each message, and
// listen for "calm:attached" on their root to show what was just sent. Plain JS, no CDN.
(function () {
  "use strict";
  const el = Calm.el;
  const ID = /^[0-9a-f]{32}$/;
  const ACCEPT = "image/jpeg,image/png,image/webp,image/gif,application/pdf";

  function paperclip() {  // drawn by CSS (attachments.css): the pages hold no <svg> or icon <img>
    const icon = el("span", "paperclip");
    icon.setAttribute("aria-hidden", "true");
    return icon;
  }

  // A message's files: previews for images, download links for PDFs. Ids only from the server's
  // own 32-hex form, so a message can never point a link anywhere else.
  function list(items) {
    const ul = el("ul", "attachments");
    (items || []).forEach(function (a) {
      if (!a || !ID.test(a.id)) return;
      const image = a.kind === "image";
      const li = el("li", "attachment attachment-" + (image ? "image" : "pdf"));
      const link = el("a", image ? null : "attachment-file");
      link.href = "/attachments/" + a.id;
      if (image) {
        link.target = "_blank";
        link.rel = "noopener";
        const img = el("img", "attachment-thumb");
        img.src = "/attachments/" + a.id + "/preview";
        img.alt = a.name || "Photo";
        img.loading = "lazy";
        link.appendChild(img);
      } else {
        link.textContent = (a.name || "document.pdf") + " (PDF, " + Math.max(1, Math.ceil((a.size || 0) / 1024)) + " KB)";
        link.setAttribute("download", "");
      }
      li.appendChild(link);
      ul.appendChild(li);
    });
    return ul.children.length ? ul : null;
  }

  function render(container, message) {
    const ul = message && list(message.attachments);
    if (ul) container.appendChild(ul);
  }

  // A paperclip button and its hidden file input, placed before `before` in `form`.
  function attachControl(form, before, label, onFiles) {
    const button = el("button", "attach-button");
    button.type = "button";
    button.setAttribute("aria-label", label);
    button.title = label;
    button.setAttribute("data-attach", "");
    button.appendChild(paperclip());
    const input = el("input", "attach-input");
    input.type = "file";
    input.accept = ACCEPT;
    input.multiple = true;
    input.tabIndex = -1;
    input.setAttribute("aria-hidden", "true");
    button.addEventListener("click", function () { input.click(); });
    input.addEventListener("change", function () {
      const files = Array.prototype.slice.call(input.files || []);
      input.value = "";
      if (files.length) onFiles(files, button);
    });
    form.insertBefore(button, before);
    form.appendChild(input);
    return button;
  }

  function upload(url, files, fields) {
    const body = new FormData();
    files.forEach(function (f) { body.append("file", f, f.name); });
    Object.keys(fields).forEach(function (k) { if (fields[k]) body.append(k, fields[k]); });
    return fetch(url, { method: "POST", body: body, credentials: "same-origin",
                        headers: { "Accept": "application/json", "X-CSRFToken": Calm.csrf } })
      .then(function (r) {
        return r.json().catch(function () { return {}; }).then(function (data) { return { ok: r.ok, status: r.status, data: data }; });
      });
  }

  function tooBig(res) {
    return res.status === 413 ? "That file is too large." : "The file was not sent.";
  }

  // ---- the customer's chat (widget and /chat) ----------------------------------------------
  function setupChat() {
    const root = document.querySelector("[data-chat]");
    if (!root) return;
    const form = root.querySelector(".chat-form");
    const status = root.querySelector(".chat-status");
    attachControl(form, form.querySelector("button[type=submit]"), "Attach a photo or PDF", function (files, button) {
      button.disabled = true;
      status.textContent = "Sending " + files.map(function (f) { return f.name; }).join(", ") + "…";
      upload("/api/chat/attachments", files, {
        conversation_id: window.localStorage.getItem("calmline.conversation") || "",
        page: window.location.pathname,
      }).then(function (res) {
        if (!res.ok) { status.textContent = Calm.errorText(res, tooBig(res)); return; }
        status.textContent = "";
        root.dispatchEvent(new CustomEvent("calm:attached", { detail: res.data }));
      }).catch(function () {
        status.textContent = "You seem to be offline. The file was not sent.";
      }).finally(function () { button.disabled = false; });
    });
  }

  // ---- the agent console -------------------------------------------------------------------
  let consoleButton = null;
  let shown = null;

  function ticketShown(root, detail, canReply) {
    shown = detail;
    const composer = root.querySelector("[data-composer]");
    if (!consoleButton && composer) {
      consoleButton = attachControl(composer, composer.querySelector("button[type=submit]"),
                                    "Attach a photo or PDF for the customer", function (files, button) {
        const number = shown && shown.ticket;
        if (!number) return;
        const error = root.querySelector("[data-error]");
        button.disabled = true;
        upload("/api/agent/tickets/" + encodeURIComponent(number) + "/attachments", files, {
          client_id: Calm.clientId(),
        }).then(function (res) {
          if (!res.ok) { error.textContent = Calm.errorText(res, tooBig(res)); error.hidden = false; return; }
          error.hidden = true;
          root.dispatchEvent(new CustomEvent("calm:attached", { detail: { ticket: number, message: res.data } }));
        }).catch(function () {
          error.textContent = "You seem to be offline. The file was not sent.";
          error.hidden = false;
        }).finally(function () { button.disabled = !(shown && shown.mine); });
      });
    }
    if (consoleButton) consoleButton.disabled = !canReply;
    // The briefing lists every file the customer (or a colleague) sent, however long ago.
    const briefing = root.querySelector("[data-briefing]");
    const sent = [];
    (detail.messages || []).forEach(function (m) { (m.attachments || []).forEach(function (a) { sent.push(a); }); });
    const files = list(sent);
    if (briefing && files) {
      briefing.appendChild(el("dt", null, "Attachments"));
      const dd = el("dd");
      dd.appendChild(files);
      briefing.appendChild(dd);
    }
  }

  // ---- the ticket pages' attach forms (work without this script; it names what was chosen) --
  function setupForms() {
    document.querySelectorAll("[data-attach-form]").forEach(function (form) {
      const input = form.querySelector("input[type=file]");
      const chosen = form.querySelector("[data-attach-chosen]");
      input.addEventListener("change", function () {
        chosen.textContent = Array.prototype.map.call(input.files || [], function (f) { return f.name; }).join(", ");
      });
    });
  }

  window.CalmAttachments = { render: render, ticketShown: ticketShown };
  setupChat();
  setupForms();
})();
