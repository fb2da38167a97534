"""The learned check's model: a linear classifier trained from the project's labelled sets.

Why: the rule checks catch the phrasings they were written from and few others (see
POLICY.md). A small linear model over word 1-2 grams and character 2-6 grams (within
word boundaries; the lengths and their minimum document frequency are in policy.toml) generalises somewhat further, and it stays explainable: its score is
a sum of weights of n-grams that are in the text, so the words that pushed it up can
be highlighted.

Where the model comes from: it is trained at first use in each process from the
labelled sets named in policy.toml (`[learned].training_data`), with a fixed
`random_state`, and kept in memory (`load_model` caches it by the training data's
hash and the settings). Training takes about a second; nothing is downloaded and no
model file is shipped. The model sees what the classifier sees: the commenter's own
words (article quotes and reported speech blanked), folded (lower case, accents and look-alikes
stripped, invisible characters dropped).

Verdicts say which model produced them: the screener appends `model_id` (the first
12 hex digits of the sha256 of the training files concatenated in policy order) to
the policy version.
"""

from __future__ import annotations

import hashlib
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
_CHUNK = re.compile(r"\S+")
_WORD_CHAR = re.compile(r"\w")


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
    civil/uncivil, optional `article_body`). A missing or malformed file is a
    PolicyError, raised when the Screener is built."""
    files, sha256 = _read_training_files(policy.learned)
    return _parse_training_files(files, sha256, policy)


def _parse_training_files(files: list[tuple[str, bytes]], sha256: str, policy: Policy) -> TrainingSet:
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


class CharGrams:
    """Character n-grams (lengths `low` to `high`) inside word boundaries: each
    whitespace-separated word is padded with a space on either side ("char_wb").
    scikit-learn's own char_wb also repeats a short word whole for every n longer than
    it; this does not. Words recur, so each word's n-grams are computed once and
    cached (this is most of the model's cost). Used as the character vectorizer's
    analyzer and by `LearnedModel.contributions`."""

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
        padded = f" {word} "
        size = len(padded)
        return tuple(padded[i:i + n] for n in range(self.low, min(self.high, size) + 1)
                     for i in range(size - n + 1))


class LearnedModel:
    """A fitted model: two TF-IDF vectorizers and one logistic regression over both."""

    def __init__(self, word, char, word_coef, char_coef, intercept: float, sha256: str) -> None:
        self._word, self._char = word, char
        self._word_coef, self._char_coef, self._intercept = word_coef, char_coef, intercept
        self.sha256 = sha256
        self.model_id = sha256[:12]
        self._word_tokens = word.build_tokenizer()
        self._char_grams = char.analyzer
        # word feature -> (idf, weight), to score and explain a text without the vectorizers
        self._word_table = {f: (float(word.idf_[i]), float(word_coef[i])) for f, i in word.vocabulary_.items()}
        # character n-grams, by word: a word's known n-grams as vocabulary indices, computed
        # once per distinct word; a text's character score is then a few array operations
        self._char_vocabulary = char.vocabulary_
        self._char_idf = np.asarray(char.idf_, dtype=np.float64)
        self._char_ids_cache: dict[str, np.ndarray] = {}

    @classmethod
    def fit(cls, texts: Sequence[str], labels: Sequence[int], settings: LearnedSettings,
            sha256: str = "") -> LearnedModel:
        from scipy.sparse import hstack
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression

        clean = [_clean(t) for t in texts]
        word = TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True, dtype=np.float64)
        char = TfidfVectorizer(analyzer=CharGrams(*settings.char_ngrams), sublinear_tf=True,
                               min_df=settings.char_min_df, dtype=np.float64)
        x_word, x_char = word.fit_transform(clean), char.fit_transform(clean)
        # No intercept: a text with no known n-gram scores 0.5, not the training sets'
        # prior. Their civil comments are longer than their uncivil ones, and with an
        # intercept the model learnt "short means uncivil" ("A civil remark." scored 0.78).
        model = LogisticRegression(C=settings.c, solver="liblinear", random_state=settings.random_state,
                                   fit_intercept=False, max_iter=1000)
        model.fit(hstack([x_word, x_char]).tocsr(), np.asarray(labels))
        coef = model.coef_[0]
        n_word = x_word.shape[1]
        return cls(word, char, coef[:n_word].copy(), coef[n_word:].copy(), 0.0, sha256)

    def decision(self, texts: Sequence[str]) -> np.ndarray:
        """The linear score (log-odds of uncivil) of each text, in one pass per vectorizer."""
        clean = [_clean(t) for t in texts]
        return (self._word.transform(clean) @ self._word_coef
                + self._char.transform(clean) @ self._char_coef + self._intercept)

    def linear_decision(self, text: str) -> float:
        """`decision` of one text computed from the feature tables, without the
        vectorizers: the same sublinear TF x IDF, L2 norm per vectorizer and weights (a
        test checks both agree on every training comment). About ten times faster for one
        text, where the vectorizers' fixed cost per call dominates, and three times faster
        per text in batches of 256."""
        lowered = _clean(text).lower()
        tokens = self._word_tokens(lowered)
        words = tokens + [f"{a} {b}" for a, b in zip(tokens, tokens[1:])]
        return _linear(words, self._word_table) + self._char_decision(lowered.split()) + self._intercept

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
        # scored from the feature tables, text by text: with each word's character n-grams
        # cached as vocabulary indices this is about three times faster than the vectorizers
        # at any batch size (2024.06-10; `decision` stays the reference a test compares with)
        return [1.0 / (1.0 + math.exp(-self.linear_decision(t))) for t in texts]

    def contributions(self, text: str) -> list[tuple[str, int, int, float]]:
        """(word, start, end, share) for every whitespace-separated word of `text`;
        the shares add up to the text's `decision` (less the intercept).

        A word's share is everything the model scores that comes from it: its own
        weight, half of each word pair it is in, and each character n-gram taken from
        it, each times its TF-IDF value in this text (a feature found several times
        is shared out equally among its occurrences). Offsets exclude punctuation at
        the word's ends."""
        chunks = [(m.start(), m.end(), _clean(m.group())) for m in _CHUNK.finditer(text)]
        chunks = [c for c in chunks if c[2]]
        share = [0.0] * len(chunks)
        self._char_shares([word.lower() for _, _, word in chunks], share)
        tokens = [(i, t) for i, (_, _, word) in enumerate(chunks) for t in self._word_tokens(word.lower())]
        pairs = [(i, j, f"{a} {b}") for (i, a), (j, b) in zip(tokens, tokens[1:])]
        # each pair is listed once per side, so each side gets half of it
        _spread(tokens + [(i, f) for i, _, f in pairs] + [(j, f) for _, j, f in pairs], self._word_table,
                share, halves={f for _, _, f in pairs})
        out = []
        for (start, end, _), value in zip(chunks, share):
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


_CACHE: dict[tuple, LearnedModel] = {}
_LOCK = threading.Lock()


def load_model(policy: Policy) -> LearnedModel:
    """The model the policy describes, trained on first use and then kept for the
    process (keyed by the training data's hash and every setting that shapes it)."""
    settings = policy.learned
    files, sha256 = _read_training_files(settings)
    key = (sha256, settings.training_data, settings.random_state, settings.c, settings.char_ngrams,
           settings.char_min_df, policy.min_quote_words, policy.format.analyse_chars,
           policy.reported_speakers, policy.reported_verbs, policy.endorsing_words)
    with _LOCK:
        model = _CACHE.get(key)
        if model is None:
            training = _parse_training_files(files, sha256, policy)
            model = LearnedModel.fit(training.texts, training.labels, settings, sha256)
            _CACHE[key] = model
    return model
