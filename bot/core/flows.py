"""Guided flows at run time: where a person is in a walk-through, and what each move does.

Everything specific to a flow is in its YAML; this module only knows steps, choices and
the controls every step understands (next, back, cancel, start again, talk to a person).
The position is plain data (``FlowState``) kept in the conversation's state in the
database, so a walk-through survives restarts and works across processes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Protocol

from bot.content.flowgraph import CONTROL_WORDS, steps_to_end
from bot.content.model import Flow, Step
from bot.core import replies
from bot.core.messages import Button, Reply, ReplyMeta
from bot.core.normalise import fold

PREFIX = replies.FLOW_PREFIX
START = replies.flow_start("")
MAX_LOOSE_WORDS = 4  # "yes I can" picks "yes"; a longer sentence is a question instead
NEGATIONS = frozenset("no not dont doesnt didnt cant cannot isnt never nope".split())


@dataclass
class FlowState:
    """A person's place in one flow: JSON-friendly, stored with the conversation."""

    flow: str
    step: str
    touched: str  # ISO time of the person's last message in this flow
    history: list[str] = field(default_factory=list)
    run: int | None = None  # the analytics row for this walk-through
    aside: bool = False  # a side question was answered; the step is not on screen

    @classmethod
    def load(cls, data: Any) -> FlowState | None:
        if not isinstance(data, dict):
            return None
        try:
            return cls(**data)
        except TypeError:
            return None  # state written by another version: start afresh, never crash

    def dump(self) -> dict[str, Any]:
        # Spelt out: ``asdict`` copies recursively, and this runs on every turn of a walk.
        return {
            "flow": self.flow,
            "step": self.step,
            "touched": self.touched,
            "history": list(self.history),
            "run": self.run,
            "aside": self.aside,
        }

    def idle_since(self) -> datetime | None:
        try:
            return datetime.fromisoformat(self.touched)
        except ValueError:
            return None


@dataclass(frozen=True)
class Action:
    """A decoded flow button value: ``flow:<verb>:<flow>[:<step>[:<choice>]]``."""

    verb: str  # start, resume, next, back, restart, cancel, choose
    flow: str
    step: str | None = None
    choice: int | None = None

    def value(self) -> str:
        parts = [self.verb, self.flow]
        if self.step is not None:
            parts.append(self.step)
        if self.choice is not None:
            parts.append(str(self.choice))
        return PREFIX + ":".join(parts)

    @classmethod
    def parse(cls, value: str) -> Action | None:
        if not value.startswith(PREFIX):
            return None
        parts = value.removeprefix(PREFIX).split(":")
        if len(parts) < 2 or not parts[0] or not parts[1]:
            return None
        step = parts[2] if len(parts) > 2 else None
        choice = int(parts[3]) if len(parts) > 3 and parts[3].isdigit() else None
        return cls(parts[0], parts[1], step, choice)


start_value = replies.flow_start  # channels' quick actions start flows with this


def start_button(flow: Flow, label: str | None = None) -> Button:
    return Button(label or flow.title, start_value(flow.id), "start again")


def resume_button(flow: Flow, state: FlowState) -> Button:
    return Button(
        f"Carry on with: {flow.title}", Action("resume", flow.id, state.step).value(), "continue"
    )


def typed_action(text: str, flow: Flow, state: FlowState) -> Action | None:
    """What typed text means inside a flow: a control word or one of the step's choices."""
    typed = fold(text)
    control = CONTROL_WORDS.get(typed)
    if control is not None:
        return Action(control, flow.id, state.step)
    step = flow.step(state.step)
    if step is None or state.aside:
        return None
    picked = {
        j
        for j, choice in enumerate(step.choices)
        for word in (choice.typed, choice.label, *choice.aliases)
        if fold(word) == typed
    }
    if not picked and 0 < len(typed.split()) <= MAX_LOOSE_WORDS:
        # "yes i can", "its a new one": a short reply naming exactly one choice's word,
        # but "not new" or "we do not" must not pick the choice they deny.
        words = set(typed.split())
        picked = set()
        for j, choice in enumerate(step.choices):
            vocabulary = [set(fold(w).split()) for w in (choice.typed, *choice.aliases)]
            named = any(v and v <= words for v in vocabulary)
            if named and (words & NEGATIONS) <= set().union(*vocabulary):
                picked.add(j)
    if len(picked) == 1:
        return Action("choose", flow.id, state.step, picked.pop())
    return None


def render(flow: Flow, state: FlowState, *, preface: str = "") -> Reply:
    """The step on screen: progress, its text and links, and every button it allows."""
    step = flow.step(state.step)
    assert step is not None, "callers check the step exists"
    number = len(state.history) + 1
    total = number + steps_to_end(flow, step.id)
    heading = f"**{flow.title}**: step {number} of {total}"
    if step.end:
        heading = f"**{flow.title}**: done" if not step.handoff else f"**{flow.title}**"
    text = f"{preface}\n\n" if preface else ""
    text += f"{heading}\n\n{replies.reflow(step.text)}"
    for link in step.links:
        text += f"\n\n{link.label}: {link.url}"
    buttons = _buttons(flow, state, step)
    return Reply(
        text=text,
        buttons=buttons,
        meta=ReplyMeta(
            confidence=1.0,
            handoff_offered=any(b.value == replies.HANDOFF for b in buttons),
            source=step.links[0].url if step.links else None,
            flow=flow.id,
            step=step.id,
        ),
    )


