// The moderator console: the held queue oldest first, one key per decision, bulk actions
// and the decision log. The token lives in sessionStorage (this tab only).

import { h } from "../widget/dom.js";
import { exactTime, timeAgo } from "../widget/time.js";

const KEY = "parley:moderator-token";
const DECISIONS = { a: "approve", r: "reject", s: "spam" };
const LABELS = { approve: "Approve", reject: "Reject", spam: "Spam" };
const DONE = { approve: "approved", reject: "rejected", spam: "marked as spam" };
const $ = (id) => document.getElementById(id);

let token = sessionStorage.getItem(KEY);

async function call(method, path, body) {
  const resp = await fetch(path, {
    method, headers: { Authorization: `Bearer ${token}`, Accept: "application/json",
      ...(body ? { "Content-Type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const data = await resp.json().catch(() => ({}));
  if (resp.status === 401 || resp.status === 403) {
    signOut("That token was not accepted. Check it and sign in again.");
    throw new Error("unauthorized");
  }
  if (!resp.ok) throw new Error((data.error && data.error.message) || `The server answered ${resp.status}.`);
  return data;
}

function say(text) {
  $("console-status").textContent = text;
}

function signOut(message = "") {
  token = null;
  sessionStorage.removeItem(KEY);
  $("console").hidden = true;
  $("login").hidden = false;
  $("login-error").textContent = message;
  $("token").focus();
}

/** body_md with the screening spans (code-point offsets) wrapped in <mark>. */
export function highlighted(text, reasons) {
  const chars = Array.from(text || "");
  const spans = reasons.flatMap((r) => (r.spans || []).map((s) => ({ ...s, why: r.message || r.check })))
    .filter((s) => s.end > s.start).sort((x, y) => x.start - y.start);
  const out = h("p", { class: "comment-text" });
  let at = 0;
  for (const s of spans) {
    const start = Math.max(s.start, at);
    if (start >= s.end) continue;
    out.append(chars.slice(at, start).join(""), h("mark", { title: s.why, text: chars.slice(start, s.end).join("") }));
    at = s.end;
  }
  out.append(chars.slice(at).join(""));
  return out;
}

function history(hist) {
  const parts = Object.entries(hist || {}).filter(([, n]) => n).map(([k, n]) => `${n} ${k}`);
  return parts.length ? parts.join(", ") : "first comment";
}

function renderItem(c) {
  const box = h("input", { type: "checkbox", id: `select-${c.id}`, class: "select", dataset: { id: String(c.id) } });
  const buttons = Object.entries(LABELS).map(([decision, label]) => h("button", {
    type: "button", class: `decide decide-${decision}`, dataset: { decision },
    "aria-describedby": `title-${c.id}`, text: label, onclick: () => decide([c.id], decision),
  }));
  const reasons = (c.reasons || []).map((r) => h("li", {},
    h("strong", { text: r.category || r.check }), `: ${r.message || ""}`,
    r.score !== undefined && r.score !== null ? h("span", { class: "score", text: ` (${Number(r.score).toFixed(2)})` }) : null));
  const scores = Object.entries(c.scores || {}).map(([k, v]) => `${k} ${Number(v).toFixed(2)}`).join(" · ");
  return h("li", { class: "queue-item", tabindex: "-1", dataset: { id: String(c.id) }, "aria-labelledby": `title-${c.id}` },
    h("div", { class: "item-head" },
      box, h("label", { for: box.id, class: "visually-hidden", text: `Select comment ${c.id}` }),
      h("h2", { id: `title-${c.id}`, class: "item-title" },
        `#${c.id} on `, h("a", { href: `/articles/${encodeURIComponent(c.article)}`, text: c.article_title || c.article })),
      h("time", { datetime: c.created_at, title: exactTime(c.created_at), text: timeAgo(c.created_at) })),
    h("p", { class: "author" }, h("strong", { text: c.author_name }), " ", h("span", { class: "email", text: `<${c.author_email}>` }),
      h("span", { class: "history", text: ` · history: ${history(c.author_history)}` }),
      c.flag_count ? h("span", { class: "flags", text: ` · ${c.flag_count} reader reports` }) : null,
      c.parent_id ? h("span", { text: ` · reply to #${c.parent_id}` }) : null),
    highlighted(c.body_md, c.reasons || []),
    reasons.length ? h("ul", { class: "reasons", "aria-label": "Why screening held it" }, reasons) : null,
    scores ? h("p", { class: "scores", text: `Scores: ${scores}${c.policy_version ? ` · policy ${c.policy_version}` : ""}` }) : null,
    h("div", { class: "decisions", role: "group", "aria-label": `Decide on comment ${c.id}` }, buttons));
}

async function loadQueue(focusIndex = 0) {
  const data = await call("GET", "/api/moderation/queue?limit=100");
  const list = $("queue");
  list.replaceChildren(...data.items.map(renderItem));
  say(data.items.length ? `${data.items.length} ${data.items.length === 1 ? "comment" : "comments"} waiting.` : "The queue is empty. Nothing waits for a decision.");
  const items = list.querySelectorAll(".queue-item");
  if (items.length) items[Math.min(focusIndex, items.length - 1)].focus();
  loadLog();
}

async function loadLog() {
  const data = await call("GET", "/api/moderation/log?limit=25");
  $("log").replaceChildren(...data.items.map((e) => h("tr", {},
    h("td", {}, h("time", { datetime: e.at, title: exactTime(e.at), text: timeAgo(e.at) })),
    h("td", { text: `#${e.comment_id}` }), h("td", { text: e.actor }), h("td", { text: e.action }),
    h("td", { text: `${e.from_status} → ${e.to_status}` }), h("td", { text: e.reason || "" }))));
}

async function decide(ids, decision) {
  const items = [...$("queue").querySelectorAll(".queue-item")];
  const index = items.findIndex((li) => li.dataset.id === String(ids[0]));
  let done = 0;
  for (const id of ids) {
    try {
      await call("POST", `/api/moderation/comments/${id}/decision`, { decision, reason: "moderator console" });
      done += 1;
      $("queue").querySelector(`.queue-item[data-id="${id}"]`)?.remove();
    } catch (e) {
      if (!token) return;
      say(`Comment #${id}: ${e.message}`);
      return;
    }
  }
  say(done === 1 ? `Comment #${ids[0]} ${DONE[decision]}.` : `${done} comments ${DONE[decision]}.`);
  const rest = $("queue").querySelectorAll(".queue-item");
  if (rest.length) rest[Math.max(0, Math.min(index, rest.length - 1))].focus();
  else $("console-status").focus();
  loadLog();
}

function current() {
  return document.activeElement?.closest?.(".queue-item") || null;
}

function move(step) {
  const items = [...$("queue").querySelectorAll(".queue-item")];
  if (!items.length) return;
  const i = items.indexOf(current());
  items[Math.max(0, Math.min(items.length - 1, i < 0 ? 0 : i + step))].focus();
}

document.addEventListener("keydown", (e) => {
  if (!token || e.ctrlKey || e.metaKey || e.altKey) return;
  if (e.target.matches("input[type=password], input[type=text], textarea, select")) return;
  const item = current();
  if (e.key === "j") move(1);
  else if (e.key === "k") move(-1);
  else if (e.key === "x" && item) item.querySelector(".select").click();
  else if (DECISIONS[e.key] && item) decide([Number(item.dataset.id)], DECISIONS[e.key]);
  else return;
  e.preventDefault();
});

for (const button of document.querySelectorAll("[data-bulk]")) {
  button.addEventListener("click", () => {
    const ids = [...document.querySelectorAll(".select:checked")].map((b) => Number(b.dataset.id));
    if (!ids.length) say("Select comments first (tick their boxes, or press x).");
    else decide(ids, button.dataset.bulk);
  });
}

$("login").addEventListener("submit", async (e) => {
  e.preventDefault();
  token = $("token").value.trim();
  sessionStorage.setItem(KEY, token);
  start();
});
$("refresh").addEventListener("click", () => loadQueue().catch((e) => say(e.message)));
$("logout").addEventListener("click", () => signOut());
$("console-status").setAttribute("tabindex", "-1");

async function start() {
  if (!token) return signOut();
  $("login").hidden = true;
  $("console").hidden = false;
  try {
    await loadQueue();
  } catch (e) {
    if (token) say(`The queue cannot be loaded: ${e.message}`);
  }
}

start();
