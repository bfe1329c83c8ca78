"""Conversation state and ticket button values are typed, and read what was stored before."""

from __future__ import annotations

import dataclasses

from bot.core.buttons import Feedback
from bot.core.flows import FlowState
from bot.core.handoff import Pending
from bot.core.messages import Button
from bot.core.state import State

STORED = {
    "flow": {
        "flow": "account_secret",
        "step": "can_login_existing",
        "touched": "2025-03-03T09:00:00+00:00",
        "history": ["account_type"],
        "run": 7,
        "aside": False,
    },
    "buttons": [{"label": "Yes", "value": "ticket:create", "typed": "yes"}],
    "handoff": {"category": "general", "summary": "help", "title": "General", "existing": None},
    "relay": "sent",
    "misses": 1,
    "question": "my screen is blank",
    "topic": "locked_out",
    "credential_talk": True,
}


def test_state_stored_by_the_untyped_engine_loads_and_is_stored_the_same() -> None:
    state = State.load(STORED)
    assert state.flow == FlowState(
        "account_secret", "can_login_existing", STORED["flow"]["touched"], ["account_type"], 7
    )
    assert state.buttons == (Button("Yes", "ticket:create", "yes"),)
    assert state.handoff == Pending("general", "help", "General")
    assert (state.relay, state.misses, state.credential_talk) == ("sent", 1, True)
    assert state.dump() == STORED


def test_an_empty_state_stores_nothing_and_unreadable_parts_start_afresh() -> None:
    assert State().dump() == {}
    odd = State.load({"flow": "x", "misses": "many", "relay": 3, "from": "a later version"})
    assert odd == State()
    assert State.load(None) == State()


def test_the_note_for_the_record_is_never_stored() -> None:
    assert State(unanswered_text="what they asked").dump() == {}


def test_feedback_values_are_written_and_read_in_one_place() -> None:
    solved = Feedback("solved", "HD-000001", "yes")
    assert solved.value() == "ticket:solved:HD-000001:yes"
    assert Feedback.parse(solved.value()) == solved
    assert Feedback.parse("ticket:score:HD-000001:4") == Feedback("score", "HD-000001", "4")
    for other in ("ticket:create", "ticket:askbot", "intent:locked_out", "ticket:rated:HD-1:4"):
        assert Feedback.parse(other) is None


def test_a_button_is_stored_with_every_field_it_has() -> None:
    button = Button("Yes, create a ticket", "ticket:create", "yes")
    assert button.dump() == dataclasses.asdict(button)
    assert Button(**button.dump()) == button


def test_a_walk_through_is_stored_with_every_field_it_has() -> None:
    walk = FlowState("account_secret", "rules", "2025-03-03T09:00:00+00:00", ["start"], 7, True)
    assert walk.dump() == dataclasses.asdict(walk)
    assert FlowState.load(walk.dump()) == walk
    assert walk.dump()["history"] is not walk.history  # a copy: the stored state is its own