def _buttons(flow: Flow, state: FlowState, step: Step) -> tuple[Button, ...]:
    here = Action("next", flow.id, step.id)
    buttons = [
        Button(choice.label, replace(here, verb="choose", choice=j).value(), choice.typed)
        for j, choice in enumerate(step.choices)
    ]
    if step.next:
        buttons.append(Button("Next", here.value(), "next"))
    if step.handoff:
        buttons.append(replies.handoff_button())
    if step.end:
        return tuple(buttons)
    if state.history:
        buttons.append(Button("Back", replace(here, verb="back").value(), "back"))
        buttons.append(Button("Start again", replace(here, verb="restart").value(), "start again"))
    buttons.append(Button("Cancel", replace(here, verb="cancel").value(), "cancel"))
    if not step.handoff:
        buttons.append(replies.handoff_button())
    return tuple(buttons)


class RunLog(Protocol):
    """Where walk-throughs are counted (the database turn; nothing when it is down)."""

    def start_run(self, flow_id: str, step: str) -> int | None: ...

    def update_run(self, run_id: int | None, step: str, status: str | None = None) -> None: ...


class NoRuns:
    def start_run(self, flow_id: str, step: str) -> int | None:
        return None

    def update_run(self, run_id: int | None, step: str, status: str | None = None) -> None:
        return None


@dataclass
class Outcome:
    replies: list[Reply]
    state: FlowState | None  # None: no walk-through is active afterwards


def move(
    flows: Mapping[str, Flow], walk: FlowState | None, action: Action, runs: RunLog, now: str
) -> Outcome:
    """Apply one flow action (start, next, back, choose, restart, cancel, resume)."""
    flow = flows.get(action.flow)
    if flow is None:
        text = "Sorry, that walk-through is no longer available. Ask me anything, or type **help**."
        return Outcome([Reply(text)], walk)
    if action.verb == "start" or (action.verb == "resume" and not _on(walk, flow)):
        if walk is not None:
            runs.update_run(walk.run, walk.step, "abandoned")
        fresh = FlowState(flow.id, flow.first, now, run=runs.start_run(flow.id, flow.first))
        return Outcome([render(flow, fresh)], fresh)
    if walk is None or not _on(walk, flow):
        text = f"That walk-through (**{flow.title}**) has already finished."
        return Outcome([Reply(text, (start_button(flow, "Start it again"),))], walk)
    walk.touched = now
    step = flow.step(walk.step)
    assert step is not None, "the engine drops states whose step has gone"
    if action.verb == "resume":
        walk.aside = False
        return Outcome([render(flow, walk, preface="Here's where you were.")], walk)
    if action.step is not None and action.step != walk.step:
        preface = "That button is from an earlier step. Here's where you are now."
        walk.aside = False
        return Outcome([render(flow, walk, preface=preface)], walk)
    if action.verb == "cancel":
        runs.update_run(walk.run, walk.step, "cancelled")
        text = (
            f"OK, I've stopped **{flow.title}**. Ask me anything else, or type **help**. "
            "You can start it again at any time."
        )
        return Outcome([Reply(text, (start_button(flow, "Start it again"),))], None)
    if action.verb == "restart":
        walk.history.clear()
        return _arrive(flow, walk, flow.first, runs, remember=False)
    if action.verb == "back":
        if not walk.history:
            return Outcome([render(flow, walk, preface="This is the first step.")], walk)
        return _arrive(flow, walk, walk.history.pop(), runs, remember=False)
    if action.verb == "choose" and action.choice is not None and action.choice < len(step.choices):
        return _arrive(flow, walk, step.choices[action.choice].goto, runs)
    if action.verb == "next" and walk.aside:
        walk.aside = False
        return Outcome([render(flow, walk, preface="Here's where you were.")], walk)
    if action.verb == "next" and step.next:
        return _arrive(flow, walk, step.next, runs)
    preface = "Please choose one of the options below."
    return Outcome([render(flow, walk, preface=preface)], walk)


def _on(walk: FlowState | None, flow: Flow) -> bool:
    return walk is not None and walk.flow == flow.id


def _arrive(
    flow: Flow, walk: FlowState, target: str, runs: RunLog, *, remember: bool = True
) -> Outcome:
    if remember:
        walk.history.append(walk.step)
    walk.step = target
    walk.aside = False
    step = flow.step(target)
    assert step is not None, "validate rejects unknown targets"
    reply = render(flow, walk)
    if step.end:
        runs.update_run(walk.run, target, "completed")
        return Outcome([reply], None)
    runs.update_run(walk.run, target)
    return Outcome([reply], walk)
