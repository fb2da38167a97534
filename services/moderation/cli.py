"""`parley moderate`: screen JSON Lines from stdin with the worker's pipeline and policy.

Input, one object per line:
    {"id": "c1", "text": "...", "article_body": "...", "author": "...", "article": "slug",
     "mode": "pre" | "post"}                    (only "id" and "text" are required)
Output, one line per input line, in input order:
    {"id": "c1", "verdict": "approve|hold|reject", "reasons": [...], "scores": {...},
     "policy_version": "..."}
or, for a line that cannot be screened, {"line": 7, "error": "..."}.

"author" is used as-is as the opaque author key, so repeats and author history work
within one run; nothing is remembered between runs. The learned check's model is the
file the policy names; "policy_version" is the policy's version plus that file's hash. Other keys (such as an
evaluation set's "label") are ignored.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO

import click

from services.moderation.screening import (
    InMemoryAuthorHistory, InMemoryRecentTexts, ModerationMode, PolicyError, Screener,
    Submission, load_policy,
)

_OPTIONAL_STRINGS = {"article_body": "article_body", "author": "author_key", "article": "article"}


class LineError(ValueError):
    pass


@click.command("moderate")
@click.option("--policy", "policy_path", type=click.Path(dir_okay=False, path_type=Path),
              default=None, help="Policy file (default: the one shipped with Parley).")
@click.option("--mode", type=click.Choice([m.value for m in ModerationMode]), default="pre",
              show_default=True, help="Moderation mode for lines that do not set one.")
@click.option("--batch-size", type=click.IntRange(1, 10_000), default=256, show_default=True)
def moderate(policy_path: Path | None, mode: str, batch_size: int) -> None:
    """Screen comments read as JSON Lines on stdin; write verdicts as JSON Lines."""
    try:
        screener = Screener(load_policy(policy_path), InMemoryAuthorHistory(), InMemoryRecentTexts())
    except PolicyError as error:
        raise click.ClickException(str(error)) from error
    default_mode = ModerationMode(mode)
    for batch in _batches(sys.stdin.buffer, batch_size):
        _write(sys.stdout.buffer, _screen(screener, batch, default_mode))
        sys.stdout.buffer.flush()


def _batches(stream: IO[bytes], size: int) -> Iterator[list[tuple[int, bytes]]]:
    batch: list[tuple[int, bytes]] = []
    for number, raw in enumerate(stream, start=1):
        if not raw.strip():
            continue
        batch.append((number, raw))
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _screen(screener: Screener, batch: list[tuple[int, bytes]],
            default_mode: ModerationMode) -> list[dict]:
    parsed: list[tuple[object, Submission] | dict] = []
    for number, raw in batch:
        try:
            parsed.append(parse_line(raw, default_mode))
        except LineError as error:
            parsed.append({"line": number, "error": str(error)})
    submissions = [item[1] for item in parsed if isinstance(item, tuple)]
    verdicts = iter(screener.screen_batch(submissions))
    out = []
    for item in parsed:
        if isinstance(item, dict):
            out.append(item)
            continue
        original_id, verdict = item[0], next(verdicts).to_dict()
        out.append({
            "id": original_id,
            "verdict": verdict["decision"],
            "reasons": verdict["reasons"],
            "scores": verdict["scores"],
            "policy_version": verdict["policy_version"],
        })
    return out


def parse_line(raw: bytes, default_mode: ModerationMode) -> tuple[object, Submission]:
    """The line's original id (echoed back unchanged) and its Submission."""
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise LineError("line is not valid UTF-8") from None
    except (json.JSONDecodeError, RecursionError) as error:
        raise LineError(f"line is not valid JSON: {error}") from None
    if not isinstance(data, dict):
        raise LineError("expected a JSON object")
    original_id = data.get("id")
    if isinstance(original_id, bool) or not isinstance(original_id, (str, int)):
        raise LineError('"id" must be a string or an integer')
    text = data.get("text")
    if not isinstance(text, str):
        raise LineError('"text" is required and must be a string')
    fields = {}
    for key, field in _OPTIONAL_STRINGS.items():
        value = data.get(key)
        if value is not None and not isinstance(value, str):
            raise LineError(f'"{key}" must be a string')
        fields[field] = value
    mode = data.get("mode", default_mode.value)
    if mode not in {m.value for m in ModerationMode}:
        raise LineError('"mode" must be "pre" or "post"')
    return original_id, Submission(id=str(original_id), text=text, mode=ModerationMode(mode), **fields)


