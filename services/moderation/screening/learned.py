"""The learned check's model: a linear classifier over word and character n-grams.

Why: the rule checks catch the phrasings they were written from and few others (see
POLICY.md). A linear model over word 1-2 grams and character n-grams (within word
boundaries) generalises further and stays explainable: its score is a sum of weights of
n-grams that are in the text, so the words that pushed it up can be highlighted.

Where the model comes from (since 2024.07-1): a file shipped in the package
(`[learned].model`), built by `parley moderation train` from real labelled comments (the
corpora beside the checkout) and the project's own sets, deterministically. Workers load
it; nothing trains at start. Verdicts name it: the screener appends `model_id`, the first
12 hex digits of the file's sha256, to the policy version.

Identity terms never carry the score on their own: before scoring, every group name of the
model's lexicon (the policy's `groups` at build time, stored in the file) is replaced by one
placeholder, which has no weight of its own and no character n-grams; only its neighbours
("hate <group>", "love <group>") are features. That makes the model blind to *which* group
is named, which is exactly what counterfactual augmentation (swapping the names in every
training comment) would teach it, and it cannot learn that naming a group is suspect.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import math
import re
import threading
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .document import Document, prepare
from .policy import LearnedSettings, Policy, PolicyError
from .text import JOINER
from .verdicts import Submission

LABELS = {"civil": 0, "uncivil": 1}
FORMAT = "parley-learned/1"
MASK = "ǥ"  # what an identity term becomes: a letter no language writes in a run
_CHUNK = re.compile(r"\S+")
_WORD_CHAR = re.compile(r"\w")
_TOKEN = re.compile(r"(?u)\b\w\w+\b")


def model_text(doc: Document) -> str:
    """What the model reads: the folded text with article quotes and reported speech
    blanked (`Document.blanked`). It has the submission's length (so offsets in it are
    offsets in the submission); invisible characters are still there as JOINER and are
    removed by the model itself."""
    return doc.blank(doc.folded)


@dataclass(frozen=True)
class TrainingSet:
    texts: tuple[str, ...]  # model_text of each example
    labels: tuple[int, ...]  # 1 = uncivil
    ids: tuple[str, ...]
    sources: tuple[str, ...]  # the training_data entry each example came from
    sha256: str  # of the training files' bytes, concatenated in policy order


def _read_training_files(settings: LearnedSettings) -> tuple[list[tuple[str, bytes]], str]:
    digest, files = hashlib.sha256(), []
    for entry in settings.training_data:
        path = settings.path(entry)
        try:
            raw = path.read_bytes()
        except OSError as error:
            raise PolicyError(f"learned.training_data: cannot read {entry}: {error}") from error
        digest.update(raw)
        files.append((entry, raw))
    return files, digest.hexdigest()


def load_training_set(policy: Policy) -> TrainingSet:
    """Read the labelled JSON Lines files named by the policy (`id`, `text`, `label`
    civil/uncivil, optional `article_body`). A missing or malformed file is a PolicyError."""
    files, sha256 = _read_training_files(policy.learned)
    texts, labels, ids, sources = [], [], [], []
    for entry, raw in files:
        for number, line in enumerate(raw.decode("utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
                label = LABELS[item["label"]]
                submission = Submission(id=str(item["id"]), text=item["text"],
                                        article_body=item.get("article_body"))
            except (ValueError, KeyError, TypeError) as error:
                raise PolicyError(f"learned.training_data: {entry} line {number}: {error!r}") from error
            texts.append(model_text(prepare(submission, policy)))
            labels.append(label)
            ids.append(submission.id)
            sources.append(entry)
    if len(set(labels)) < 2:
        raise PolicyError("learned.training_data: needs both civil and uncivil examples")
    return TrainingSet(tuple(texts), tuple(labels), tuple(ids), tuple(sources), sha256)


def _clean(text: str) -> str:
    return text.replace(JOINER, "") if JOINER in text else text


class IdentityMask:
    """Turns every identity term of a lexicon into MASK characters, keeping the text's
    length (so offsets stay offsets in the submission). Entries are written as in the
    policy's lexicons ("korean(s)", "asylum seeker(s)")."""

    def __init__(self, terms: Sequence[str]) -> None:
        from .checks.attacks import _lexicon_regex  # the lexicon syntax has one reader

        self.terms = tuple(terms)
        self._regex = re.compile(r"(?<!\w)" + _lexicon_regex(list(terms)) + r"(?!\w)") if terms else None

    def __call__(self, text: str) -> str:
        if self._regex is None:
            return text
        return self._regex.sub(lambda m: MASK * (m.end() - m.start()), text)


