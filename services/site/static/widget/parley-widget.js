// Parley comment widget. Embed with:
//   <div id="parley-comments" data-article="SLUG" data-api="https://comments.example"></div>
//   <script type="module" src="https://comments.example/static/widget/parley-widget.js"></script>
// Optional attributes: data-policy (the comment policy text), data-article-body (CSS selector of
// the article text, for inline feedback; its passages need ids), data-poll-seconds (default 5).
// Reader text is only ever set as text; comment HTML goes through sanitize.js.

import { Api } from "./api.js";
import { commentActions } from "./actions.js";
import { refreshTimes } from "./comment.js";
import { h } from "./dom.js";
import { commentForm } from "./form.js";
import { markPassages, watchSelections } from "./inline.js";
import * as store from "./store.js";
import { Thread } from "./thread.js";

const SORTS = [["most_voted", "Most Voted"], ["newest", "Newest"], ["oldest", "Oldest"]];
const PAGE = 10;
const DEFAULT_POLICY = "Be civil and stay on topic. We do not publish comments that promote discrimination, "
  + "prejudice, racism or xenophobia, nor personal attacks or profanity. Every submission is screened first.";

export class ParleyWidget {
  constructor(root, options = {}) {
    const d = root.dataset;
    this.root = root;
    this.article = options.article || d.article;
    this.api = new Api(options.api ?? d.api ?? "");
    this.policy = options.policy || d.policy || DEFAULT_POLICY;
    this.bodySelector = options.articleBody || d.articleBody || "[data-parley-article]";
    this.pollMs = 1000 * Number(options.pollSeconds || d.pollSeconds || 5);
    this.sort = "most_voted";
    this.cursor = null;
    this.etag = null;
    this.filterId = null;
    this.unavailable = false;
    this.thread = new Thread(commentActions(this));
  }

  start() {
    this.build();
    this.load();
    this.timer = setInterval(() => this.poll(), this.pollMs);
    setInterval(() => refreshTimes(this.thread.list), 60_000);
    watchSelections(() => document.querySelector(this.bodySelector), (anchor) => this.commentOn(anchor));
    document.addEventListener("parley:article-ready", () => this.markPassages());
    return this;
  }

  build() {
    this.form = commentForm({ profile: store.profile.get(), onSubscribe: () => this.subscribeOnly(this.form) });
    this.form.el.setAttribute("aria-label", "Leave a comment");
    this.form.el.addEventListener("submit", (e) => {
      e.preventDefault();
      this.submit(this.form, null);
    });
    this.heading = h("h2", { class: "parley-heading", id: "parley-heading", tabindex: "-1", text: "Comments" });
    this.inlineCount = h("span", { class: "parley-inline-count" });
    this.sortButtons = SORTS.map(([value, label]) => h("button", {
      type: "button", class: "parley-sort", "aria-pressed": String(value === this.sort), dataset: { sort: value },
      text: label, onclick: () => this.setSort(value),
    }));
    this.notice = h("div", { class: "parley-notice", role: "status", "aria-live": "polite" });
    this.error = h("div", { class: "parley-error", role: "alert", hidden: true });
    this.filterBar = h("div", { class: "parley-filter", hidden: true });
    this.more = h("button", { type: "button", class: "parley-button", text: "Load more comments", hidden: true,
      onclick: () => this.loadMore() });
    this.all = h("button", { type: "button", class: "parley-button parley-primary", text: "View all comments",
      hidden: true, onclick: () => this.viewAll() });
    this.body = h("div", { class: "parley-main" },
      h("div", { class: "parley-toolbar" }, h("p", { class: "parley-counts" }, this.inlineCount),
        h("div", { class: "parley-sorts", role: "group", "aria-label": "Sort comments" }, h("span", { text: "Sort by" }), this.sortButtons)),
      this.filterBar, this.thread.list, h("div", { class: "parley-more" }, this.more, this.all));
    this.root.classList.add("parley");
    this.root.replaceChildren(
      this.heading,
      h("div", { class: "parley-policy" }, h("p", { class: "parley-policy-title", text: "Comment policy" }), h("p", { text: this.policy })),
      this.form.el, this.notice, this.error, this.body);
  }

  // -- reading ------------------------------------------------------------------------------

