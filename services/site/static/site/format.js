// Small helpers the site pages share.
export { fill, h } from "../widget/dom.js";

const long = new Intl.DateTimeFormat("en", { year: "numeric", month: "long", day: "numeric", timeZone: "UTC" });

export function dateText(iso) {
  if (!iso) return "";
  return long.format(new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(iso) ? iso : `${iso}Z`));
}

export async function getJson(path) {
  const resp = await fetch(path, { headers: { Accept: "application/json" } });
  if (!resp.ok) throw Object.assign(new Error(`HTTP ${resp.status}`), { status: resp.status });
  return resp.json();
}

/** An <img> that turns into a captioned placeholder when its picture cannot be loaded. */
export function resilientImage(src, alt, className = "") {
  const img = document.createElement("img");
  img.alt = alt || "";
  img.className = className;
  img.decoding = "async";
  img.addEventListener("error", () => {
    img.closest("figure, .card-image")?.classList.add("image-missing");
    img.src = "/static/site/placeholder.svg";
  }, { once: true });
  img.src = src || "/static/site/placeholder.svg";
  return img;
}
