"""Replies as Adaptive Cards Teams can show, and activities back as the core's messages."""

from __future__ import annotations

from bot.channels.teams.cards import (
    CARD_TYPE,
    TEXT_LIMIT,
    attachment,
    cards,
    chosen_card,
    click_of,
    size,
    text_block,
)
from bot.channels.teams.inbound import inbound, plain_text
from bot.core.messages import Button, Reply, ReplyMeta

SOURCE = "https://support.nhs.net/knowledge-base/setting-a-user-account-secret/"


def test_a_reply_is_one_card_of_schema_1_5_with_wrapped_text_buttons_and_the_source() -> None:
    reply = Reply(
        "## Your Account Secret\n\nSet it in the **portal**.",
        (Button("Yes", "yes", "1"), Button("Talk to a person", "handoff", "2")),
        ReplyMeta(source=SOURCE),
    )
    [card] = cards(reply)
    assert card["type"] == "AdaptiveCard" and card["version"] == "1.5"
    [block] = card["body"]
    assert block == {
        "type": "TextBlock",
        "text": "**Your Account Secret**\n\nSet it in the **portal**.",
        "wrap": True,
    }
    assert card["actions"] == [
        {"type": "Action.Submit", "title": "Yes", "data": {"helpbot": "yes", "label": "Yes"}},
        {
            "type": "Action.Submit",
            "title": "Talk to a person",
            "data": {"helpbot": "handoff", "label": "Talk to a person"},
        },
        {"type": "Action.OpenUrl", "title": "Open the source page", "url": SOURCE},
    ]
    assert attachment(card) == {"contentType": CARD_TYPE, "content": card}


def test_the_rating_pair_comes_last_under_its_question() -> None:
    from bot.core.replies import rating_buttons

    reply = Reply(
        "Answer", (Button("Related", "intent:x", "1"), *rating_buttons("secret_what")),
        ReplyMeta(source=SOURCE),
    )  # fmt: skip
    [card] = cards(reply)
    assert "actions" not in card  # a card's own actions would show below the rating
    text, choices, question, rating = card["body"]
    assert text["text"] == "Answer"
    assert [a.get("title") for a in choices["actions"]] == ["Related", "Open the source page"]
    assert question == {
        "type": "TextBlock", "text": "Was this answer helpful?", "wrap": True, "isSubtle": True
    }  # fmt: skip
    assert rating["type"] == "ActionSet"
    assert [a["data"]["helpbot"] for a in rating["actions"]] == [
        "rate:up:secret_what",
        "rate:down:secret_what",
    ]


def test_markup_teams_does_not_render_is_not_sent() -> None:
    assert text_block("# Title #\nsee <https://portal.nhs.net/>") == (
        "**Title**\nsee https://portal.nhs.net/"
    )


def test_a_reply_too_long_for_one_message_is_split_with_the_buttons_on_the_last() -> None:
    paragraph = "Staff in care homes need NHSmail to share information safely. " * 40
    reply = Reply("\n\n".join([paragraph] * 30), (Button("Yes", "yes", "1"),))
    made = cards(reply)
    assert len(made) > 1
    assert all(size(c) < 40_000 for c in made)
    assert all(len(c["body"][0]["text"].encode()) <= TEXT_LIMIT for c in made)
    assert "actions" not in made[0] and made[-1]["actions"][0]["title"] == "Yes"
    joined = " ".join(c["body"][0]["text"] for c in made)
    assert joined.split() == reply.text.split()  # nothing lost at the cuts


def test_a_clicked_card_becomes_the_choice_without_buttons() -> None:
    card = chosen_card("Yes, that solved it")
    assert card["body"][0]["text"] == "You chose: **Yes, that solved it**"
    assert "actions" not in card


def test_a_click_is_read_only_from_our_own_buttons_data() -> None:
    assert click_of({"helpbot": "yes", "label": "Yes"}).value == "yes"
    assert click_of({"helpbot": "", "label": "Yes"}) is None
    assert click_of({"other": "x"}) is None
    assert click_of("yes") is None


def personal(**extra: object) -> dict[str, object]:
    activity: dict[str, object] = {
        "type": "message",
        "id": "a1",
        "channelId": "msteams",
        "serviceUrl": "https://smba.trafficmanager.net/uk/",
        "from": {
            "id": "29:sam",
            "name": "Sam Carer",
            "aadObjectId": "00000000-0000-0000-0000-000000000001",
        },
        "recipient": {"id": "28:bot"},
        "conversation": {"id": "a:1", "conversationType": "personal", "tenantId": "t"},
    }
    activity.update(extra)
    return activity


def test_a_1_to_1_message_is_the_persons_own_conversation() -> None:
    found = inbound(personal(text="how do I set my <b>secret</b>?"))
    assert found is not None and found.activity_id == "a1" and found.click is None
    message = found.message
    assert (message.user_id, message.channel, message.text) == (
        "29:sam",
        "teams",
        "how do I set my secret?",
    )
    assert message.conversation_id is None and not message.shared
    assert message.display_name == "Sam Carer"


def test_a_card_click_is_the_buttons_value_with_its_label_as_text() -> None:
    found = inbound(personal(value={"helpbot": "yes", "label": "Yes"}, replyToId="r9"))
    assert found is not None and found.reply_to == "r9"
    assert (found.message.action, found.message.text) == ("yes", "Yes")


def test_a_group_chat_is_shared_and_mentions_of_the_bot_are_dropped() -> None:
    conversation = {"id": "19:g", "conversationType": "groupChat"}
    found = inbound(personal(text="<at>helpbot</at> what is nhsmail", conversation=conversation))
    assert found is not None
    assert found.message.text == "what is nhsmail"
    assert found.message.shared and found.message.conversation_id == "19:g"


def test_activities_that_are_not_messages_are_not_for_the_core() -> None:
    assert inbound(personal(type="conversationUpdate")) is None
    assert inbound({"type": "message"}) is None
    assert plain_text(None) == "" and plain_text("a &amp; b<br>c") == "a & b\nc"