  async load() {
    try {
      const r = await this.api.thread(this.article, this.sort, { limit: PAGE });
      this.thread.clear();
      this.apply(r, { replace: true });
      await this.loadOwn();
      this.setUnavailable(null);
    } catch (e) {
      this.setUnavailable(e);
    }
  }

  apply(r, { append = false } = {}) {
    if (r.status === 304) return [];
    const added = this.thread.merge(r.data.items, { append });
    this.etag = r.etag;
    this.cursor = r.data.next_cursor;
    this.total = r.data.total;
    this.refreshChrome();
    return added;
  }

  async poll() {
    if (document.hidden) return;
    if (this.unavailable) return this.load();
    try {
      const limit = Math.min(100, Math.max(PAGE, this.thread.topCount));
      const r = await this.api.thread(this.article, this.sort, { limit, etag: this.etag });
      for (const li of this.apply(r)) li.classList.add("parley-is-new");
      if (this.filterId) this.thread.filter(this.filterId);
    } catch {
      /* keep what is shown; the next poll tries again */
    }
  }

  async loadMore() {
    if (!this.cursor) return;
    try {
      const r = await this.api.thread(this.article, this.sort, { cursor: this.cursor, limit: PAGE });
      const etag = this.etag;
      this.apply(r, { append: true });
      this.etag = etag;  // the poll's page is now longer; let it fetch once
    } catch (e) {
      this.say(e.readerMessage, "error");
    }
  }

  async viewAll() {
    this.clearFilter();
    for (let i = 0; i < 50 && this.cursor; i += 1) await this.loadMore();
    this.heading.focus();
  }

  setSort(value) {
    this.sort = value;
    for (const b of this.sortButtons) b.setAttribute("aria-pressed", String(b.dataset.sort === value));
    this.etag = null;
    this.load();
  }

  refreshChrome() {
    const n = this.total ?? 0;
    this.heading.textContent = `${n} ${n === 1 ? "Comment" : "Comments"}`;
    const anchors = this.thread.anchors();
    const inline = [...anchors.values()].reduce((a, b) => a + b, 0);
    this.inlineCount.textContent = inline ? `${inline} inline ${inline === 1 ? "feedback" : "feedbacks"}` : "";
    this.more.hidden = !this.cursor;
    this.all.hidden = !this.cursor && !this.filterId;
    this.markPassages();
  }

  setUnavailable(error) {
    this.unavailable = Boolean(error);
    this.error.hidden = !error;
    this.body.hidden = Boolean(error);
    this.error.replaceChildren();
    if (!error) return;
    const retry = h("button", { type: "button", class: "parley-button", text: "Try again", onclick: () => this.load() });
    const text = error.status === 404 ? "There is no discussion for this article." : error.readerMessage;
    this.error.append(h("p", { text }), error.status === 404 ? null : retry);
  }

  // -- the reader's own comments --------------------------------------------------------------

  async loadOwn() {
    for (const entry of store.own.forArticle(this.article)) {
      try {
        const c = (await this.api.own(entry.id, entry.token)).data;
        if (c.status === "pending" || c.status === "approved") {
          if (c.status === "pending" || this.thread.items.has(c.id)) this.refreshOwn(this.thread.placeOwn(c), c);
          if (c.status === "approved" && Date.parse(entry.editable_until) < Date.now()) store.own.remove(c.id);
        } else {
          store.own.remove(c.id);
          if (c.status === "rejected" || c.status === "spam") {
            this.say("One of your comments was not published because it does not meet the comment policy.");
          }
        }
      } catch (e) {
        if (e.status === 403 || e.status === 404) store.own.remove(entry.id);
      }
    }
  }

  refreshOwn(item, c) {
    this.thread.ensure({ ...c, replies: [] }, item.parentElement, item.previousElementSibling, []);
  }

  async submit(form, parentId) {
    form.clearErrors();
    form.setStatus("");
    if (!form.precheck()) return false;
    const v = form.values();
    form.busy(true);
    let r;
    try {
      r = await this.api.post({ article: this.article, parent_id: parentId, author_name: v.author_name,
        author_email: v.author_email, body: v.body, anchor: form.anchor });
    } catch (e) {
      form.busy(false);
      if (e.status === 422) form.setErrors(e.details);
      form.setStatus(e.readerMessage, "error");
      return false;
    }
    form.busy(false);
    const created = r.data;
    store.profile.set(v.author_name, v.author_email);
    store.own.add({ id: created.id, token: created.edit_token, article: this.article,
      editable_until: created.editable_until });
    const item = this.thread.placeOwn({ ...created.comment, status: created.status });
    let message = created.status === "pending"
      ? "Thank you! Your comment is awaiting moderation. You can see it here, marked as pending, until it is published."
      : "Thank you! Your comment is published.";
    if (v.notify) message += ` ${(await this.subscribe(v.author_email, v.notify, created.id)).message}`;
    form.reset();
    this.refreshChrome();
    this.say(message);
    item.parley.article.setAttribute("tabindex", "-1");
    item.parley.article.focus();
    return true;
  }

