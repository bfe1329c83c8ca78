"""The runtime every channel shares: news pushed to ``deliver`` exactly once, put back when
the channel fails, remembered for typed answers, and reloads from other processes followed."""

from __future__ import annotations

from conftest import Desk, Recorder

from bot.admin import AdminCommands
from bot.core.engine import Engine
from bot.core.messages import Message
from bot.runtime import Runtime
from bot.store import Store
from bot.tickets.service import Requester


def resolved_ticket(engine: Engine, user: str = "sam") -> str:
    """``user`` asked for a person on the terminal; ann claimed and resolved it since."""
    view, _ = engine.tickets.open(Requester("cli", user, user), "general", "help")
    engine.tickets.claim(view.ref, "ann")
    engine.tickets.resolve(view.ref, "ann")
    return view.ref


def test_news_reaches_one_channels_deliver_exactly_once(
    engine: Engine, store: Store, runtime: Runtime, recorder: Recorder
) -> None:
    # A second process on the same database, pushing the same channel at the same time.
    other = Recorder()
    elsewhere = Runtime(Engine(engine.knowledge, store), other)
    ref = resolved_ticket(engine)
    assert runtime.push() + elsewhere.push() == 2
    assert runtime.push() + elsewhere.push() == 0
    texts = [text for _, text in recorder.delivered + other.delivered]
    assert len(texts) == 2 and "is now looking at your ticket" in texts[0]
    assert f"Your ticket **{ref}** has been resolved." in texts[1]
    assert {who for who, _ in recorder.delivered + other.delivered} == {"sam"}


def test_news_the_channel_could_not_deliver_is_delivered_next_round(
    engine: Engine, runtime: Runtime, recorder: Recorder
) -> None:
    recorder.fail = 1
    resolved_ticket(engine)
    assert runtime.push() == 0 and not recorder.delivered
    runtime.sync_round()
    assert [who for who, _ in recorder.delivered] == ["sam", "sam"]


def test_news_for_someone_the_channel_cannot_reach_is_not_retried_and_told_to_the_ticket(
    engine: Engine, runtime: Runtime, recorder: Recorder
) -> None:
    recorder.gone.add("sam")
    ref = resolved_ticket(engine)
    assert runtime.push() == 2 and not recorder.delivered
    recorder.gone.clear()
    assert runtime.push() == 0  # not put back: no later round would reach them
    events = engine.tickets.show(ref).events
    said = [e["text"] for e in events if e["kind"] == "unreachable"]
    assert (
        said == ["cannot reach the requester in cli (the app was removed): phone or email them"] * 2
    )


def test_a_terminal_runtime_takes_only_its_own_persons_news(
    engine: Engine, recorder: Recorder
) -> None:
    resolved_ticket(engine, "sam")
    resolved_ticket(engine, "kim")
    assert Runtime(engine, recorder, recipient="kim").push() == 2
    assert {who for who, _ in recorder.delivered} == {"kim"}


def test_a_pulled_channel_gets_news_only_for_whom_it_asks(
    engine: Engine, recorder: Recorder
) -> None:
    # The web page: a worker reaches only the visitors whose stream is open on it, so its
    # sync round must not claim everyone's news (it would only have to put it back).
    resolved_ticket(engine, "sam")
    pulled = Runtime(engine, recorder, pulled=True)
    assert pulled.push() == 0 and not recorder.delivered
    pulled.sync_round()
    assert not recorder.delivered
    assert pulled.push("sam") == 2


def test_delivered_news_knows_its_outbox_id_to_resume_after(engine: Engine) -> None:
    class Keeper:
        name = "cli"

        def __init__(self) -> None:
            self.replies = []

        def deliver(self, recipient, replies) -> None:
            self.replies.extend(replies)

        def tidy(self) -> None:
            pass

    keeper = Keeper()
    resolved_ticket(engine)
    Runtime(engine, keeper).push()
    ids = [r.meta.news_id for r in keeper.replies]
    assert len(ids) == 2 and all(isinstance(i, int) for i in ids) and ids == sorted(ids)


def test_pushed_news_buttons_answer_typed_words_next_turn(
    engine: Engine, runtime: Runtime, recorder: Recorder
) -> None:
    ref = resolved_ticket(engine)
    runtime.push()
    assert recorder.delivered[-1][1].endswith("Did this solve your problem?")
    [asked] = runtime.handle(Message(user_id="sam", text="yes"))
    assert "from 1 (poor) to 5 (great)" in asked.text
    assert engine.tickets.show(ref).solved is True


def test_a_reload_done_by_another_process_is_followed(
    folders, store: Store, knowledge, recorder: Recorder
) -> None:
    here = Engine(knowledge, store, source=folders)
    runtime = Runtime(here, recorder)
    there = Engine(knowledge, store, source=folders)
    path = folders[1] / "contacts.yaml"
    path.write_text(path.read_text().replace("name: NHSmail Helpdesk", "name: Renamed Helpdesk"))
    assert AdminCommands(there, ["UADMIN"]).run("UADMIN", "slack", "reload").allowed
    assert "Renamed Helpdesk" not in str(here.knowledge.content.contacts)
    runtime.sync_round()
    assert "Renamed Helpdesk" in str(here.knowledge.content.contacts)


def test_the_channel_is_tidied_now_and_then(runtime: Runtime, recorder: Recorder) -> None:
    runtime.sync_round(rounds=1)
    assert recorder.tidied == 0
    runtime.sync_round(rounds=1800)
    assert recorder.tidied == 1


def test_a_message_for_the_agent_reaches_the_helpdesk_from_any_channel(
    engine: Engine, store: Store, desk: Desk
) -> None:
    terminal = Runtime(engine, Recorder("cli"), recipient="sam")
    # Another process shows the tickets to the agents (Slack's helpdesk channel).
    helpdesk = Runtime(Engine(engine.knowledge, store), Recorder("slack"), helpdesk=desk)
    for text in ("talk to a person", "yes"):
        terminal.turn(Message(user_id="sam", text=text), lambda _: None)
    engine.tickets.claim("HD-000001", "ann")
    terminal.turn(Message(user_id="sam", text="it still says locked"), lambda _: None)
    helpdesk.sync_round()
    helpdesk.sync_round()
    assert desk.new == ["HD-000001"]
    assert desk.heard == [("HD-000001", "it still says locked")]
    assert desk.syncs == 2


def test_a_new_ticket_reaches_the_helpdesk_after_the_turn_that_opened_it(
    engine: Engine, recorder: Recorder, desk: Desk
) -> None:
    runtime = Runtime(engine, recorder, helpdesk=desk)
    for text in ("talk to a person", "yes"):
        runtime.turn(Message(user_id="sam", text=text), lambda _: None)
    assert desk.new == ["HD-000001"] and desk.syncs == 0
