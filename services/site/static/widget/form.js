// The comment form (new comment, reply, or inline feedback on a passage), with field errors
// shown next to their field and a status line read out by screen readers.

import { h, uid } from "./dom.js";

const FIELD_OF = { author_name: "name", author_email: "email", body: "body", email: "email", anchor: "body" };

function field(label, control, hint) {
  const id = control.id || (control.id = uid("parley-field"));
  const error = h("p", { class: "parley-field-error", id: `${id}-error`, hidden: true });
  const hintEl = hint ? h("p", { class: "parley-hint", id: `${id}-hint`, text: hint }) : null;
  if (hintEl) control.setAttribute("aria-describedby", hintEl.id);
  const wrap = h("div", { class: "parley-field" }, h("label", { for: id, text: label }), control, hintEl, error);
  return { wrap, control, error, hint: hintEl };
}

export function commentForm({ reply = false, withNotify = true, profile = {}, onCancel, onSubscribe } = {}) {
  const body = field(reply ? "Your reply" : "Your comment", h("textarea", {
    name: "body", rows: reply ? 3 : 4, maxlength: 5000, required: true,
    placeholder: reply ? "Write a reply…" : "Join the discussion…",
  }));
  const name = field("Name", h("input", { name: "author_name", autocomplete: "name", maxlength: 60, required: true }));
  name.control.value = profile.name || "";
  const email = field("Email", h("input", {
    name: "author_email", type: "email", autocomplete: "email", maxlength: 320, required: true,
  }), "Never shown publicly.");
  email.control.value = profile.email || "";
  const fields = { body, name, email };

  let notify = null;
  if (withNotify) {
    notify = field("Notify of", h("select", { name: "notify" },
      h("option", { value: "", text: "nothing" }),
      h("option", { value: "article", text: "new follow-up comments" }),
      h("option", { value: "replies", text: "new replies to my comments" })));
  }
  const anchorBox = h("div", { class: "parley-anchor-draft", hidden: true });
  const status = h("p", { class: "parley-status", role: "status", "aria-live": "polite" });
  const submit = h("button", { type: "submit", class: "parley-button parley-primary", text: reply ? "Post reply" : "Post comment" });
  const cancel = onCancel ? h("button", { type: "button", class: "parley-button", text: "Cancel", onclick: onCancel }) : null;
  // "Notify of" without posting: only the email field and the choice are needed
  const subscribeOnly = notify && onSubscribe
    ? h("button", { type: "button", class: "parley-button", text: "Subscribe without commenting", onclick: onSubscribe })
    : null;
  const el = h("form", { class: `parley-form${reply ? " parley-reply-form" : ""}`, novalidate: true },
    anchorBox, body.wrap, h("div", { class: "parley-row" }, name.wrap, email.wrap),
    notify && notify.wrap, h("div", { class: "parley-actions" }, submit, subscribeOnly, cancel), status);

  let anchor = null;
  const api = {
    el, status, fields, notify,
    get anchor() { return anchor; },
    setAnchor(value) {
      anchor = value;
      anchorBox.replaceChildren();
      anchorBox.hidden = !value;
      if (!value) return;
      anchorBox.append(
        h("p", { class: "parley-anchor-label", text: "Commenting on this passage:" }),
        h("blockquote", { class: "parley-quote", text: value.quote }),
        h("button", { type: "button", class: "parley-link", text: "Comment on the whole article instead",
          onclick: () => { api.setAnchor(null); body.control.focus(); } }));
    },
    values() {
      return {
        author_name: name.control.value.trim(), author_email: email.control.value.trim(),
        body: body.control.value.trim(), notify: notify ? notify.control.value : "",
      };
    },
    /** Check what the browser can check; true if the form may be sent. */
    precheck() {
      const v = api.values();
      const details = {};
      if (!v.body) details.body = ["Please write something first."];
      if (!v.author_name) details.author_name = ["Please give a name to show with your comment."];
      if (!v.author_email) details.author_email = ["Please give your email address (it is never shown)."];
      else if (!email.control.checkValidity()) details.author_email = ["This does not look like an email address."];
      if (Object.keys(details).length) api.setErrors(details);
      return !Object.keys(details).length;
    },
    setErrors(details) {
      api.clearErrors();
      let first = null;
      for (const [key, messages] of Object.entries(details || {})) {
        const f = fields[FIELD_OF[key]];
        const text = flatten(messages).join(" ");
        if (!f) {
          status.textContent = text;
          continue;
        }
        f.error.textContent = text;
        f.error.hidden = false;
        f.control.setAttribute("aria-invalid", "true");
        f.control.setAttribute("aria-describedby", [f.hint && f.hint.id, f.error.id].filter(Boolean).join(" "));
        first ||= f.control;
      }
      if (first) first.focus();
    },
    clearErrors() {
      for (const f of Object.values(fields)) {
        f.error.hidden = true;
        f.error.textContent = "";
        f.control.removeAttribute("aria-invalid");
        if (f.hint) f.control.setAttribute("aria-describedby", f.hint.id);
        else f.control.removeAttribute("aria-describedby");
      }
    },
    setStatus(text, kind = "info") {
      status.textContent = text;
      status.dataset.kind = kind;
    },
    busy(on) {
      submit.disabled = on;
      if (subscribeOnly) subscribeOnly.disabled = on;
      el.setAttribute("aria-busy", on ? "true" : "false");
    },
    reset() {
      body.control.value = "";
      if (notify) notify.control.value = "";
      api.setAnchor(null);
      api.clearErrors();
    },
  };
  return api;
}

function flatten(messages) {
  if (Array.isArray(messages)) return messages.flatMap(flatten);
  if (messages && typeof messages === "object") return Object.values(messages).flatMap(flatten);
  return [String(messages)];
}
