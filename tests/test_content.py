"""Loading and validating the YAML: every problem as file:line: message."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.content.loader import ContentInvalid, load_content


def problems(intents: Path, knowledge: Path) -> list[str]:
    with pytest.raises(ContentInvalid) as caught:
        load_content(intents, knowledge)
    return [str(p) for p in caught.value.problems if p.severity == "error"]


def test_shipped_content_is_valid_and_covers_every_intent(content) -> None:
    for intent in content.intents.values():
        assert intent.out_of_scope or intent.answer in content.answers or intent.flow or intent.does
        assert intent.flow is None or intent.flow in content.flows
        assert len(intent.examples) >= 8, intent.id
    assert {c.email for c in content.contacts} >= {"helpdesk@nhs.net", "helpdesk@linca.org.uk"}
    assert set(content.flows) == {"account_secret", "get_nhsmail"}


def test_bad_indentation_names_file_and_line(folders) -> None:
    intents, knowledge = folders
    (intents / "broken.yaml").write_text(
        "intents:\n  - id: broken\n    title: Broken\n   answer: nhsmail_what\n"
    )
    [problem] = problems(intents, knowledge)
    assert problem.startswith(f"{intents / 'broken.yaml'}:4: ")


def test_missing_field_names_file_line_and_field(folders) -> None:
    intents, knowledge = folders
    (intents / "missing.yaml").write_text(
        "intents:\n"
        "  - id: first\n    title: First\n    answer: nhsmail_what\n    examples: [a b c]\n"
        "  - id: no_title\n    answer: nhsmail_what\n    examples: [d e f]\n"
    )
    [problem] = problems(intents, knowledge)
    assert problem.startswith(f"{intents / 'missing.yaml'}:6: ")
    assert "title" in problem and "Field required" in problem


def test_unknown_answer_reference_is_an_error(folders) -> None:
    intents, knowledge = folders
    (intents / "dangling.yaml").write_text(
        "intents:\n\n  - id: dangling\n    title: Dangling\n    answer: no_such_answer\n"
        "    examples: [x y z]\n"
    )
    [problem] = problems(intents, knowledge)
    assert problem == (
        f"{intents / 'dangling.yaml'}:3: intent 'dangling' refers to unknown answer "
        "'no_such_answer'"
    )


def test_duplicate_intent_id_is_an_error(folders) -> None:
    intents, knowledge = folders
    (intents / "dup.yaml").write_text(
        "intents:\n  - id: secret_what\n    title: Again\n    answer: secret_what\n"
        "    examples: [something new entirely]\n"
    )
    [problem] = problems(intents, knowledge)
    assert problem.startswith(f"{intents / 'dup.yaml'}:2: duplicate intent id 'secret_what'")
    assert "account_secret.yaml" in problem


def test_example_shared_by_two_intents_is_an_error(folders) -> None:
    intents, knowledge = folders
    (intents / "shared.yaml").write_text(
        "intents:\n  - id: copycat\n    title: Copycat\n    answer: secret_what\n"
        "    examples:\n      - something original\n      - What is an ACCOUNT secret?\n"
    )
    [problem] = problems(intents, knowledge)
    assert problem.startswith(f"{intents / 'shared.yaml'}:7: example 'What is an ACCOUNT secret?'")
    assert "secret_what" in problem


def test_unknown_field_and_related_reference_are_errors(folders) -> None:
    intents, knowledge = folders
    (knowledge / "extra.yaml").write_text(
        "answers:\n  - id: extra\n    text: Hi\n    related: [nope]\n    colour: blue\n"
    )
    [problem] = problems(intents, knowledge)
    assert problem.startswith(f"{knowledge / 'extra.yaml'}:5: answers.0.colour: unknown field")


def test_all_problems_are_reported_at_once(folders) -> None:
    intents, knowledge = folders
    (intents / "a.yaml").write_text("intents: [")
    (knowledge / "b.yaml").write_text("answers:\n  - id: Bad Id\n    text: x\n")
    found = problems(intents, knowledge)
    assert len(found) == 2
    assert found[0].startswith(str(intents / "a.yaml"))
    assert found[1].startswith(f"{knowledge / 'b.yaml'}:2:")


def test_reload_keeps_last_good_version_on_error(engine, folders) -> None:
    from bot.core.engine import Engine
    from bot.core.messages import Message

    intents, knowledge = folders
    live = Engine.from_folders(intents, knowledge, engine.store)
    (intents / "broken.yaml").write_text("intents:\n  - id: x\n   bad: indent\n")
    with pytest.raises(ContentInvalid):
        live.reload()
    [reply] = live.handle(Message(user_id="u", text="how do i apply for nhsmail"))
    assert reply.meta.intent == "nhsmail_apply"
    (intents / "broken.yaml").unlink()
    assert live.reload().intents.keys() == live.knowledge.content.intents.keys()


THIRD_FLOW = """\
flows:
  - id: printer
    title: Fix the printer
    steps:
      - id: ask
        text: Is it plugged in?
        choices:
          - {label: "Yes", typed: "yes", goto: done}
          - {label: "No", typed: "no", goto: plug}
      - id: plug
        text: Plug it in.
        next: done
      - id: done
        text: All done.
        end: true
