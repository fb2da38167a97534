"""The `moderate` command: JSON Lines in, JSON Lines out, bad lines reported per line."""

import json

from click.testing import CliRunner

from services.moderation.cli import moderate


def run(lines: list[bytes], *args: str) -> list[dict]:
    result = CliRunner().invoke(moderate, list(args), input=b"\n".join(lines) + b"\n")
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_verdicts_come_back_in_input_order_with_reasons_and_scores():
    out = run([
        json.dumps({"id": "a", "text": "A civil remark about the shipyard."}).encode(),
        json.dumps({"id": 2, "text": "f*ck this"}).encode(),
        json.dumps({"id": "c", "text": "You are an idiot."}).encode(),
    ])
    assert [(o["id"], o["verdict"]) for o in out] == [("a", "approve"), (2, "reject"), ("c", "hold")]
    assert out[1]["reasons"][0]["spans"][0]["text"] == "f*ck"
    assert set(out[0]) == {"id", "verdict", "reasons", "scores", "policy_version"}
    assert "toxicity" in out[0]["scores"]


def test_invalid_lines_get_an_error_and_the_rest_are_screened():
    out = run([
        b'{"id": "ok1", "text": "fine"}',
        b"this is not json",
        b'{"id": "x"}',
        b'{"id": "y", "text": 42}',
        b'["a", "list"]',
        b'{"id": true, "text": "bool id"}',
        b'{"id": "z", "text": "hi", "mode": "sideways"}',
        b'{"id": "bad-utf8", "text": "\xff\xfe"}',
        b'{"id": "ok2", "text": "also fine"}',
    ])
    assert out[0]["id"] == "ok1" and out[-1]["id"] == "ok2"
    errors = out[1:-1]
    assert [e["line"] for e in errors] == [2, 3, 4, 5, 6, 7, 8]
    assert all(set(e) == {"line", "error"} for e in errors)


def test_lone_surrogate_escape_gets_a_verdict_and_valid_json():
    out = run([b'{"id": "s", "text": "bad \\ud800 escape and sh1t"}'])
    assert out[0]["verdict"] == "reject"


def test_mode_option_sets_the_default_mode():
    line = json.dumps({"id": "m", "text": "iiiidiot government"}).encode()
    assert run([line])[0]["verdict"] == "hold"
    assert run([line], "--mode", "post")[0]["verdict"] == "approve"


def test_article_body_makes_a_quote_harmless():
    article = "One welder said: \"They treat us like dogs here, you bastards never listen.\""
    text = "They treat us like dogs here, you bastards never listen. That line broke my heart."
    assert run([json.dumps({"id": 1, "text": text}).encode()])[0]["verdict"] == "reject"
    assert run([json.dumps({"id": 1, "text": text, "article_body": article}).encode()])[0]["verdict"] == "approve"


def test_small_batches_give_the_same_output_as_one_big_batch():
    lines = [json.dumps({"id": i, "text": t}).encode() for i, t in enumerate(
        ["civil words", "f*ck", "not json", "Send them all back", "thanks"] * 3)]
    lines[2] = b"{broken"
    assert run(lines, "--batch-size", "2") == run(lines)


def test_unreadable_policy_is_a_clean_error(tmp_path):
    result = CliRunner().invoke(moderate, ["--policy", str(tmp_path / "missing.toml")], input=b"")
    assert result.exit_code != 0
    assert "cannot read policy file" in result.output
