"""The Slack renderer: safe mrkdwn, Block Kit within Slack's limits, choices that stay usable."""

from __future__ import annotations

import copy

from bot.channels.slack.render import (
    BUTTON_ACTION,
    LINK_ACTION,
    blocks_for,
    chosen,
    escape,
    message,
    to_mrkdwn,
    user_text,
)
from bot.core.engine import Engine
from bot.core.messages import Button, Message, Reply, ReplyMeta

ZWSP = "\u200b"


def _buttons(n: int) -> tuple[Button, ...]:
    return tuple(Button(label=f"Choice {i}", value=f"v{i}", typed=str(i + 1)) for i in range(n))


def _actions(blocks: list[dict]) -> list[dict]:
    return [e for b in blocks if b["type"] == "actions" for e in b["elements"]]


def _texts(blocks: list[dict]) -> list[str]:
    return [b["text"]["text"] for b in blocks if b["type"] == "section"]


# -- escaping ---------------------------------------------------------------------------


def test_escape_turns_slack_control_characters_into_entities() -> None:
    assert escape("a & b < c > d") == "a &amp; b &lt; c &gt; d"
    assert escape("&lt;") == "&amp;lt;"  # & first, so an entity typed by a user stays literal


def test_echoed_text_cannot_mention_anyone() -> None:
    for text in ["<!channel> hi", "<@U123> hi", "hey @here", "hey @Channel", "@EVERYONE"]:
        for out in (escape(text), to_mrkdwn(text)):
            assert "<!" not in out and "<@" not in out
    assert escape("hey @here") == f"hey @{ZWSP}here"
    assert escape("hey @Channel") == f"hey @{ZWSP}Channel"


def test_email_addresses_are_not_broken_by_mention_escaping() -> None:
    assert escape("write to desk@here.org") == "write to desk@here.org"


# -- Markdown to mrkdwn -----------------------------------------------------------------


def test_bold_becomes_slack_bold() -> None:
    assert to_mrkdwn("Your **Account Secret** now") == "Your *Account Secret* now"
    assert to_mrkdwn("__bold__ text") == "*bold* text"


def test_italics_become_underscores_but_snake_case_stays() -> None:
    assert to_mrkdwn("an *important* and _quiet_ word") == "an _important_ and _quiet_ word"
    assert to_mrkdwn("set max_login_attempts and a_b_c") == "set max_login_attempts and a_b_c"
    assert to_mrkdwn("2 * 3 * 4") == "2 * 3 * 4"


def test_bold_and_italic_together_are_not_confused() -> None:
    assert to_mrkdwn("**bold** then *italic*") == "*bold* then _italic_"


def test_links_become_slack_links_with_escaped_label() -> None:
    assert to_mrkdwn("see [the portal](https://portal.nhs.net/)") == (
        "see <https://portal.nhs.net/|the portal>"
    )
    assert to_mrkdwn("[A & B](https://x.org)") == "<https://x.org|A &amp; B>"
    assert to_mrkdwn("[mail us](mailto:desk@nhs.net)") == "<mailto:desk@nhs.net|mail us>"


def test_a_url_cannot_break_out_of_its_link() -> None:
    out = to_mrkdwn("[x](https://a.org/p|q>r?s=1&t=2)")
    assert out == "<https://a.org/p%7Cq%3Er?s=1&amp;t=2|x>"


def test_links_with_other_schemes_are_left_as_text() -> None:
    assert to_mrkdwn("[x](javascript:alert(1))") == "[x](javascript:alert(1))"


def test_bare_urls_are_left_alone_even_with_underscores() -> None:
    text = "go to https://x.org/a_b_/c and https://x.org/?a=1"
    assert to_mrkdwn(text) == text


def test_bullets_keep_their_indentation() -> None:
    assert to_mrkdwn("- one\n  * two\n+ three") == "• one\n  • two\n• three"


def test_headings_become_bold_lines() -> None:
    assert to_mrkdwn("# Set up\n## The **next** step\ntext") == "*Set up*\n*The next step*\ntext"


def test_code_is_kept_as_written() -> None:
    assert to_mrkdwn("run `a *b* **c**` now") == "run `a *b* **c**` now"
    fence = "```\n- **not bold**\n*x*\n```"
    assert to_mrkdwn(f"before\n{fence}\nafter **b**") == f"before\n{fence}\nafter *b*"


def test_code_is_still_escaped() -> None:
    assert to_mrkdwn("`<!here>`") == "`&lt;!here&gt;`"


# -- one reply --------------------------------------------------------------------------


def test_reply_text_becomes_a_mrkdwn_section() -> None:
    [block] = blocks_for(Reply(text="Hello **there**"))
    assert block == {"type": "section", "text": {"type": "mrkdwn", "text": "Hello *there*"}}


def test_empty_reply_text_produces_no_section() -> None:
    assert blocks_for(Reply(text="")) == []
    assert blocks_for(Reply(text="  \n")) == []


