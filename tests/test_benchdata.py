"""The synthetic knowledge that ``helpbot bench --synthetic N`` measures the matcher on."""

from __future__ import annotations

from pathlib import Path

from bot.benchdata import generate
from bot.content.loader import load_content


def test_synthetic_knowledge_loads_with_answers_sources_and_near_misses(tmp_path: Path) -> None:
    made = generate(600, tmp_path)
    content = load_content(tmp_path / "intents", tmp_path / "knowledge")
    assert made.examples == sum(len(i.examples) for i in content.intents.values()) == 600
    assert made.intents == len(content.intents) >= 12
    assert not content.warnings
    in_scope = [i for i in content.intents.values() if not i.out_of_scope]
    assert len(in_scope) < len(content.intents)  # some near misses, as real knowledge has
    for intent in in_scope:
        answer = content.answer_for(intent.id)
        assert answer is not None and answer.source and answer.source.startswith("https://")
    # Topic words recur across intents, and the vocabulary has a long tail.
    counts: dict[str, int] = {}
    for intent in content.intents.values():
        for word in {w for e in intent.examples for w in e.split()}:
            counts[word] = counts.get(word, 0) + 1
    assert max(counts.values()) > len(content.intents) / 3
    assert len(counts) > 400 and sum(1 for c in counts.values() if c == 1) > 100


def test_the_same_size_writes_the_same_files(tmp_path: Path) -> None:
    generate(300, tmp_path / "a")
    generate(300, tmp_path / "b")
    for name in ("intents/synthetic.yaml", "knowledge/synthetic.yaml"):
        assert (tmp_path / "a" / name).read_text() == (tmp_path / "b" / name).read_text()


def test_bench_runs_on_synthetic_knowledge_and_on_a_knowledge_folder(
    helpbot, tmp_path: Path
) -> None:
    result = helpbot("bench", "--synthetic", "300", "--keep", str(tmp_path / "kb"))
    assert result.returncode == 0, result.stderr
    assert "synthetic knowledge: 12 intents, 300 examples" in result.stdout
    for line in ("build: YAML", "match latency", "match CPU time", "per message", "peak RSS"):
        assert line in result.stdout
    again = helpbot("bench", "--knowledge", str(tmp_path / "kb"))
    assert again.returncode == 0, again.stderr
    assert "knowledge: 12 intents, 300 examples" in again.stdout
    assert "model read from the model cache" in again.stdout