def _write(stream: IO[bytes], objects: Iterable[dict]) -> None:
    for obj in objects:
        try:
            line = json.dumps(obj, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate from a "\ud800" escape: keep it escaped
            line = json.dumps(obj).encode("ascii")
        stream.write(line + b"\n")




# ---------------------------------------------------------------------------------------------
# `parley moderation ...`: the model's life cycle (evaluate, rebuild) and its data.


@click.group("moderation")
def moderation() -> None:
    """Screening quality: evaluate on test sets, rebuild the shipped model."""


@moderation.command("eval")
@click.option("--policy", "policy_path", type=click.Path(dir_okay=False, exists=True, path_type=Path), default=None,
              help="Policy to evaluate (default: the shipped one).")
@click.option("--model", "model_path", type=click.Path(dir_okay=False, exists=True, path_type=Path), default=None,
              help="Model file to evaluate instead of the policy's (a retrain); compared with the shipped one.")
@click.option("--slice", "limit", type=click.IntRange(10, None), default=None,
              help="At most this many comments per set (a stratified slice; for quick runs and CI).")
@click.option("--tuning", is_flag=True, help="Show the parts tuned on (corpus dev, suite tune) instead.")
@click.option("--json", "as_json", is_flag=True, help="Print the headline figures as JSON.")
def evaluate(policy_path: Path | None, model_path: Path | None, limit: int | None, tuning: bool,
             as_json: bool) -> None:
    """Screen the test sets and print, per set, outcomes by truth, ROC AUC, pass rates per
    functionality and bias by identity term; with --policy or --model, what changes."""
    from services.moderation.evaluation import report
    from services.moderation.screening.learned import LearnedModel

    try:
        shipped = load_policy(None)
        policy = load_policy(policy_path) if policy_path else shipped
        learned = LearnedModel.from_bytes(model_path.read_bytes()) if model_path else None
        screener = report.screener_for(policy, learned)
        baseline = report.screener_for(shipped) if (policy_path or model_path) else None
    except PolicyError as error:
        raise click.ClickException(str(error)) from error
    sets = report.test_sets(limit, tuning)
    if not as_json:
        click.echo(f"# parley moderation eval: {screener.version}"
                   + (f" against {baseline.version}" if baseline else "") + "\n")
        if not any(s.name.startswith("davidson") for s in sets):
            click.echo("(the real corpus is not here: set PARLEY_CORPORA or put ../shared/corpora beside the "
                       "checkout to evaluate on it)\n")
    results = []
    for test_set in sets:
        result = report.run(screener, test_set)
        before = report.run(baseline, test_set) if baseline else None
        if before is not None:
            report.compare(before, result)
        results.append(result)
        if not as_json:
            click.echo(report.render(result, before))
            if before is not None:
                click.echo(report.render_flips(result))
    if as_json:
        click.echo(json.dumps(report.summary(results), indent=2, sort_keys=True))


@moderation.command("tune")
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE",
              help="Override a [learned] setting, e.g. --set c=1 --set corpus_weight=0.2.")
def tune(overrides: tuple[str, ...]) -> None:
    """Sweep the learned check's `doubt` on the tuning parts only (corpus dev, suite tune,
    own sets out of fold); never on a test set. Needs the corpora."""
    import dataclasses

    from services.moderation.evaluation import tune as tuning

    try:
        policy = load_policy(None)
        changes = {}
        for override in overrides:
            key, _, value = override.partition("=")
            current = getattr(policy.learned, key)
            parse = (lambda v: tuple(int(x) for x in v.split(","))) if isinstance(current, tuple) else type(current)
            changes[key] = parse(value)
        policy = dataclasses.replace(policy, learned=dataclasses.replace(policy.learned, **changes))
        click.echo(tuning.render(tuning.views(policy)))
    except (PolicyError, AttributeError, ValueError) as error:
        raise click.ClickException(str(error)) from error


@moderation.command("train")
@click.option("--policy", "policy_path", type=click.Path(dir_okay=False, exists=True, path_type=Path), default=None)
@click.option("--decisions", type=click.Path(dir_okay=False, exists=True, path_type=Path), default=None,
              help="Moderators' decisions (parley moderation export-decisions) to learn from too.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Where to write the model (default: the policy's model file).")
@click.option("--check", is_flag=True, help="Rebuild and compare with the shipped file; exit 1 if they differ.")
def train(policy_path: Path | None, decisions: Path | None, out: Path | None, check: bool) -> None:
    """Rebuild the learned model from the corpora and the labelled sets, deterministically."""
    from services.moderation.evaluation import build, corpora

    try:
        policy = load_policy(policy_path)
        model = build.build(policy, corpora.corpus_dir(), decisions)
    except PolicyError as error:
        raise click.ClickException(str(error)) from error
    raw = model.to_bytes()
    target = out or policy.learned.path(policy.learned.model)
    if check:
        shipped = target.read_bytes() if target.exists() else b""
        if shipped != raw:
            raise click.ClickException(f"{target} differs from the rebuild ({model.model_id}); "
                                       "run `parley moderation train` and commit the file")
        click.echo(f"{target}: matches the rebuild ({model.model_id})")
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(raw)
    click.echo(f"{target}: {model.model_id}, {model.manifest['examples']} examples, {len(raw):,} bytes")


if __name__ == "__main__":
    moderate()