def test_long_text_splits_into_sections_within_the_limit_without_losing_content() -> None:
    text = "\n\n".join(f"Paragraph {i}. " + "word " * 150 for i in range(10))
    assert len(text) > 7000
    sections = _texts(blocks_for(Reply(text=text)))
    assert len(sections) >= 3
    assert all(0 < len(s) <= 3000 for s in sections)
    assert "\n\n".join(sections) == text


def test_one_huge_line_is_cut_hard_but_nothing_is_lost() -> None:
    text = "x" * 7000 + "\n" + "word " * 1000
    sections = _texts(blocks_for(Reply(text=text)))
    assert all(0 < len(s) <= 3000 for s in sections)
    assert "".join("".join(sections).split()) == "".join(text.split())


def test_a_code_block_split_across_sections_is_closed_and_reopened() -> None:
    text = "```\n" + "\n".join(f"line {i} " + "x" * 60 for i in range(100)) + "\n```"
    sections = _texts(blocks_for(Reply(text=text)))
    assert len(sections) > 1
    assert all(len(s) <= 3000 and s.startswith("```") and s.endswith("```") for s in sections)


def test_buttons_get_unique_action_ids_and_keep_their_values() -> None:
    reply = Reply(text="Pick", buttons=_buttons(3))
    elements = _actions(blocks_for(reply))
    assert [e["action_id"] for e in elements] == [f"{BUTTON_ACTION}.{n}" for n in range(3)]
    assert [e["value"] for e in elements] == ["v0", "v1", "v2"]
    assert elements[0]["text"] == {"type": "plain_text", "text": "Choice 0", "emoji": True}
    assert all("style" not in e for e in elements)


def test_action_ids_count_from_start() -> None:
    elements = _actions(blocks_for(Reply(text="Pick", buttons=_buttons(2)), start=7))
    assert [e["action_id"] for e in elements] == [f"{BUTTON_ACTION}.7", f"{BUTTON_ACTION}.8"]


def test_long_labels_and_values_are_cut_to_slack_limits() -> None:
    reply = Reply(text="", buttons=(Button(label="L" * 100, value="V" * 3000, typed="1"),))
    [element] = _actions(blocks_for(reply))
    assert len(element["text"]["text"]) == 75 and len(element["value"]) == 2000


def test_thirty_buttons_make_two_actions_blocks() -> None:
    blocks = blocks_for(Reply(text="Pick", buttons=_buttons(30)))
    actions = [b for b in blocks if b["type"] == "actions"]
    assert [len(b["elements"]) for b in actions] == [25, 5]
    ids = [e["action_id"] for e in _actions(blocks)]
    assert len(set(ids)) == 30


def test_a_source_url_adds_a_link_button() -> None:
    reply = Reply(
        text="Answer", buttons=_buttons(1), meta=ReplyMeta(source="https://portal.nhs.net/")
    )
    [actions] = [b for b in blocks_for(reply) if b["type"] == "actions"]
    link = actions["elements"][-1]
    assert link["url"] == "https://portal.nhs.net/"
    assert link["action_id"].startswith(f"{LINK_ACTION}.")
    assert link["text"] == {"type": "plain_text", "text": "Open the source page"}
    assert "value" not in link


def test_a_source_url_alone_gets_its_own_actions_block() -> None:
    blocks = blocks_for(Reply(text="Answer", meta=ReplyMeta(source="https://x.org/")))
    assert [b["type"] for b in blocks] == ["section", "actions"]


def test_a_full_actions_block_pushes_the_link_button_into_a_new_one() -> None:
    reply = Reply(text="Pick", buttons=_buttons(25), meta=ReplyMeta(source="https://x.org/"))
    actions = [b for b in blocks_for(reply) if b["type"] == "actions"]
    assert [len(b["elements"]) for b in actions] == [25, 1]


def test_a_source_that_is_not_a_web_url_adds_no_button() -> None:
    blocks = blocks_for(Reply(text="Answer", meta=ReplyMeta(source="knowledge/secret.yaml")))
    assert not _actions(blocks)


def test_typed_words_are_shown_once_in_a_context_block_after_the_actions() -> None:
    reply = Reply(
        text="Step 1",
        buttons=(
            Button(label="Next step", value="flow:next", typed="next"),
            Button(label="Back", value="flow:back", typed="back"),
            Button(label="Talk to a person", value="handoff", typed="talk to a person"),
            Button(label="Onward", value="flow:next", typed="NEXT"),
        ),
    )
    blocks = blocks_for(reply)
    assert [b["type"] for b in blocks] == ["section", "actions", "context"]
    assert blocks[-1]["elements"] == [{"type": "mrkdwn", "text": "Or type: `next`"}]


def test_no_typed_hint_when_the_typed_word_is_the_position_number() -> None:
    reply = Reply(text="Pick", buttons=(Button(label="First", value="v", typed="1"),))
    assert [b["type"] for b in blocks_for(reply)] == ["section", "actions"]


def test_typed_hint_is_escaped() -> None:
    reply = Reply(text="", buttons=(Button(label="Go", value="v", typed="<!here>"),))
    hint = blocks_for(reply)[-1]["elements"][0]["text"]
    assert hint == "Or type: `&lt;!here&gt;`"


