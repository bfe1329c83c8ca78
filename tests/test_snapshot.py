"""Built knowledge kept on disk between processes (in ``HELPBOT_MODEL_CACHE``)."""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

import pytest

from bot.config import load_settings
from bot.core import snapshot
from bot.core.engine import Knowledge
from bot.core.snapshot import KEEP, Snapshots
from bot.evaluation import load_cases
from bot.wiring import load_knowledge
from tests.conftest import INTENTS, KNOWLEDGE, PROJECT_ROOT

EVAL = PROJECT_ROOT / "tests" / "data" / "eval.yaml"


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped examples' model, trained once for these tests."""
    folder = tmp_path_factory.mktemp("trained")
    load_knowledge(settings_for((INTENTS, KNOWLEDGE), folder))
    for made in folder.glob("knowledge-*.pickle"):
        made.unlink()
    return folder


@pytest.fixture
def cache(trained: Path, tmp_path: Path) -> Path:
    """A cache folder holding the trained model and no snapshot yet."""
    return Path(shutil.copytree(trained, tmp_path / "cache"))


def settings_for(folders: tuple[Path, Path], cache: Path):  # noqa: ANN201 - Settings
    intents, knowledge = folders
    return load_settings(
        {
            "HELPBOT_INTENTS": str(intents),
            "HELPBOT_KNOWLEDGE": str(knowledge),
            "HELPBOT_MODEL_CACHE": str(cache),
        }
    )


def no_building(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(cls, content, models=None):  # noqa: ANN001, ANN202 - stands in for build
        raise AssertionError("built again although a snapshot was saved")

    monkeypatch.setattr(Knowledge, "build", classmethod(refuse))


def test_knowledge_read_from_its_snapshot_answers_exactly_as_when_built(
    cache, folders, tmp_path, monkeypatch
) -> None:
    settings = settings_for(folders, cache)
    built = load_knowledge(settings)
    assert len(list(cache.glob("knowledge-*.pickle"))) == 1
    no_building(monkeypatch)
    read = load_knowledge(settings)
    assert read is not built and read.content.intents.keys() == built.content.intents.keys()
    for case in load_cases(EVAL):
        assert read.matcher.match(case.text) == built.matcher.match(case.text), case.text


def test_an_edited_yaml_file_is_built_again_not_read_from_the_old_snapshot(
    cache, folders, tmp_path
) -> None:
    settings = settings_for(folders, cache)
    before = load_knowledge(settings)
    answers = folders[1] / "contacts.yaml"
    answers.write_text(
        answers.read_text(encoding="utf-8").replace("0333 200 1133", "0333 200 1134"),
        encoding="utf-8",
    )
    after = load_knowledge(settings)
    assert "0333 200 1134" not in repr(before.content.contacts)
    assert "0333 200 1134" in repr(after.content.contacts)
    assert len(list(cache.glob("knowledge-*.pickle"))) == 2


def test_a_snapshot_others_may_write_is_not_read(
    cache, folders, tmp_path, monkeypatch, caplog
) -> None:
    settings = settings_for(folders, cache)
    load_knowledge(settings)
    [saved] = cache.glob("knowledge-*.pickle")
    os.chmod(saved, 0o666)
    calls = []
    real = Knowledge.build.__func__

    def counted(cls, content, models=None):  # noqa: ANN001, ANN202
        calls.append(1)
        return real(cls, content, models)

    monkeypatch.setattr(Knowledge, "build", classmethod(counted))
    with caplog.at_level(logging.WARNING):
        load_knowledge(settings)
    assert calls == [1] and "may be written by others" in caplog.text


def test_a_damaged_snapshot_is_built_again_and_replaced(cache, folders, tmp_path, caplog) -> None:
    settings = settings_for(folders, cache)
    load_knowledge(settings)
    [saved] = cache.glob("knowledge-*.pickle")
    saved.write_bytes(b"not a snapshot")
    with caplog.at_level(logging.WARNING):
        again = load_knowledge(settings)
    assert "cannot be read" in caplog.text and again.matcher.match("acct secret deadline?").best
    assert Snapshots(saved.parent).load(saved.stem.removeprefix("knowledge-"), Knowledge)


def test_an_edited_walk_through_is_built_again(cache, folders, tmp_path) -> None:
    settings = settings_for(folders, cache)
    load_knowledge(settings)
    flow = folders[1] / "flows" / "account_secret.yaml"
    flow.write_text(flow.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    load_knowledge(settings)
    assert len(list(cache.glob("knowledge-*.pickle"))) == 2


def test_other_installed_packages_build_again(cache, folders, monkeypatch) -> None:
    settings = settings_for(folders, cache)
    load_knowledge(settings)
    monkeypatch.setattr(snapshot, "_libraries", lambda: "numpy upgraded since")
    load_knowledge(settings)
    assert len(list(cache.glob("knowledge-*.pickle"))) == 2


def test_only_the_newest_snapshots_are_kept(tmp_path) -> None:
    snapshots = Snapshots(tmp_path)
    for n in range(KEEP + 3):
        snapshots.save(f"key{n}", n)
        os.utime(tmp_path / f"knowledge-key{n}.pickle", (n, n))  # in order, whatever the clock
    kept = sorted(p.name for p in tmp_path.glob("knowledge-*.pickle"))
    assert len(kept) == KEEP and "knowledge-key0.pickle" not in kept


def test_with_the_cache_off_nothing_is_written(folders, tmp_path) -> None:
    intents, knowledge = folders
    settings = load_settings(
        {
            "HELPBOT_INTENTS": str(intents),
            "HELPBOT_KNOWLEDGE": str(knowledge),
            "HELPBOT_MODEL_CACHE": "off",
        }
    )
    assert load_knowledge(settings).matcher.match("acct secret deadline?").best
    assert not list(tmp_path.rglob("*.pickle"))
