// What the widget remembers in the reader's browser: a random voter id, the reader's votes,
// and the edit tokens of their own comments (so they keep seeing them while pending).
// Everything degrades to memory when localStorage is unavailable (private mode, blocked).

const KEY = "parley:v1";
let memory = null;

function load() {
  if (memory) return memory;
  try {
    memory = JSON.parse(localStorage.getItem(KEY) || "{}");
  } catch {
    memory = {};
  }
  memory.votes ||= {};
  memory.own ||= [];
  memory.profile ||= {};
  return memory;
}

function save() {
  try {
    localStorage.setItem(KEY, JSON.stringify(memory));
  } catch {
    /* memory only */
  }
}

export function voterId() {
  const state = load();
  if (!state.voter) {
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    state.voter = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    save();
  }
  return state.voter;
}

export const votes = {
  get: (id) => load().votes[id] || 0,
  set(id, value) {
    if (value) load().votes[id] = value;
    else delete load().votes[id];
    save();
  },
};

export const own = {
  forArticle: (article) => load().own.filter((c) => c.article === article),
  get: (id) => load().own.find((c) => c.id === id),
  add(entry) {
    load().own = [...load().own.filter((c) => c.id !== entry.id), entry].slice(-50);
    save();
  },
  update(id, changes) {
    const entry = own.get(id);
    if (entry) Object.assign(entry, changes);
    save();
  },
  remove(id) {
    load().own = load().own.filter((c) => c.id !== id);
    save();
  },
};

export const profile = {
  get: () => ({ ...load().profile }),
  set(name, email) {
    load().profile = { name, email };
    save();
  },
};
