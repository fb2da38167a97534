// Inline feedback: select a passage of the article, press "Comment on this passage", and the
// comment carries {paragraph_id, quote}. Passages with comments get a marker that opens them.

import { h } from "./dom.js";

const MAX_QUOTE = 1000;

/** The passage selected inside `container`, or null: both ends in one element that has an id. */
export function selectedPassage(container) {
  const sel = window.getSelection();
  if (!container || !sel || sel.isCollapsed || sel.rangeCount === 0) return null;
  const range = sel.getRangeAt(0);
  const start = blockWithId(range.startContainer, container);
  const end = blockWithId(range.endContainer, container);
  const quote = sel.toString().replace(/\s+/g, " ").trim();
  if (!start || start !== end || !quote) return null;
  return { paragraph_id: start.id, quote: quote.slice(0, MAX_QUOTE), rect: range.getBoundingClientRect() };
}

function blockWithId(node, container) {
  let el = node.nodeType === Node.ELEMENT_NODE ? node : node.parentElement;
  while (el && el !== container) {
    if (el.id && container.contains(el) && !el.classList.contains("parley-marker")) return el;
    el = el.parentElement;
  }
  return null;
}

/** Watch selections in the article; call `onComment(anchor)` when the reader asks to comment. */
export function watchSelections(getContainer, onComment) {
  const button = h("button", { type: "button", class: "parley-passage-button", hidden: true,
    text: "Comment on this passage" });
  document.body.append(button);
  let current = null;
  const update = () => {
    const passage = selectedPassage(getContainer());
    current = passage;
    if (!passage) {
      if (document.activeElement !== button) button.hidden = true;
      return;
    }
    button.hidden = false;
    button.style.top = `${window.scrollY + passage.rect.bottom + 8}px`;
    button.style.left = `${Math.max(8, window.scrollX + passage.rect.left)}px`;
  };
  let timer = null;
  document.addEventListener("selectionchange", () => {
    clearTimeout(timer);
    timer = setTimeout(update, 120);
  });
  button.addEventListener("mousedown", (e) => e.preventDefault());  // keep the selection
  button.addEventListener("click", () => {
    if (!current) return;
    const { paragraph_id, quote } = current;
    button.hidden = true;
    window.getSelection().removeAllRanges();
    onComment({ paragraph_id, quote });
  });
  return button;
}

/** Put a marker with the number of comments on every passage that has some. */
export function markPassages(container, counts, onOpen) {
  if (!container) return;
  for (const old of container.querySelectorAll(".parley-marker")) old.remove();
  for (const [id, n] of counts) {
    const target = container.querySelector(`#${CSS.escape(id)}`);
    if (!target) continue;
    target.append(h("button", {
      type: "button", class: "parley-marker", dataset: { paragraph: id }, onclick: () => onOpen(id),
    }, String(n),
    h("span", { class: "parley-visually-hidden", text: ` ${n === 1 ? "comment" : "comments"} on this passage` })));
  }
}