  /** The "Notify of" choice on its own, for a reader who wants the emails but has nothing to say. */
  async subscribeOnly(form) {
    form.clearErrors();
    form.setStatus("");
    const v = form.values();
    if (!v.notify) {
      form.setStatus('Choose what to be notified of under "Notify of" first.', "error");
      form.notify.control.focus();
      return false;
    }
    if (v.notify === "replies") {
      form.setStatus("Replies come to your comments: post one, or choose new follow-up comments.", "error");
      form.notify.control.focus();
      return false;
    }
    if (!v.author_email || !form.fields.email.control.checkValidity()) {
      form.setErrors({ author_email: [v.author_email ? "This does not look like an email address."
        : "Please give the email address to notify."] });
      return false;
    }
    form.busy(true);
    const { ok, message } = await this.subscribe(v.author_email, v.notify, null);
    form.busy(false);
    form.setStatus(message, ok ? "info" : "error");
    return ok;
  }

  async subscribe(email, kind, commentId) {
    try {
      await this.api.subscribe(email, kind, this.article, kind === "replies" ? commentId : null);
      const what = kind === "replies" ? "replies to your comment" : "new comments on this article";
      return { ok: true, message: `To get emails about ${what}, check your inbox to confirm your subscription.` };
    } catch (e) {
      return { ok: false, message: `We could not set up your email notification: ${e.readerMessage}` };
    }
  }

  removed(id) {
    this.thread.drop(id);
    this.say("Your comment was deleted.");
    this.heading.focus();
    this.etag = null;
  }

  say(text, kind = "info") {
    this.notice.replaceChildren(h("p", { dataset: { kind }, text }));
  }

  // -- inline feedback ------------------------------------------------------------------------

  commentOn(anchor) {
    this.form.setAnchor(anchor);
    this.form.el.scrollIntoView({ block: "center" });
    this.form.fields.body.control.focus({ preventScroll: true });
  }

  markPassages() {
    markPassages(document.querySelector(this.bodySelector), this.thread.anchors(), (id) => this.showPassage(id));
  }

  showPassage(paragraphId) {
    const container = document.querySelector(this.bodySelector);
    const target = container && container.querySelector(`#${CSS.escape(paragraphId)}`);
    const fromThread = document.activeElement && this.root.contains(document.activeElement);
    if (fromThread && target) {  // a quote in the thread: go to the passage in the article
      target.classList.add("parley-highlight");
      setTimeout(() => target.classList.remove("parley-highlight"), 2500);
      target.setAttribute("tabindex", "-1");
      target.scrollIntoView({ block: "center" });
      target.focus({ preventScroll: true });
      return;
    }
    this.filterId = paragraphId;
    const shown = this.thread.filter(paragraphId);
    const back = h("button", { type: "button", class: "parley-link", text: "View all comments", onclick: () => this.clearFilter() });
    this.filterBar.replaceChildren(h("p", { tabindex: "-1" },
      `Showing ${shown} ${shown === 1 ? "discussion" : "discussions"} about one passage of the article. `, back));
    this.filterBar.hidden = false;
    this.refreshChrome();
    this.filterBar.scrollIntoView({ block: "start" });
    this.filterBar.firstElementChild.focus({ preventScroll: true });
  }

  clearFilter() {
    this.filterId = null;
    this.thread.filter(null);
    this.filterBar.hidden = true;
    this.refreshChrome();
  }
}

/** Mount on `element` (or every `#parley-comments` / `[data-parley]` element on the page). */
export function mount(element, options) {
  return new ParleyWidget(element, options).start();
}

for (const el of document.querySelectorAll("#parley-comments, [data-parley]")) {
  if (!el.dataset.parleyMounted && el.dataset.article) {
    el.dataset.parleyMounted = "true";
    mount(el);
  }
}
