// The home page: published articles, newest first, with their comment counts.

import { dateText, getJson, h, resilientImage } from "./format.js";

async function showArticles() {
  const status = document.getElementById("home-status");
  const list = document.getElementById("article-list");
  try {
    const { items } = await getJson("/api/articles?limit=20");
    list.replaceChildren(...items.map((a) => {
      const href = `/articles/${encodeURIComponent(a.slug)}`;
      return h("li", { class: "card" },
        a.hero_image_url ? h("div", { class: "card-image" }, resilientImage(a.hero_image_url, a.hero_image_alt)) : null,
        h("div", { class: "card-text" },
          h("ul", { class: "tag-list" }, a.categories.map((c) => h("li", { class: "tag", text: c.name }))),
          h("h2", {}, h("a", { href, text: a.title })),
          h("p", { class: "week-date" }, h("time", { datetime: a.published_at, text: dateText(a.published_at) }),
            a.source_name ? ` · ${a.source_name}` : "", ` · ${a.approved_comment_count} comments`),
          a.summary ? h("p", { text: a.summary }) : null,
          h("a", { class: "read-more", href, "aria-label": `Read more: ${a.title}`, text: "Read more" })));
    }));
    status.textContent = items.length ? "" : "No articles have been published yet.";
  } catch {
    status.textContent = "Articles cannot be shown right now. Please try again in a little while.";
  }
}

showArticles();
