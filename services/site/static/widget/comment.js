// One comment of the thread: author, relative time, optional passage quote, body, votes,
// actions, and the list of its replies (collapsible).

import { h } from "./dom.js";
import { sanitizedFragment } from "./sanitize.js";
import { exactTime, timeAgo } from "./time.js";

const PLACEHOLDERS = new Set(["removed", "deleted"]);

export function renderComment(c, ctx) {
  const authorId = `parley-author-${c.id}`;
  const placeholder = PLACEHOLDERS.has(c.status);
  const name = placeholder ? `[${c.status}]` : c.author_name || "Anonymous";
  const time = h("time", { datetime: c.created_at, title: exactTime(c.created_at), class: "parley-time",
    text: timeAgo(c.created_at) });
  const header = h("header", { class: "parley-meta" },
    h("span", { class: "parley-avatar", "aria-hidden": "true", text: (name.trim()[0] || "?").toUpperCase() }),
    h("span", { class: "parley-author", id: authorId, text: name }), time,
    c.edited_at ? h("span", { class: "parley-edited", title: exactTime(c.edited_at), text: "edited" }) : null,
    h("span", { class: "parley-badge parley-pending-badge", text: "Awaiting moderation" }));
  const quote = c.anchor ? h("button", {
    type: "button", class: "parley-quote parley-quote-link", title: "Show this passage in the article",
    onclick: () => ctx.showPassage(c.anchor.paragraph_id),
  }, h("span", { class: "parley-visually-hidden", text: "On the passage: " }), c.anchor.quote) : null;
  const body = h("div", { class: "parley-body" });
  body.append(sanitizedFragment(c.body_html));
  const slot = h("div", { class: "parley-slot" });
  const repliesId = `parley-replies-${c.id}`;
  const replies = h("ol", { class: "parley-replies", id: repliesId });
  const toggle = h("button", { type: "button", class: "parley-link parley-toggle", "aria-controls": repliesId,
    "aria-expanded": "true", hidden: true, onclick: () => setCollapsed(item, toggle.getAttribute("aria-expanded") === "true") });

  const actions = h("div", { class: "parley-actions-row" });
  if (!placeholder) {
    actions.append(voteGroup(c, ctx),
      h("button", { type: "button", class: "parley-link", text: "Reply", "aria-describedby": authorId,
        onclick: () => ctx.reply(c, item) }),
      h("button", { type: "button", class: "parley-link", text: "Report", "aria-describedby": authorId,
        onclick: () => ctx.report(c, item) }));
  }
  const ownActions = h("span", { class: "parley-own-actions" });
  actions.append(ownActions, toggle);

  const article = h("article", { class: "parley-comment", id: `parley-comment-${c.id}`, "aria-labelledby": authorId },
    header, quote, body, actions, slot);
  const item = h("li", { class: "parley-item", dataset: { id: String(c.id) } }, article, replies);
  item.parley = { body, slot, replies, toggle, ownActions, article };
  updateComment(item, c, ctx);
  return item;
}

/** Refresh what can change on a comment already on the page. */
export function updateComment(item, c, ctx) {
  const { body, ownActions } = item.parley;
  const pending = c.status === "pending";
  item.classList.toggle("parley-is-pending", pending);
  item.classList.toggle("parley-is-own", ctx.isOwn(c.id));
  if (c.body_html !== undefined && c.body_html !== item.dataset.html) {
    item.dataset.html = c.body_html;
    body.replaceChildren(sanitizedFragment(c.body_html));
  }
  if (c.anchor) item.dataset.paragraph = c.anchor.paragraph_id;
  const votes = item.querySelector(":scope > article .parley-votes");
  if (votes && c.upvotes !== undefined) setVotes(votes, c, ctx.myVote(c.id));
  ownActions.replaceChildren();
  if (ctx.canChange(c.id)) {
    ownActions.append(
      h("button", { type: "button", class: "parley-link", text: "Edit", onclick: () => ctx.edit(c, item) }),
      h("button", { type: "button", class: "parley-link parley-danger", text: "Delete", onclick: () => ctx.remove(c, item) }));
  }
}

function voteGroup(c, ctx) {
  const group = h("span", { class: "parley-votes", role: "group", "aria-label": "Votes" });
  const up = h("button", { type: "button", class: "parley-vote parley-vote-up", onclick: () => ctx.vote(c, 1, group) },
    h("span", { "aria-hidden": "true", text: "▲" }), h("span", { class: "parley-visually-hidden", text: "Vote up" }), " ",
    h("span", { class: "parley-count" }));
  const down = h("button", { type: "button", class: "parley-vote parley-vote-down", onclick: () => ctx.vote(c, -1, group) },
    h("span", { "aria-hidden": "true", text: "▼" }), h("span", { class: "parley-visually-hidden", text: "Vote down" }), " ",
    h("span", { class: "parley-count" }));
  group.append(up, down);
  return group;
}

export function setVotes(group, counts, mine) {
  const [up, down] = group.querySelectorAll("button");
  up.querySelector(".parley-count").textContent = String(counts.upvotes);
  down.querySelector(".parley-count").textContent = String(counts.downvotes);
  up.setAttribute("aria-pressed", String(mine === 1));
  down.setAttribute("aria-pressed", String(mine === -1));
}

/** Show the replies toggle when a comment has replies, with their number. */
export function refreshToggle(item) {
  const { toggle, replies } = item.parley;
  const n = replies.querySelectorAll(".parley-item").length;
  toggle.hidden = n === 0;
  const collapsed = toggle.getAttribute("aria-expanded") === "false";
  toggle.textContent = `${collapsed ? "Show" : "Hide"} ${n} ${n === 1 ? "reply" : "replies"}`;
}

function setCollapsed(item, collapsed) {
  item.parley.toggle.setAttribute("aria-expanded", String(!collapsed));
  item.parley.replies.hidden = collapsed;
  refreshToggle(item);
}

export function refreshTimes(root) {
  for (const t of root.querySelectorAll("time.parley-time")) t.textContent = timeAgo(t.getAttribute("datetime"));
}