def test_the_rating_pair_is_a_row_of_its_own_under_its_question() -> None:
    from bot.core.replies import rating_buttons

    reply = Reply(
        text="Answer",
        buttons=(Button("Related", "intent:x", "1"), *rating_buttons("secret_what")),
        meta=ReplyMeta(source="https://x.org/"),
    )
    blocks = blocks_for(reply, start=4)
    assert [b["type"] for b in blocks] == ["section", "actions", "context", "actions"]
    first, rating = (b["elements"] for b in blocks if b["type"] == "actions")
    assert [e.get("value") for e in first] == ["intent:x", None]  # and the source link
    assert blocks[2]["elements"][0]["text"] == "Was this answer helpful?"
    assert [(e["text"]["text"], e["value"]) for e in rating] == [
        ("Helpful", "rate:up:secret_what"),
        ("Not helpful", "rate:down:secret_what"),
    ]
    ids = [e["action_id"] for e in _actions(blocks)]
    assert len(set(ids)) == len(ids) == 4
    # Once one is clicked, the question goes with the choices.
    after = chosen(blocks, "Helpful")
    assert [b["type"] for b in after] == ["section", "context"]
    assert after[-1]["elements"][0]["text"] == "You chose: *Helpful*"


# -- a whole message --------------------------------------------------------------------


def test_message_of_three_replies_has_unique_action_ids_and_dividers() -> None:
    replies = [Reply(text=f"Reply {i}", buttons=_buttons(3)) for i in range(3)]
    result = message(replies)
    blocks = result["blocks"]
    assert [b["type"] for b in blocks].count("divider") == 2
    ids = [e["action_id"] for e in _actions(blocks)]
    assert len(ids) == 9 and len(set(ids)) == 9
    assert result["text"] == "Reply 0"


def test_message_fallback_text_is_plain_escaped_and_short() -> None:
    result = message([Reply(text="**Account Secret** & __you__ " + "x" * 4000)])
    assert result["text"].startswith("Account Secret &amp; you ")
    assert len(result["text"]) <= 3000


def test_message_of_no_replies_is_empty() -> None:
    assert message([]) == {"text": "", "blocks": []}


def test_message_with_too_many_blocks_is_shortened_to_fifty() -> None:
    replies = [Reply(text=f"Reply {i}", buttons=_buttons(1)) for i in range(21)]
    assert sum(len(blocks_for(r)) for r in replies) + len(replies) - 1 > 60
    blocks = message(replies)["blocks"]
    assert len(blocks) == 50
    assert blocks[-1] == {
        "type": "section",
        "text": {"type": "mrkdwn", "text": "(message shortened)"},
    }


# -- after a click ----------------------------------------------------------------------


def test_chosen_removes_the_choices_and_shows_the_choice_made() -> None:
    reply = Reply(text="Pick", buttons=(Button(label="Next step", value="n", typed="next"),))
    blocks = message([reply])["blocks"]
    before = copy.deepcopy(blocks)
    after = chosen(blocks, "Next <step>")
    assert [b["type"] for b in after] == ["section", "context"]
    assert after[-1]["elements"][0]["text"] == "You chose: *Next &lt;step&gt;*"
    assert blocks == before  # the input is untouched


# -- text a person typed ----------------------------------------------------------------


def test_user_text_is_plain_text_only() -> None:
    text = "**hi** <!channel> <@U123> [x](https://evil.example) :smile:"
    blocks = user_text(text, heading="From <@U9> *Ann*")
    assert blocks[0] == {
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": "From &lt;@U9&gt; *Ann*"}],
    }
    sections = blocks[1:]
    assert sections == [
        {"type": "section", "text": {"type": "plain_text", "text": text, "emoji": False}}
    ]


def test_long_user_text_is_chunked_within_the_limit() -> None:
    blocks = user_text("line of text\n" * 1000)
    assert len(blocks) > 1
    assert all(b["text"]["type"] == "plain_text" for b in blocks)
    assert all(0 < len(b["text"]["text"]) <= 3000 for b in blocks)


def test_empty_user_text_says_so() -> None:
    assert user_text("") == [
        {"type": "section", "text": {"type": "plain_text", "text": "(empty)", "emoji": False}}
    ]


# -- real knowledge ---------------------------------------------------------------------


def test_a_real_reply_renders_within_slack_limits(engine: Engine) -> None:
    replies = engine.handle(Message(user_id="u", text="how do I set up my account secret"))
    result = message(replies)
    blocks = result["blocks"]
    assert blocks and len(blocks) <= 50
    sections = _texts(blocks)
    assert sections and all(0 < len(s) <= 3000 for s in sections)
    assert not any("**" in s for s in sections)
    buttons = _actions(blocks)
    assert buttons and all(b.get("action_id") for b in buttons)
    assert len({b["action_id"] for b in buttons}) == len(buttons)
    assert "**" not in result["text"]
