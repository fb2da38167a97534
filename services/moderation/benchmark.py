"""Throughput and latency of the screening pipeline, for `make bench` (not a test).

    python -m services.moderation.benchmark [N]

Batch: N synthetic comments screened with `screen_batch` in batches of 256, with
in-memory history and duplicate stores, so every check runs as in the worker;
once for realistic comments and once for a trigger-word-dense worst case. Then the
realistic comments again, split between two forked processes screening at once, each with
its own screener and stores (a worker started with Celery's default concurrency, one process
per core, runs this way on a 2-core machine): comments/s from their common start to the last
one's end. Single: `screen` called once per comment, reporting p50/p99 latency.
The model is loaded before timing starts (and before the fork, so both processes share it).
"""

from __future__ import annotations

import json
import random
import statistics
import sys
import time

from services.moderation.screening import (
    InMemoryAuthorHistory, InMemoryRecentTexts, ModerationMode, ProfanityCheckClassifier, Screener,
    Submission, load_policy,
)

_SAMPLES = [
    "Thank you for this reporting, it must have taken courage to go undercover for so long.",
    "I disagree with the previous commenter: sanctions did not create these schemes, the regime did.",
    "Does anyone know which shipping lines bought the vessels built at that yard in Szczecin?",
    "The Polish labour inspectorate should explain how it found nothing at a site of this size.",
    "To jest hańba. Stocznia musiała wiedzieć, komu płaci i na co idą te pieniądze.",
    "Forced labour, extortion and beatings in the detention centres are well documented by now.",
    "You are an absolute idiot if you believe a word of this propaganda.",
    "Send them all back and close the border, we don't want them here.",
    "f*ck the embassy and everyone who does business with that regime",
    "Earn $300 per day from home! Contact me on WhatsApp +44 7700 900123 www.easy-cash.xyz",
    "The captains take most of the wages every month, which the men call Party Duty.",
    "Calling this modern slavery is not an exaggeration: they cannot leave or keep their pay.",
    "Someone should find that foreman and teach him a lesson he will never forget.",
    "My grandfather was a forced labourer during the war, and this felt horribly familiar.",
    "What happens to these men when the UN deadline passes? Are they sent home or moved on?",
    "Migrants are not the problem; the lack of legal protection is, and the law can be fixed.",
]
_ARTICLE = (
    "At a shipyard in Szczecin the foreman of several hundred North Korean welders said his men "
    "take no paid leave. One welder said: \"They treat us like dogs here. You swallow dirt and you "
    "stop being a person.\" The men hand most of their wages to a minder they call the captain."
)


_NEUTRAL = (
    "report inspection workers wages contract shipyard Poland embassy minister union court evidence "
    "families regime sanctions journalists welders foreman captain levy months years companies law"
).split()
_OPENERS = ["", "Honestly, ", "I think ", "Well, ", "To be fair, ", "Sadly, ", "Frankly, "]
_CLOSERS = ["", " Thanks.", " Just my view.", " What a story.", " Shocking.", " Any thoughts?"]


def _comments(n: int, seed: int = 7, dense: bool = False) -> list[Submission]:
    """Realistic traffic: the sample comments with varied openings and endings and a
    fifth of their words swapped, so most texts differ, and one in ten repeated
    verbatim (as spam is). `dense`: random 8-60 word
    strings drawn from the samples' words, so nearly every comment contains the
    trigger words of several patterns: a worst case, not typical traffic."""
    rng = random.Random(seed)
    vocabulary = " ".join(_SAMPLES).split()
    comments = []
    for i in range(n):
        if dense:
            text = " ".join(rng.choice(vocabulary) for _ in range(rng.randint(8, 60)))
        elif rng.random() < 0.1:  # a verbatim repeat, as spam waves are
            text = rng.choice(_SAMPLES)
        else:  # a sample with a fifth of its words swapped: a different comment
            words = (rng.choice(_OPENERS) + rng.choice(_SAMPLES) + rng.choice(_CLOSERS)).split()
            text = " ".join(rng.choice(_NEUTRAL) if rng.random() < 0.2 else w for w in words)
        comments.append(Submission(
            id=f"b{i}", text=text, article_body=_ARTICLE if rng.random() < 0.3 else None,
            author_key=f"author-{rng.randint(1, n // 5 + 1)}", article=f"article-{rng.randint(1, 40)}",
            mode=ModerationMode.PRE, submitted_at=1_700_000_000 + i * 0.05,
        ))
    return comments