def word_features(tokens: Sequence[str]) -> list[str]:
    """Word unigrams and bigrams of a token list; a masked term is one token, MASK, that
    is part of bigrams but never a feature on its own."""
    return [t for t in tokens if t != MASK] + [f"{a} {b}" for a, b in zip(tokens, tokens[1:], strict=False)]


def tokens_of(text: str) -> list[str]:
    """Lower-case word tokens of two letters or more; a masked run is the token MASK."""
    return [MASK if t[0] == MASK else t for t in _TOKEN.findall(text.lower())]


class CharGrams:
    """Character n-grams (lengths `low` to `high`) inside word boundaries: each
    whitespace-separated word is padded with a space on either side ("char_wb"). A masked
    word has none. Words recur, so each word's n-grams are computed once and cached."""

    def __init__(self, low: int, high: int) -> None:
        self.low, self.high = low, high
        self._cache: dict[str, tuple[str, ...]] = {}

    def __call__(self, text: str) -> list[str]:
        cache = self._cache
        if len(cache) > 100_000:
            cache.clear()
        grams: list[str] = []
        extend = grams.extend
        for word in text.lower().split():
            found = cache.get(word)
            if found is None:
                found = cache[word] = self._word_grams(word)
            extend(found)
        return grams

    def _word_grams(self, word: str) -> tuple[str, ...]:
        if MASK in word:  # a masked term, alone or glued to punctuation
            return ()
        padded = f" {word} "
        size = len(padded)
        return tuple(padded[i:i + n] for n in range(self.low, min(self.high, size) + 1)
                     for i in range(size - n + 1))


@dataclass(frozen=True)
class ModelSettings:
    """What shapes a model besides its data; stored in the model file."""

    char_ngrams: tuple[int, int] = (2, 6)
    char_min_df: int = 1
    word_min_df: int = 1
    c: float = 10.0
    random_state: int = 0
    intercept: bool = True
    balanced: bool = True


