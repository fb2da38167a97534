// The rendered thread: comments keyed by id, so a poll or "load more" adds what is new and
// refreshes what changed without disturbing a form the reader is typing in.

import { h } from "./dom.js";
import { refreshToggle, renderComment, updateComment } from "./comment.js";

export class Thread {
  constructor(ctx) {
    this.ctx = ctx;
    this.list = h("ol", { class: "parley-thread" });
    this.items = new Map();
  }

  clear() {
    this.list.replaceChildren();
    this.items.clear();
  }

  /** Merge a page of top-level comments (each with its replies) in the order given. */
  merge(page, { append = false } = {}) {
    let prev = append ? this.list.lastElementChild : null;
    const added = [];
    for (const c of page) {
      const li = this.ensure(c, this.list, prev, added);
      prev = li;
    }
    return added;
  }

  ensure(c, list, prev, added) {
    let li = this.items.get(c.id);
    if (li) {
      updateComment(li, c, this.ctx);
    } else {
      li = renderComment(c, this.ctx);
      this.items.set(c.id, li);
      if (prev) prev.after(li);
      else list.prepend(li);
      added.push(li);
    }
    for (const r of c.replies || []) this.ensure(r, li.parley.replies, li.parley.replies.lastElementChild, added);
    refreshToggle(li);
    return li;
  }

  /** A comment of the reader's own (pending or just published) under its parent, or on top. */
  placeOwn(c) {
    const parent = c.parent_id ? this.items.get(c.parent_id) : null;
    const added = [];
    const li = this.ensure({ ...c, replies: [] }, parent ? parent.parley.replies : this.list,
      parent ? parent.parley.replies.lastElementChild : null, added);
    if (parent) {
      parent.parley.replies.hidden = false;
      parent.parley.toggle.setAttribute("aria-expanded", "true");
      refreshToggle(parent);
    }
    return li;
  }

  drop(id) {
    const li = this.items.get(id);
    if (!li) return;
    const parentItem = li.parentElement && li.parentElement.closest(".parley-item");
    for (const inner of li.querySelectorAll(".parley-item")) this.items.delete(Number(inner.dataset.id));
    this.items.delete(id);
    li.remove();
    if (parentItem) refreshToggle(parentItem);
  }

  get topCount() {
    return this.list.children.length;
  }

  /** Paragraph id -> number of comments anchored to it. */
  anchors() {
    const counts = new Map();
    for (const li of this.items.values()) {
      const p = li.dataset.paragraph;
      if (p && !li.classList.contains("parley-is-pending")) counts.set(p, (counts.get(p) || 0) + 1);
    }
    return counts;
  }

  /** Show only the threads holding a comment on `paragraphId` (all when null). */
  filter(paragraphId) {
    let shown = 0;
    for (const li of this.list.children) {
      const match = !paragraphId || li.dataset.paragraph === paragraphId
        || li.querySelector(`.parley-item[data-paragraph="${CSS.escape(paragraphId)}"]`) !== null;
      li.hidden = !match;
      shown += match ? 1 : 0;
    }
    return shown;
  }
}
