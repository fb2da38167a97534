// A second, client-side allow-list for HTML the server has already sanitised (comment and
// article bodies). The markup is parsed inert with DOMParser (scripts do not run, images do
// not load) and only allowed elements and attributes are copied into fresh nodes.

const ALLOWED = {
  P: ["id"], BR: [], STRONG: [], B: [], EM: [], I: [], U: [], S: [], CODE: [], PRE: [], BLOCKQUOTE: [],
  UL: [], OL: [], LI: [], H2: ["id"], H3: ["id"], H4: ["id"], A: ["href", "title"], SPAN: [], DEL: [], INS: [],
  SUB: [], SUP: [], HR: [], FIGURE: [], FIGCAPTION: [], IMG: ["src", "alt", "width", "height"],
};
const SAFE_URL = /^(https?:|mailto:|\/(?!\/)|#)/i;

/** A DocumentFragment holding only the allowed parts of `html`. */
export function sanitizedFragment(html, { allowImages = false } = {}) {
  const parsed = new DOMParser().parseFromString(`<body>${html || ""}</body>`, "text/html");
  const out = document.createDocumentFragment();
  for (const node of parsed.body.childNodes) copy(node, out, allowImages);
  return out;
}

function copy(node, parent, allowImages) {
  if (node.nodeType === Node.TEXT_NODE) {
    parent.append(document.createTextNode(node.nodeValue));
    return;
  }
  if (node.nodeType !== Node.ELEMENT_NODE) return;
  const attrs = ALLOWED[node.tagName];
  if (!attrs || (node.tagName === "IMG" && !allowImages)) {
    if (!["SCRIPT", "STYLE", "TEMPLATE", "IFRAME", "OBJECT", "EMBED"].includes(node.tagName)) {
      for (const child of node.childNodes) copy(child, parent, allowImages);  // keep the text
    }
    return;
  }
  const el = document.createElement(node.tagName.toLowerCase());
  for (const name of attrs) {
    const value = node.getAttribute(name);
    if (value === null) continue;
    if ((name === "href" || name === "src") && !SAFE_URL.test(value.trim())) continue;
    el.setAttribute(name, value);
  }
  if (el.tagName === "A") el.setAttribute("rel", "nofollow ugc noopener");
  for (const child of node.childNodes) copy(child, el, allowImages);
  parent.append(el);
}