PROCESSES = 2


def _parallel(policy, comments: list[Submission], processes: int, batch_size: int) -> int:
    """Comments/s of `processes` forked processes screening their share of `comments` at
    once, over the wall clock from the first one's start to the last one's end."""
    import multiprocessing

    context = multiprocessing.get_context("fork")
    go, ready, times = context.Event(), context.Queue(), context.Queue()

    def work(part: list[Submission]) -> None:
        screener = Screener(policy, InMemoryAuthorHistory(), InMemoryRecentTexts())
        ready.put(True)
        go.wait()
        started = time.monotonic()
        for i in range(0, len(part), batch_size):
            screener.screen_batch(part[i:i + batch_size])
        times.put((started, time.monotonic()))

    workers = [context.Process(target=work, args=(comments[k::processes],)) for k in range(processes)]
    for worker in workers:
        worker.start()
    for _ in workers:
        ready.get(timeout=120)
    go.set()
    spans = [times.get(timeout=600) for _ in workers]
    for worker in workers:
        worker.join(60)
    return round(len(comments) / (max(end for _, end in spans) - min(start for start, _ in spans)))


def _rss_mb() -> float:
    import psutil

    return round(psutil.Process().memory_info().rss / 2**20, 1)


def run(n: int = 5000, batch_size: int = 256, single: int = 1000) -> dict:
    started = time.perf_counter()
    policy = load_policy()
    screener = Screener(policy, InMemoryAuthorHistory(), InMemoryRecentTexts())
    load_seconds = round(time.perf_counter() - started, 2)
    screener.screen_batch(_comments(50, seed=1))  # warm caches outside the timing
    throughput = {}
    for name, dense in (("realistic", False), ("dense", True)):
        screener = Screener(policy, InMemoryAuthorHistory(), InMemoryRecentTexts())
        comments = _comments(n, dense=dense)
        started = time.perf_counter()
        for i in range(0, n, batch_size):
            screener.screen_batch(comments[i:i + batch_size])
        throughput[name] = round(n / (time.perf_counter() - started))

    throughput["parallel"] = _parallel(policy, _comments(n), PROCESSES, batch_size)

    classifier = ProfanityCheckClassifier()
    texts = [c.text for c in _comments(n)]
    started = time.perf_counter()
    for i in range(0, n, batch_size):
        classifier.probabilities(texts[i:i + batch_size])
    throughput["classifier"] = round(n / (time.perf_counter() - started))

    screener = Screener(policy, InMemoryAuthorHistory(), InMemoryRecentTexts())
    latencies = []
    for comment in _comments(single, seed=3):
        started = time.perf_counter()
        screener.screen(comment)
        latencies.append((time.perf_counter() - started) * 1000)
    latencies.sort()
    return {
        "comments": n,
        "batch_size": batch_size,
        "batch_comments_per_second": throughput["realistic"],
        "batch_comments_per_second_dense": throughput["dense"],
        f"batch_comments_per_second_{PROCESSES}_processes": throughput["parallel"],
        "classifier_only_comments_per_second": throughput["classifier"],
        "single_p50_ms": round(statistics.median(latencies), 2),
        "single_p99_ms": round(latencies[int(len(latencies) * 0.99) - 1], 2),
        # a worker's pool process holds what this process holds after screening
        "resident_memory_mb": _rss_mb(),
        "screener_load_seconds": load_seconds,
        "policy_version": screener.version,
    }


if __name__ == "__main__":
    print(json.dumps(run(int(sys.argv[1]) if len(sys.argv) > 1 else 5000), indent=2))
