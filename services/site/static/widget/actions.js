// What a reader can do to one comment: reply, vote, report, and edit or delete their own.
// Each action opens (at most) one small form in the comment's slot.

import { h } from "./dom.js";
import { commentForm } from "./form.js";
import { setVotes } from "./comment.js";
import * as store from "./store.js";

const REASONS = [
  ["spam", "Spam or advertising"], ["harassment", "Harassment or personal attack"], ["hate", "Hate speech"],
  ["threat", "Threat of violence"], ["off_topic", "Off topic"], ["misinformation", "False information"],
  ["other", "Something else"],
];

function openSlot(item, content, focus) {
  item.parley.slot.replaceChildren(content);
  if (focus) focus.focus();
}

function closeSlot(item, returnFocus) {
  item.parley.slot.replaceChildren();
  if (returnFocus) returnFocus.focus();
}

function note(item, text, kind = "info") {
  const p = h("p", { class: "parley-status", role: "status", dataset: { kind }, text });
  item.parley.slot.replaceChildren(p);
  return p;
}

export function commentActions(widget) {
  const { api } = widget;
  return {
    isOwn: (id) => Boolean(store.own.get(id)),
    myVote: (id) => store.votes.get(id),
    canChange(id) {
      const entry = store.own.get(id);
      return Boolean(entry && entry.article === widget.article && Date.parse(entry.editable_until) > Date.now());
    },
    showPassage: (paragraphId) => widget.showPassage(paragraphId),

    reply(c, item) {
      const form = commentForm({ reply: true, profile: store.profile.get(), onCancel: () => closeSlot(item) });
      form.el.addEventListener("submit", (e) => {
        e.preventDefault();
        widget.submit(form, c.id).then((ok) => ok && closeSlot(item));
      });
      openSlot(item, form.el, form.fields.body.control);
    },

    async vote(c, value, group) {
      const mine = store.votes.get(c.id);
      const next = mine === value ? 0 : value;
      try {
        const r = await api.vote(c.id, store.voterId(), next);
        store.votes.set(c.id, next);
        setVotes(group, r.data, next);
      } catch (e) {
        note(group.closest(".parley-item"), e.readerMessage, "error");
      }
    },

    report(c, item) {
      const select = h("select", { name: "reason", id: `parley-reason-${c.id}` },
        REASONS.map(([value, label]) => h("option", { value, text: label })));
      const text = h("textarea", { name: "note", id: `parley-note-${c.id}`, rows: 2, maxlength: 500 });
      const form = h("form", { class: "parley-form parley-report-form", "aria-label": "Report this comment" },
        h("div", { class: "parley-field" }, h("label", { for: select.id, text: "Why are you reporting this comment?" }), select),
        h("div", { class: "parley-field" }, h("label", { for: text.id, text: "Anything to add? (optional)" }), text),
        h("div", { class: "parley-actions" },
          h("button", { type: "submit", class: "parley-button parley-primary", text: "Send report" }),
          h("button", { type: "button", class: "parley-button", text: "Cancel", onclick: () => closeSlot(item) })));
      form.addEventListener("submit", async (e) => {
        e.preventDefault();
        try {
          await api.flag(c.id, select.value, text.value.trim());
          note(item, "Thank you for the report. A moderator will take a look.");
        } catch (err) {
          note(item, err.readerMessage, "error");
        }
      });
      openSlot(item, form, select);
    },

    async edit(c, item) {
      const entry = store.own.get(c.id);
      let current;
      try {
        current = (await api.own(c.id, entry.token)).data;
      } catch (e) {
        note(item, e.readerMessage, "error");
        return;
      }
      const area = h("textarea", { id: `parley-edit-${c.id}`, rows: 4, maxlength: 5000 });
      area.value = current.body_md || "";
      const error = h("p", { class: "parley-field-error", id: `${area.id}-error`, hidden: true });
      const form = h("form", { class: "parley-form parley-edit-form" },
        h("div", { class: "parley-field" }, h("label", { for: area.id, text: "Edit your comment" }), area, error),
        h("div", { class: "parley-actions" },
          h("button", { type: "submit", class: "parley-button parley-primary", text: "Save" }),
          h("button", { type: "button", class: "parley-button", text: "Cancel", onclick: () => closeSlot(item) })));
      form.addEventListener("submit", async (e) => {
        e.preventDefault();
        try {
          const r = await api.edit(c.id, entry.token, area.value.trim());
          widget.refreshOwn(item, r.data);
          note(item, r.data.status === "pending" ? "Saved. Your edit is awaiting moderation." : "Saved.");
        } catch (err) {
          const messages = err.details && err.details.body;
          error.textContent = messages ? [].concat(messages).join(" ") : err.readerMessage;
          error.hidden = false;
          area.setAttribute("aria-invalid", "true");
          area.setAttribute("aria-describedby", error.id);
          area.focus();
        }
      });
      openSlot(item, form, area);
    },

    remove(c, item) {
      const yes = h("button", { type: "button", class: "parley-button parley-danger", text: "Yes, delete it" });
      const box = h("div", { class: "parley-confirm", role: "group", "aria-label": "Delete your comment" },
        h("p", { text: "Delete this comment? This cannot be undone." }), yes,
        h("button", { type: "button", class: "parley-button", text: "Keep it", onclick: () => closeSlot(item) }));
      yes.addEventListener("click", async () => {
        try {
          await api.remove(c.id, store.own.get(c.id).token);
          store.own.remove(c.id);
          widget.removed(c.id);
        } catch (err) {
          note(item, err.readerMessage, "error");
        }
      });
      openSlot(item, box, yes);
    },
  };
}
