"""Guided flows as graphs: the checks ``helpbot validate`` runs and the progress count.

A flow is a small directed graph of steps. It must be a tree-like walk from the start to
one or more end steps: every step reachable, every step with a way out, no loops (the
built-in **back** is how people go back), so "Step 2 of 5" is always well defined.
"""

from __future__ import annotations

from collections.abc import Iterator

from bot.content.model import Flow, Step
from bot.core.normalise import fold

# Words every step understands, whatever its choices: a choice may not take them over.
CONTROLS: dict[str, tuple[str, ...]] = {
    "next": ("next", "continue", "carry on", "go on", "ok next", "resume", "done"),
    "back": ("back", "go back", "previous", "prev"),
    "cancel": ("cancel", "stop", "quit", "exit", "end", "cancel this", "stop this"),
    "restart": ("start again", "restart", "start over", "from the start"),
}
CONTROL_WORDS = {fold(word): name for name, words in CONTROLS.items() for word in words}


def targets(step: Step) -> list[str]:
    """The steps this step can lead to, in the order it offers them."""
    found = [choice.goto for choice in step.choices]
    if step.next:
        found.append(step.next)
    return found


def problems(flow: Flow) -> Iterator[tuple[tuple[object, ...], str]]:
    """Each problem as (location inside the flow, message); the loader adds file and line."""
    index: dict[str, int] = {}
    for i, step in enumerate(flow.steps):
        if step.id in index:
            yield (("steps", i, "id"), f"flow '{flow.id}': duplicate step id '{step.id}'")
        else:
            index[step.id] = i
    if flow.start is not None and flow.start not in index:
        yield (("start",), f"flow '{flow.id}': start step '{flow.start}' does not exist")
        return

    for i, step in enumerate(flow.steps):
        yield from _step_problems(flow, i, step, index)

    reached = _reachable(flow, index)
    for i, step in enumerate(flow.steps):
        if step.id not in reached and index.get(step.id) == i:
            yield (
                ("steps", i, "id"),
                f"flow '{flow.id}': step '{step.id}' cannot be reached from '{flow.first}'",
            )
    loop = _find_loop(flow, index)
    if loop:
        yield (
            ("steps", index[loop[0]], "id"),
            f"flow '{flow.id}': steps loop back ({' -> '.join(loop)}); people go back "
            "with the built-in 'back' instead",
        )


def _step_problems(
    flow: Flow, i: int, step: Step, index: dict[str, int]
) -> Iterator[tuple[tuple[object, ...], str]]:
    where = f"flow '{flow.id}', step '{step.id}'"
    if step.end and (step.choices or step.next):
        yield (("steps", i, "end"), f"{where}: an end step cannot also have choices or next")
    elif not step.end and not step.choices and not step.next:
        yield (
            ("steps", i, "id"),
            f"{where}: no way out; give it choices, next, or end: true",
        )
    if step.choices and step.next:
        yield (("steps", i, "next"), f"{where}: has both choices and next; use one")
    if step.next and step.next not in index:
        yield (("steps", i, "next"), f"{where}: next step '{step.next}' does not exist")
    typed_seen: dict[str, int] = {}
    for j, choice in enumerate(step.choices):
        if choice.goto not in index:
            yield (
                ("steps", i, "choices", j, "goto"),
                f"{where}: choice '{choice.label}' goes to unknown step '{choice.goto}'",
            )
        for word in (choice.typed, *choice.aliases):
            key = fold(word)
            if key in CONTROL_WORDS:
                yield (
                    ("steps", i, "choices", j),
                    f"{where}: '{word}' is a control word every step understands "
                    f"({CONTROL_WORDS[key]}); choose another typed word",
                )
            elif key.isdigit():
                yield (
                    ("steps", i, "choices", j),
                    f"{where}: '{word}' is a number; numbers pick buttons by position",
                )
            elif key in typed_seen and typed_seen[key] != j:
                yield (
                    ("steps", i, "choices", j),
                    f"{where}: '{word}' is typed for two choices",
                )
            typed_seen.setdefault(key, j)


def _reachable(flow: Flow, index: dict[str, int]) -> set[str]:
    seen = {flow.first}
    todo = [flow.first]
    while todo:
        step = flow.steps[index[todo.pop()]]
        for target in targets(step):
            if target in index and target not in seen:
                seen.add(target)
                todo.append(target)
    return seen


def _find_loop(flow: Flow, index: dict[str, int]) -> list[str] | None:
    state: dict[str, int] = {}  # 1: on the current path, 2: finished
    path: list[str] = []

    def visit(step_id: str) -> list[str] | None:
        state[step_id] = 1
        path.append(step_id)
        for target in targets(flow.steps[index[step_id]]):
            if target not in index:
                continue
            if state.get(target) == 1:
                return path[path.index(target) :] + [target]
            if target not in state:
                found = visit(target)
                if found:
                    return found
        path.pop()
        state[step_id] = 2
        return None

    for step in flow.steps:
        if step.id not in state:
            found = visit(step.id)
            if found:
                return found
    return None


def steps_to_end(flow: Flow, step_id: str) -> int:
    """How many more steps from ``step_id`` to an end along the main path.

    The main path follows each step's first choice: authors list the usual answer first,
    so most people see "step 2 of 8" count up to 8 without the total jumping about.
    """
    count = 0
    step = flow.step(step_id)
    seen = {step_id}
    while step is not None and not step.end:
        following = targets(step)[0] if targets(step) else None
        if following is None or following in seen:
            break  # a loop or dead end (validate rejects both): stop counting
        seen.add(following)
        count += 1
        step = flow.step(following)
    return count
