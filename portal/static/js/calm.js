// Calmline's shared browser helpers: safe element building and JSON calls with CSRF.
// The widget (chat.js) and the agent console (agent.js) both use them.
(function () {
  "use strict";
  const meta = document.querySelector('meta[name="csrf-token"]');
  const csrf = meta ? meta.content : "";

  // An element whose content is always text, never HTML.
  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null && text !== "") node.textContent = String(text);
    return node;
  }

  // GET without a body, POST with one. Resolves to {ok, status, data}; rejects only when
  // the network failed (no answer at all).
  function api(url, body) {
    return fetch(url, {
      method: body === undefined ? "GET" : "POST",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrf },
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (data) {
        return { ok: r.ok, status: r.status, data: data };
      });
    });
  }

  // A fresh id for one message, so that a retried POST is stored once (the server
  // answers a repeat with the message it already has).
  function clientId() {
    if (window.crypto && window.crypto.randomUUID) return window.crypto.randomUUID();
    return Date.now().toString(36) + "-" + Math.random().toString(36).slice(2, 12);
  }

  // POST a message with a client_id; when the network drops, try again with the same id
  // (after 0.5 s, then 1.5 s) before giving up.
  function sendMessage(url, body, delays) {
    body.client_id = body.client_id || clientId();
    delays = delays === undefined ? [500, 1500] : delays;
    return api(url, body).catch(function (err) {
      if (!delays.length) throw err;
      return new Promise(function (resolve) { setTimeout(resolve, delays[0]); }).then(function () {
        return sendMessage(url, body, delays.slice(1));
      });
    });
  }

  // A link that stays on this site: "/" and then neither "/" nor a backslash ("//host" and
  // "/\host" are other sites), and no backslash, whitespace or control character anywhere
  // (browsers turn a backslash into "/" and drop tabs and newlines). As portal/inputs.py.
  const LOCAL_PATH = /^\/(?![\/\\])[^\\\s\x00-\x1f\x7f]*$/;
  function localPath(url) {
    return typeof url === "string" && LOCAL_PATH.test(url);
  }

  function errorText(res, fallback) {
    return (res.data && res.data.error && res.data.error.message) || fallback;
  }

  window.Calm = { csrf: csrf, el: el, api: api, clientId: clientId, sendMessage: sendMessage, errorText: errorText,
                  localPath: localPath };
})();