"""


def write_flow(knowledge: Path, text: str, name: str = "printer.yaml") -> Path:
    path = knowledge / "flows" / name
    path.write_text(text)
    return path


def test_a_valid_flow_loads(folders) -> None:
    intents, knowledge = folders
    write_flow(knowledge, THIRD_FLOW)
    assert "printer" in load_content(intents, knowledge).flows


def test_validate_rejects_a_dangling_step_with_file_and_line(folders, helpbot) -> None:
    intents, knowledge = folders
    path = write_flow(knowledge, THIRD_FLOW.replace("next: done", "next: dnoe"))
    result = helpbot("validate", "--intents", str(intents), "--knowledge", str(knowledge))
    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"{path}:12: flow 'printer', step 'plug': next step 'dnoe' does not exist"
    )


@pytest.mark.parametrize(
    ("change", "line", "message"),
    [
        (("goto: plug", "goto: nowhere"), 9, "goes to unknown step 'nowhere'"),
        (("goto: plug", "goto: done"), 10, "step 'plug' cannot be reached from 'ask'"),
        (("        next: done\n", ""), 10, "step 'plug': no way out"),
        (("id: done", "id: plug"), 13, "duplicate step id 'plug'"),
        (("next: done", "next: ask"), 5, "steps loop back (ask -> plug -> ask)"),
        (('typed: "no"', "typed: back"), 9, "'back' is a control word"),
        (('typed: "no"', 'typed: "yes"'), 9, "'yes' is typed for two choices"),
        (("end: true", "end: true\n        next: ask"), 15, "an end step cannot also have"),
        (("    title: Fix", "    start: nope\n    title: Fix"), 3, "start step 'nope' does not"),
    ],
)
def test_broken_flows_are_reported_at_their_line(folders, change, line, message) -> None:
    intents, knowledge = folders
    path = write_flow(knowledge, THIRD_FLOW.replace(*change))
    found = problems(intents, knowledge)
    assert any(p.startswith(f"{path}:{line}: ") and message in p for p in found), found


def test_duplicate_flow_ids_and_unknown_flow_references_are_errors(folders) -> None:
    intents, knowledge = folders
    write_flow(knowledge, THIRD_FLOW)
    copy = write_flow(knowledge, THIRD_FLOW, "zz_copy.yaml")
    (intents / "printer.yaml").write_text(
        "intents:\n  - id: printer_help\n    title: Printer?\n    flow: printr\n"
        "    examples: [my printer is broken]\n"
    )
    found = problems(intents, knowledge)
    assert any(p.startswith(f"{copy}:2: duplicate flow id 'printer'") for p in found), found
    assert any("intent 'printer_help' starts unknown flow 'printr'" in p for p in found), found


def test_an_unquoted_no_in_a_flow_gets_a_hint_to_quote_it(folders) -> None:
    intents, knowledge = folders
    path = write_flow(knowledge, THIRD_FLOW.replace('label: "No"', "label: No"))
    [problem] = [p for p in problems(intents, knowledge) if "choices" in p]
    assert problem.startswith(f"{path}:9: flows.0.steps.0.choices.1.label: ")
    assert "put it in quotes" in problem


# --- What `helpbot validate` catches, in an admin's words (issue 11, item 6) ---------------


def edit(path: Path, old: str, new: str) -> Path:
    """Change one thing in a copied content file; the test fails if ``old`` is not there."""
    text = path.read_text()
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new))
    return path


def test_a_duplicate_key_names_both_lines(folders) -> None:
    intents, knowledge = folders
    path = edit(knowledge / "nhsmail.yaml", "    offer_handoff: true\n", "    text: Hello\n")
    [problem] = problems(intents, knowledge)
    assert problem == (
        f"{path}:80: 'text' appears twice in the same block (first on line 73); YAML would "
        "silently use only this one, so remove or rename one of them"
    )


def test_a_duplicate_key_in_a_flow_style_mapping_is_an_error(folders) -> None:
    intents, knowledge = folders
    path = write_flow(knowledge, THIRD_FLOW.replace("goto: done}", "goto: done, goto: plug}"))
    [problem] = problems(intents, knowledge)
    assert problem.startswith(
        f"{path}:8: 'goto' appears twice in the same block (first on line 8);"
    )


def test_merge_keys_may_still_override_a_key(tmp_path) -> None:
    from bot.content.yamlfile import read_yaml

    path = tmp_path / "merge.yaml"
    path.write_text("base: &base {a: 1, b: 2}\nother:\n  <<: *base\n  a: 3\n")
    assert read_yaml(path)["other"] == {"a": 3, "b": 2}


def test_an_unknown_placeholder_in_an_answer_is_an_error_at_its_own_line(folders) -> None:
    intents, knowledge = folders
    path = edit(knowledge / "nhsmail.yaml", "{contacts}", "{contact}")
    [problem] = problems(intents, knowledge)
    assert problem == (
        f"{path}:76: answer 'helpdesk_contact': unknown placeholder {{contact}}, people would "
        "see it as typed; did you mean {contacts}? (known placeholders: {contacts}, "
        "{local_team})"
    )


@pytest.mark.parametrize(
    ("change", "line", "owner"),
    [
        (("Is it plugged in?", "Is it {plugged} in?"), 6, "flow 'printer', step 'ask'"),
        (("Fix the printer", "Fix the {printer}"), 3, "flow 'printer' title"),
        (('label: "No"', 'label: "{No}"'), 9, "flow 'printer', step 'ask', choice label"),
        (
            ("text: Plug it in.", "text: |\n          Plug it in.\n          Then { Contacts }."),
            13,
            "flow 'printer', step 'plug'",
        ),
    ],
)
def test_unknown_placeholders_in_flows_are_errors(folders, change, line, owner) -> None:
    intents, knowledge = folders
    path = write_flow(knowledge, THIRD_FLOW.replace(*change))
    [problem] = problems(intents, knowledge)
    assert problem.startswith(f"{path}:{line}: {owner}: unknown placeholder {{"), problem
    if "step" in owner and "choice" not in owner:
        assert problem.endswith("(known placeholders: {local_team})"), problem
    else:
        assert problem.endswith(
            "(placeholders work only in answer text: {contacts}, {local_team})"
        ), problem


def test_contacts_placeholder_in_a_flow_step_is_not_filled_in_so_it_is_an_error(folders) -> None:
    intents, knowledge = folders
    path = write_flow(knowledge, THIRD_FLOW.replace("text: All done.", "text: Ask {contacts}"))
    [problem] = problems(intents, knowledge)
    assert problem == (
        f"{path}:14: flow 'printer', step 'done': {{contacts}} is only filled in in answer "
        "text; here people would see it as typed"
    )


def test_unknown_placeholders_in_titles_and_contacts_are_errors(folders) -> None:
    intents, knowledge = folders
    title = edit(intents / "tickets.yaml", "title: What", "title: Hi {name}, what")
    contact = edit(knowledge / "contacts.yaml", "name: NHSmail Helpdesk", "name: The {helpdesk}")
    found = problems(intents, knowledge)
    assert [p.split(": ", 1)[0] for p in found] == [f"{title}:4", f"{contact}:5"], found
    assert "unknown placeholder {name}" in found[0]
    assert "contact 'nhsmail_helpdesk' name: unknown placeholder {helpdesk}" in found[1]


def test_braces_that_are_not_placeholders_are_ordinary_text(folders) -> None:
    intents, knowledge = folders
    (knowledge / "braces.yaml").write_text(
        "answers:\n  - id: braces\n    text: 'Type { } or {a, b} or {1}; ask {contacts}'\n"
    )
    assert "braces" in load_content(intents, knowledge).answers


def test_every_placeholder_validate_accepts_is_filled_in_answers(folders) -> None:
    from bot.content.placeholders import IN_ANSWERS
    from bot.core import replies

    intents, knowledge = folders
    (knowledge / "all.yaml").write_text(
        "answers:\n  - id: all\n    text: 'Here: " + " and ".join(IN_ANSWERS) + "'\n"
    )
    edit(intents / "nhsmail.yaml", "answer: helpdesk_contact", "answer: all")
    content = load_content(intents, knowledge)
    text = replies.answer(content, "helpdesk_contact", 1.0).text
    assert not any(placeholder in text for placeholder in IN_ANSWERS)
    assert "helpdesk@nhs.net" in text and "helpdesk@linca.org.uk" in text


def test_a_deployment_names_its_own_team_by_changing_one_contact(folders) -> None:
    intents, knowledge = folders
    edit(knowledge / "contacts.yaml", "name: Care in Lincs Digital Team", "name: Acme Care IT")
    edit(knowledge / "contacts.yaml", "email: helpdesk@linca.org.uk", "email: it@acme.example")
    content = load_content(intents, knowledge)
    steps = [s.text for f in content.flows.values() for s in f.steps]
    texts = [a.text for a in content.answers.values()] + steps
    assert any("**Acme Care IT** (it@acme.example)" in t for t in steps)
    assert "**Acme Care IT** (it@acme.example)" in content.answers["nhsmail_check_org"].text
    assert not any("{local_team}" in t for t in texts)
    assert not any("Lincs" in t or "linca" in t for t in texts)


def test_local_team_without_a_local_contact_is_an_error_naming_where(folders) -> None:
    intents, knowledge = folders
    edit(knowledge / "contacts.yaml", "    local: true\n", "")
    found = problems(intents, knowledge)
    assert any(
        "flow 'get_nhsmail' says {local_team} but no contact is marked local: true" in p
        and p.startswith(str(knowledge / "flows" / "get_nhsmail.yaml"))
        for p in found
    ), found


def test_two_local_contacts_are_an_error(folders) -> None:
    intents, knowledge = folders
    edit(
        knowledge / "contacts.yaml",
        "    use_for: applying for NHSmail and problems with your account\n",
        "    use_for: applying for NHSmail and problems with your account\n    local: true\n",
    )
    found = problems(intents, knowledge)
    assert any("only one contact may be local: true" in p for p in found), found


# A long answers file (61 lines); a test opens a quote on line 9 and never closes it.
LONG_ANSWERS = "answers:\n" + "".join(
    f"  - id: answer_{n}\n    text: Plain answer {n}.\n    related: []\n" for n in range(1, 21)
)


def test_an_unclosed_quote_is_reported_where_it_opened(folders) -> None:
    intents, knowledge = folders
    path = knowledge / "long.yaml"
    path.write_text(LONG_ANSWERS.replace("text: Plain answer 3.", 'text: "It is'))
    lines = path.read_text().splitlines()
    assert len(lines) == 61 and lines[8] == '    text: "It is'
    [problem] = problems(intents, knowledge)
    assert problem == f'{path}:9: a quote (") opened here is never closed'


def test_a_quote_closed_by_a_later_line_is_reported_where_it_opened(folders) -> None:
    intents, knowledge = folders
    path = edit(
        knowledge / "nhsmail.yaml", "    text: |\n      **Any", '    text: "It is\n      **Any'
    )
    [problem] = problems(intents, knowledge)
    assert problem == (
        f'{path}:12: a quote (") opened here is never closed; YAML takes everything up to '
        'the next " (line 52) as one value'
    )


def test_an_apostrophe_closing_a_single_quote_early_is_explained(folders) -> None:
    intents, knowledge = folders
    path = edit(
        knowledge / "nhsmail.yaml", "    text: |\n      **Any", "    text: 'It's\n      **Any"
    )
    [problem] = problems(intents, knowledge)
    assert problem == (
        f"{path}:12: text after a closing quote; quote the whole value (inside '...', write "
        "an apostrophe as '')"
    )


@pytest.mark.parametrize(
    ("old", "new", "line", "message"),
    [
        (
            "    title: Fix the printer\n",
            "   title: Fix the printer\n",
            3,
            "this line's indentation does not match the lines above it",
        ),
        (
            "    title: Fix the printer\n",
            "    title: Fix the printer\n      start: ask\n",
            4,
            "this key is indented further than the line above, so YAML reads it as part of "
            "that value; line it up with its neighbours",
        ),
        (
            "text: Plug it in.",
            "text: Note: plug it in.",
            11,
            "a ': ' inside this value makes YAML read a key; put the value in quotes",
        ),
        (
            "        next: done",
            "\tnext: done",
            12,
            "a tab character: YAML indents with spaces only",
        ),
        (
            "text: All done.",
            "text: @done",
            14,
            "a value cannot start with @; put the value in quotes",
        ),
        (
            "text: All done.",
            "text: *done* now",
            14,
            "a value cannot start with * (YAML reads * as an alias or anchor); "
            "put the value in quotes",
        ),
        (
            '{label: "Yes", typed: "yes", goto: done}',
            '{label: "Yes", typed: "yes", goto: done',
            8,
            "a { opened here is not closed before the next key; close it, or put the value in "
            "quotes if the bracket is part of the text",
        ),
        (
            "text: Plug it in.",
            'text: "Plug \\it in."',
            11,
            '"\\i" is not allowed inside double quotes; use single quotes, or write the '
            "backslash twice",
        ),
        (
            "        next: done\n",
            "        next done\n",
            12,
            "this line has no ':' after its key; if it continues the text above, indent it as "
            "far as that text",
        ),
        (
            "text: All done.",
            "text: | All done.",
            14,
            "text after | or > must start on the next line",
        ),
        (
            "text: All done.",
            "text: [Done], all good",
            14,
            "text after a closing bracket: a value starting with [ or { is read as a list or "
            "mapping; put the whole value in quotes",
        ),
    ],
)
def test_yaml_mistakes_are_explained_in_plain_words_at_their_line(
    folders, old, new, line, message
) -> None:
    intents, knowledge = folders
    path = write_flow(knowledge, THIRD_FLOW)
    edit(path, old, new)
    assert problems(intents, knowledge) == [f"{path}:{line}: {message}"]


def test_an_unclosed_bracket_at_the_end_of_a_file_is_reported_where_it_opened(folders) -> None:
    intents, knowledge = folders
    path = write_flow(knowledge, THIRD_FLOW + "    extra: [a, b\n")
    assert problems(intents, knowledge) == [f"{path}:16: a [ opened here is never closed"]


def test_text_that_is_not_utf8_names_the_line(folders) -> None:
    intents, knowledge = folders
    path = write_flow(knowledge, "")
    path.write_bytes(THIRD_FLOW.replace("All done.", "All d\xf6ne.").encode("latin-1"))
    assert problems(intents, knowledge) == [f"{path}:14: not UTF-8 text; save the file as UTF-8"]


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "id: plug\n",
            "id: Plug It\n",
            "flows.0.steps.1.id: should be an id: lower-case letters, digits and _, starting "
            "with a letter (e.g. nhsmail_apply)",
        ),
        (
            "text: Plug it in.",
            "text: {contacts}",
            "flows.0.steps.1.text: should be text, but YAML read a mapping (the value starts "
            "with { or has ': ' in it); put the text in quotes",
        ),
        ("text: Plug it in.", "text:", "flows.0.steps.1.text: is empty"),
    ],
)
def test_wrong_values_are_explained_in_plain_words(folders, old, new, message) -> None:
    intents, knowledge = folders
    path = write_flow(knowledge, THIRD_FLOW)
    edit(path, old, new)
    line = 10 if "id:" in old else 11
    assert problems(intents, knowledge) == [f"{path}:{line}: {message}"]


@pytest.mark.parametrize(
    "name",
    [
        "intents/nhsmail.yaml",
        "knowledge/nhsmail.yaml",
        "knowledge/contacts.yaml",
        "knowledge/flows/get_nhsmail.yaml",
    ],
)
def test_a_broken_file_gives_exactly_one_error_and_no_follow_on_errors(folders, name) -> None:
    intents, knowledge = folders
    path = intents.parent / name
    path.write_text(path.read_text().replace("  - id: ", '  - id: "', 1))
    found = problems(intents, knowledge)
    assert len(found) == 1 and found[0].startswith(f"{path}:"), found
    assert "never closed" in found[0]


def test_a_file_with_a_wrong_value_hides_no_real_errors_and_adds_none(folders) -> None:
    intents, knowledge = folders
    broken = edit(knowledge / "nhsmail.yaml", "    offer_handoff: true\n", "    offer_handoff: 7\n")
    dangling = intents / "dangling.yaml"
    dangling.write_text(
        "intents:\n  - id: dangling\n    title: Dangling\n    answer: nhsmail_wht\n"
        "    examples: [x y z]\n"
    )
    assert problems(intents, knowledge) == [
        f"{broken}:80: answers.8.offer_handoff: should be true or false",
        f"{dangling}:2: intent 'dangling' refers to unknown answer 'nhsmail_wht'",
    ]


def test_validate_prints_one_plain_line_for_a_broken_file(folders, helpbot) -> None:
    intents, knowledge = folders
    path = edit(
        knowledge / "nhsmail.yaml", "    text: |\n      **Any", '    text: "It is\n      **Any'
    )
    result = helpbot("validate", "--intents", str(intents), "--knowledge", str(knowledge))
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == (
        f'{path}:12: a quote (") opened here is never closed; YAML takes everything up to '
        'the next " (line 52) as one value\n'
    )


def test_reload_keeps_last_good_version_on_a_duplicate_key(engine, folders) -> None:
    from bot.core.engine import Engine
    from bot.core.messages import Message

    intents, knowledge = folders
    live = Engine.from_folders(intents, knowledge, engine.store)
    edit(
        intents / "nhsmail.yaml",
        "    answer: nhsmail_apply\n",
        "    answer: nhsmail_apply\n    answer: nhsmail_what\n",
    )
    with pytest.raises(ContentInvalid) as caught:
        live.reload()
    assert "'answer' appears twice" in str(caught.value)
    [reply] = live.handle(Message(user_id="u", text="how do i apply for nhsmail"))
    assert reply.meta.intent == "nhsmail_apply"
    assert reply.text.startswith("To apply for an NHSmail account")


def test_answers_show_their_source_and_when_it_was_last_reviewed(content) -> None:
    from bot.core import replies

    dated = [
        (intent.id, content.answers[intent.answer])
        for intent in content.intents.values()
        if intent.answer and content.answers[intent.answer].source_date
    ]
    assert len(dated) >= 5
    for intent_id, answer in dated:
        text = replies.answer(content, intent_id, 1.0).text
        when = answer.source_date
        assert f"Source: {answer.source} (reviewed {when.day} {when:%B %Y})" in text


def test_every_answer_beyond_the_seed_names_an_official_source(content) -> None:
    beyond = [a for a in content.answers.values() if a.id.startswith(("account_", "mfa_"))]
    beyond += [content.answers[i] for i in ("password_rules", "first_login", "find_local_admin")]
    assert len(beyond) >= 10
    for answer in beyond:
        assert answer.source and answer.source.startswith("https://support.nhs.net/"), answer.id


ABBREVIATIONS = {
    "LA": "Local Administrator (LA)",
    "MFA": "multi-factor authentication (MFA)",
    "NAS": "National Administration Service (NAS)",
    "CQC": "Care Quality Commission (CQC)",
    "ICB": "Integrated Care Board (ICB)",
    "CSU": "Commissioning Support Unit (CSU)",
}


def test_abbreviations_are_spelt_out_where_an_answer_first_uses_them(content) -> None:
    import re

    unexplained = []
    for answer in content.answers.values():
        text = answer.text.replace("**", "").replace("\n", " ")
        text = re.sub(r"\s+", " ", text)
        for short, long in ABBREVIATIONS.items():
            first = re.search(rf"(?<![\w(]){short}\b", text)
            if first is None:
                continue
            spelt = text.lower().find(long.lower())
            if spelt == -1 or spelt > first.start():
                unexplained.append(f"{answer.id}: {short}")
    assert unexplained == []


def test_the_running_bots_classes_hold_every_field_the_schema_checks() -> None:
    # The YAML is checked by pydantic (bot.content.schema) and held as plain dataclasses
    # (bot.content.model), so that a process reading a snapshot never imports pydantic.
    # A field added to one and not the other would be dropped or fail on load.
    from dataclasses import MISSING, fields

    from bot.content import model, schema

    for name in ("Intent", "Answer", "Contact", "Synonyms", "Choice", "Link", "Step", "Flow"):
        checked, held = getattr(schema, name), getattr(model, name)
        defaults = {
            f.name: f.default if f.default is not MISSING else f.default_factory()
            for f in fields(held)
            if f.default is not MISSING or f.default_factory is not MISSING
        }
        assert {f.name for f in fields(held)} == set(checked.model_fields), name
        for field_name, info in checked.model_fields.items():
            if info.is_required():
                assert field_name not in defaults, (name, field_name)
            else:
                assert defaults[field_name] == info.get_default(call_default_factory=True), (
                    name,
                    field_name,
                )
