// The article page: the story from the articles API, the "This week" sidebar, and a signal
// to the comment widget once the passages it can anchor comments to are on the page.

import { sanitizedFragment } from "../widget/sanitize.js";
import { dateText, fill, getJson, h, resilientImage } from "./format.js";

const slug = document.querySelector("main[data-slug]").dataset.slug;

async function showArticle() {
  const story = document.getElementById("story");
  const title = document.getElementById("story-title");
  try {
    const a = await getJson(`/api/articles/${encodeURIComponent(slug)}`);
    document.title = `${a.title} – ${document.title}`;
    title.textContent = a.title;
    const source = a.source_url
      ? h("a", { href: a.source_url, rel: "noopener", text: a.source_name || a.source_url })
      : a.source_name;
    fill(document.getElementById("story-meta"),
      h("li", {}, h("span", { class: "meta-label", text: "Published on " }),
        h("time", { datetime: a.published_at, text: dateText(a.published_at) })),
      a.source_name || a.source_url ? h("li", {}, h("span", { class: "meta-label", text: "News source: " }), source) : null,
      a.author ? h("li", {}, h("span", { class: "meta-label", text: "By " }), a.author) : null,
      h("li", {}, h("a", { href: "#comments", text: `${a.approved_comment_count} comments` })),
      a.categories.length ? h("li", { class: "tags" }, h("span", { class: "meta-label", text: "Category: " }),
        h("ul", { class: "tag-list" }, a.categories.map((c) => h("li", { class: "tag", text: c.name })))) : null,
    );
    if (a.hero_image_url) {
      const hero = document.getElementById("hero");
      fill(hero, resilientImage(a.hero_image_url, a.hero_image_alt),
        a.hero_image_alt ? h("figcaption", { text: a.hero_image_alt }) : null);
      hero.hidden = false;
    }
    if (a.summary) document.getElementById("story-body").before(h("p", { class: "standfirst", text: a.summary }));
    document.getElementById("story-body").replaceChildren(sanitizedFragment(a.body_html, { allowImages: true }));
    document.dispatchEvent(new CustomEvent("parley:article-ready"));
  } catch (e) {
    title.textContent = e.status === 404 ? "Article not found" : "This article cannot be shown right now";
    document.getElementById("story-status").textContent = e.status === 404
      ? "It may have been taken down or the address may be wrong."
      : "Please try again in a little while.";
  } finally {
    story.setAttribute("aria-busy", "false");
  }
}

async function showThisWeek() {
  const list = document.getElementById("this-week");
  try {
    const since = new Date(Date.now() - 7 * 24 * 3600 * 1000).toISOString();
    let { items } = await getJson(`/api/articles?limit=6&since=${encodeURIComponent(since)}`);
    if (items.filter((a) => a.slug !== slug).length === 0) items = (await getJson("/api/articles?limit=6")).items;
    const others = items.filter((a) => a.slug !== slug).slice(0, 5);
    list.replaceChildren(...others.map((a) => h("li", { class: "week-item" },
      h("h3", {}, h("a", { href: `/articles/${encodeURIComponent(a.slug)}`, text: a.title })),
      h("p", { class: "week-date" }, h("time", { datetime: a.published_at, text: dateText(a.published_at) })),
      a.summary ? h("p", { class: "week-summary", text: a.summary }) : null,
      h("a", { class: "read-more", href: `/articles/${encodeURIComponent(a.slug)}`, "aria-label": `Read more: ${a.title}`, text: "Read more" }))));
    if (!others.length) list.replaceChildren(h("li", { class: "week-item", text: "No other stories this week." }));
  } catch {
    list.replaceChildren(h("li", { class: "week-item", text: "Other stories cannot be shown right now." }));
  }
}

showArticle();
showThisWeek();