class LearnedModel:
    """A fitted model as tables: word features and character n-grams with their IDF and
    weight, an intercept and the identity terms it masks. `fit` builds one, `to_bytes`
    and `from_bytes` ship it, and scoring needs neither scikit-learn nor the training data."""

    def __init__(self, words: dict[str, tuple[float, float]], chars: dict[str, tuple[float, float]],
                 intercept: float, settings: ModelSettings, identity_terms: Sequence[str],
                 manifest: dict | None = None, sha256: str = "") -> None:
        self.settings = settings
        self.mask = IdentityMask(identity_terms)
        self.manifest = manifest or {}
        self.sha256 = sha256
        self.model_id = sha256[:12]
        self._intercept = intercept
        self._word_table = words
        self._char_grams = CharGrams(*settings.char_ngrams)
        grams = sorted(chars)
        self._char_vocabulary = {g: i for i, g in enumerate(grams)}
        self._char_idf = np.array([chars[g][0] for g in grams], dtype=np.float64)
        self._char_coef = np.array([chars[g][1] for g in grams], dtype=np.float64)
        self._char_ids_cache: dict[str, np.ndarray] = {}

    # ------------------------------------------------------------------ building

    @classmethod
    def fit(cls, texts: Sequence[str], labels: Sequence[float], settings: ModelSettings,
            identity_terms: Sequence[str] = (), weights: Sequence[float] | None = None,
            manifest: dict | None = None) -> LearnedModel:
        """Train on `texts` (model_text), `labels` (1 uncivil) and optional per-example
        `weights` (a comment that a third of its annotators called uncivil is given twice,
        as uncivil with weight 1/3 and as civil with 2/3). Deterministic: the same inputs
        give the same bytes. The result is read back from its own bytes, so a fitted model
        and the shipped file score alike to the last bit."""
        from scipy.sparse import hstack
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression

        mask = IdentityMask(identity_terms)
        clean = [_clean(mask(t)) for t in texts]
        char_grams = CharGrams(*settings.char_ngrams)
        word = TfidfVectorizer(analyzer=lambda t: word_features(tokens_of(t)), sublinear_tf=True,
                               min_df=settings.word_min_df, dtype=np.float64)
        char = TfidfVectorizer(analyzer=char_grams, sublinear_tf=True, min_df=settings.char_min_df,
                               dtype=np.float64)
        x_word, x_char = word.fit_transform(clean), char.fit_transform(clean)
        model = LogisticRegression(C=settings.c, solver="liblinear", random_state=settings.random_state,
                                   fit_intercept=settings.intercept, max_iter=1000,
                                   class_weight="balanced" if settings.balanced else None)
        sample_weight = None if weights is None else np.asarray(weights, dtype=np.float64)
        model.fit(hstack([x_word, x_char]).tocsr(), np.asarray(labels), sample_weight=sample_weight)
        coef = model.coef_[0]
        n_word = x_word.shape[1]
        words = {f: (float(word.idf_[i]), float(coef[i])) for f, i in word.vocabulary_.items()}
        chars = {g: (float(char.idf_[i]), float(coef[n_word + i])) for g, i in char.vocabulary_.items()}
        intercept = float(model.intercept_[0]) if settings.intercept else 0.0
        built = cls(words, chars, intercept, settings, identity_terms, manifest)
        return cls.from_bytes(built.to_bytes())

    def to_bytes(self) -> bytes:
        """The model as gzip-compressed JSON with sorted keys and no timestamp: the same
        model always gives the same bytes (its hash names it in every verdict)."""
        grams = sorted(self._char_vocabulary, key=self._char_vocabulary.__getitem__)
        document = {
            "format": FORMAT,
            "settings": {**self.settings.__dict__, "char_ngrams": list(self.settings.char_ngrams)},
            "identity_terms": list(self.mask.terms),
            "intercept": self._intercept,
            "words": [[f, idf, w] for f, (idf, w) in sorted(self._word_table.items())],
            "chars": [[g, float(self._char_idf[i]), float(self._char_coef[i])] for i, g in enumerate(grams)],
            "manifest": self.manifest,
        }
        raw = json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")
        out = io.BytesIO()
        with gzip.GzipFile(fileobj=out, mode="wb", compresslevel=9, mtime=0, filename="") as handle:
            handle.write(raw)
        return out.getvalue()

    @classmethod
    def from_bytes(cls, raw: bytes) -> LearnedModel:
        try:
            document = json.loads(gzip.decompress(raw).decode("utf-8"))
            if document.get("format") != FORMAT:
                raise ValueError(f"format {document.get('format')!r}, expected {FORMAT!r}")
            settings = dict(document["settings"])
            settings["char_ngrams"] = tuple(settings["char_ngrams"])
            return cls(
                words={f: (float(idf), float(w)) for f, idf, w in document["words"]},
                chars={g: (float(idf), float(w)) for g, idf, w in document["chars"]},
                intercept=float(document["intercept"]), settings=ModelSettings(**settings),
                identity_terms=document["identity_terms"], manifest=document.get("manifest"),
                sha256=hashlib.sha256(raw).hexdigest(),
            )
        except (OSError, EOFError, ValueError, KeyError, TypeError) as error:
            raise PolicyError(f"learned.model: not a Parley model file: {error}") from error

    # ------------------------------------------------------------------ scoring

    def prepared(self, text: str) -> str:
        """`text` (a model_text) as the features see it: invisible characters dropped, identity terms masked."""
        return _clean(self.mask(text))

    def linear_decision(self, text: str) -> float:
        """The linear score (log-odds of uncivil) of one text: sublinear TF x IDF, L2 norm
        per feature kind, times the weights, plus the intercept."""
        lowered = self.prepared(text).lower()
        return (_linear(word_features(tokens_of(lowered)), self._word_table)
                + self._char_decision(lowered.split()) + self._intercept)

    def _char_ids(self, word: str) -> np.ndarray:
        """Vocabulary indices of the known character n-grams of one lower-case word."""
        ids = self._char_ids_cache.get(word)
        if ids is None:
            if len(self._char_ids_cache) > 100_000:
                self._char_ids_cache.clear()
            vocabulary = self._char_vocabulary
            ids = np.fromiter((vocabulary[g] for g in self._char_grams(word) if g in vocabulary), dtype=np.intp)
            self._char_ids_cache[word] = ids
        return ids

    def _char_values(self, words: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The text's distinct known n-grams, their counts and their sublinear TF x IDF."""
        ids = np.concatenate([self._char_ids(w) for w in words]) if words else np.empty(0, dtype=np.intp)
        grams, counts = np.unique(ids, return_counts=True)
        return grams, counts, (1.0 + np.log(counts)) * self._char_idf[grams]

    def _char_shares(self, words: Sequence[str], share: list[float]) -> None:
        """Add each word's character n-grams' part of the score to `share` (an n-gram found
        in several words is shared out equally among its occurrences)."""
        grams, counts, values = self._char_values(words)
        if not grams.size:
            return
        each = values / math.sqrt(float(values @ values)) * self._char_coef[grams] / counts
        for i, word in enumerate(words):
            ids = self._char_ids(word)
            if ids.size:
                share[i] += float(each[np.searchsorted(grams, ids)].sum())

    def _char_decision(self, words: Sequence[str]) -> float:
        grams, _, values = self._char_values(words)
        if not grams.size:
            return 0.0
        return float(values @ self._char_coef[grams]) / math.sqrt(float(values @ values))

    def probabilities(self, texts: Sequence[str]) -> list[float]:
        """Probability that each text (a `model_text`) is uncivil, in input order."""
        return [1.0 / (1.0 + math.exp(-self.linear_decision(t))) for t in texts]

    def contributions(self, text: str) -> list[tuple[str, int, int, float]]:
        """(word, start, end, share) for every whitespace-separated word of `text`;
        the shares add up to the text's linear score less the intercept.

        A word's share is everything the model scores that comes from it: its own
        weight, half of each word pair it is in, and each character n-gram taken from
        it, each times its TF-IDF value in this text (a feature found several times
        is shared out equally among its occurrences). Offsets exclude punctuation at
        the word's ends."""
        masked = self.mask(text)
        chunks = [(m.start(), m.end(), _clean(m.group())) for m in _CHUNK.finditer(masked)]
        chunks = [c for c in chunks if c[2]]
        share = [0.0] * len(chunks)
        self._char_shares([word.lower() for _, _, word in chunks], share)
        tokens = [(i, t) for i, (_, _, word) in enumerate(chunks) for t in tokens_of(word)]
        pairs = [(i, j, f"{a} {b}") for (i, a), (j, b) in zip(tokens, tokens[1:], strict=False)]
        # each pair is listed once per side, so each side gets half of it
        _spread([(i, t) for i, t in tokens if t != MASK] + [(i, f) for i, _, f in pairs]
                + [(j, f) for _, j, f in pairs], self._word_table, share, halves={f for _, _, f in pairs})
        out = []
        for (start, end, _), value in zip(chunks, share, strict=True):
            piece = text[start:end]
            first = _WORD_CHAR.search(piece)
            if first is not None:
                last = max(m.end() for m in _WORD_CHAR.finditer(piece))
                start, end = start + first.start(), start + last
            out.append((_clean(text[start:end]).lower(), start, end, value))
        return out

    def explain(self, text: str, limit: int) -> list[tuple[int, int]]:
        """Offsets of the (at most `limit` distinct) words that added most to `text`'s
        score (see `contributions`), every occurrence of each."""
        if limit <= 0:
            return []
        words = self.contributions(text)
        by_word: dict[str, float] = defaultdict(float)
        for key, _, _, value in words:
            by_word[key] += value
        best = {key for _, key in sorted((-value, key) for key, value in by_word.items() if value > 0)[:limit]}
        return sorted((start, end) for key, start, end, _ in words if key in best)


def _linear(features: Sequence[str], table: dict[str, tuple[float, float]]) -> float:
    """Dot product of the weights with the text's L2-normalised sublinear TF-IDF vector."""
    counts: dict[str, int] = {}
    for feature in features:
        if feature in table:
            counts[feature] = counts.get(feature, 0) + 1
    if not counts:
        return 0.0
    total = squares = 0.0
    for feature, count in counts.items():
        idf, weight = table[feature]
        value = (1.0 + math.log(count)) * idf
        squares += value * value
        total += value * weight
    return total / math.sqrt(squares)


def _spread(occurrences: list[tuple[int, str]], table: dict[str, tuple[float, float]], share: list[float],
            halves: frozenset[str] | set[str] = frozenset()) -> None:
    """Add each feature's contribution (sublinear TF x IDF, L2-normalised over the
    text's known features, x weight) to the words it occurs in, as the vectorizer
    and the model would compute it."""
    counts: dict[str, int] = defaultdict(int)
    for _, feature in occurrences:
        if feature in table:
            counts[feature] += 1
    if not counts:
        return
    # a pair is listed twice (once per side) but occurs once
    values = {f: (1.0 + math.log(c // 2 if f in halves else c)) * table[f][0] for f, c in counts.items()}
    norm = math.sqrt(sum(v * v for v in values.values()))
    for i, feature in occurrences:
        if feature in values:
            share[i] += values[feature] / norm * table[feature][1] / counts[feature]


_CACHE: dict[tuple[str, int, int], LearnedModel] = {}
_LOCK = threading.Lock()


def load_model(policy: Policy) -> LearnedModel:
    """The model file the policy names, read once per process (kept by path and file
    identity). A missing or unreadable file is a PolicyError."""
    path = policy.learned.path(policy.learned.model)
    try:
        stat = path.stat()
    except OSError as error:
        raise PolicyError(f"learned.model: cannot read {policy.learned.model}: {error}") from error
    key = (str(path), stat.st_mtime_ns, stat.st_size)
    with _LOCK:
        model = _CACHE.get(key)
        if model is None:
            model = _CACHE[key] = LearnedModel.from_bytes(path.read_bytes())
    return model
