// The web chat page: sends what the person types or clicks, shows the replies.
// Text is only ever inserted as text nodes (never innerHTML), so nothing a person or the
// bot writes can become markup or script.
"use strict";

(function () {
  const log = document.getElementById("log");
  const form = document.getElementById("ask");
  const input = document.getElementById("message");
  const typing = document.getElementById("typing");
  const status = document.getElementById("status");
  const UNREACHABLE = "Sorry, I couldn't reach helpbot just now. If it's urgent, " +
    "contact the helpdesk (details at the bottom of this page).";
  let busy = false;

  // -- Markdown, the subset the bot writes: paragraphs, "- " lists, **bold**, links --
  const LINK = /(https?:\/\/[^\s<>()]+[^\s<>().,;:!?'"])|\*\*([^*]+)\*\*/g;

  function inline(parent, text) {
    let last = 0;
    for (const m of text.matchAll(LINK)) {
      parent.append(document.createTextNode(text.slice(last, m.index)));
      if (m[1]) {
        const a = document.createElement("a");
        a.href = m[1];
        a.textContent = m[1];
        a.target = "_blank";
        a.rel = "noopener noreferrer";
        parent.append(a);
      } else {
        const b = document.createElement("strong");
        b.textContent = m[2];
        parent.append(b);
      }
      last = m.index + m[0].length;
    }
    parent.append(document.createTextNode(text.slice(last)));
  }

  function markdown(parent, text) {
    for (const block of text.split(/\n\s*\n/)) {
      const lines = block.split("\n").filter((l) => l.trim() !== "");
      if (!lines.length) continue;
      if (lines.every((l) => /^\s*[-*•]\s+/.test(l))) {
        const ul = document.createElement("ul");
        for (const l of lines) {
          const li = document.createElement("li");
          inline(li, l.replace(/^\s*[-*•]\s+/, ""));
          ul.append(li);
        }
        parent.append(ul);
      } else {
        const p = document.createElement("p");
        lines.forEach((l, i) => {
          if (i) p.append(document.createElement("br"));
          inline(p, l);
        });
        parent.append(p);
      }
    }
  }

  // -- the transcript --
  function bubble(from, text, plain) {
    const div = document.createElement("div");
    div.className = "bubble from-" + from;
    const who = document.createElement("span");
    who.className = "who";
    who.textContent = from === "you" ? "You said:" : "helpbot:";
    div.append(who);
    if (plain) {
      const p = document.createElement("p");
      p.textContent = text;
      div.append(p);
    } else {
      markdown(div, text);
    }
    log.append(div);
    return div;
  }

  function disableOldChoices() {
    const old = log.querySelectorAll(".choices button, .rating button, input.contact");
    for (const b of old) b.disabled = true;
  }

  // Asked whether to open a ticket: someone locked out of NHSmail needs another way to
  // hear back, so the offer gets a field of its own (sent with the "yes" click only).
  const CREATE = "ticket:create";

  function contactField(div) {
    const id = "contact-" + log.children.length;
    const label = document.createElement("label");
    label.htmlFor = id;
    label.textContent = "If you can't get into NHSmail: a phone number or personal " +
      "email the helpdesk can reach you on (optional, only the helpdesk sees it)";
    const field = document.createElement("input");
    field.id = id;
    field.type = "text";
    field.maxLength = 200;
    field.autocomplete = "off";
    field.className = "contact";
    div.append(label, field);
    return field;
  }

  function showReply(reply) {
    const div = bubble("bot", reply.text, false);
    const creates = (reply.buttons || []).some((b) => b.value === CREATE);
    const contact = creates ? contactField(div) : null;
    const buttons = reply.buttons || [];
    const choices = buttons.filter((b) => !b.value.startsWith(RATE));
    const ratings = buttons.filter((b) => b.value.startsWith(RATE));
    if (choices.length) div.append(buttonGroup("choices", "Choices", choices, contact));
    if (ratings.length) {
      // Helpful / Not helpful: a row of its own, under the question it answers.
      const group = buttonGroup("rating", RATE_QUESTION, ratings, null);
      const question = document.createElement("span");
      question.textContent = RATE_QUESTION;
      group.prepend(question);
      div.append(group);
    }
  }

  const RATE = "rate:";
  const RATE_QUESTION = "Was this answer helpful?";

  function buttonGroup(className, name, buttons, contact) {
    const group = document.createElement("div");
    group.className = className;
    group.setAttribute("role", "group");
    group.setAttribute("aria-label", name);
    for (const choice of buttons) {
      const b = document.createElement("button");
      b.type = "button";
      b.textContent = choice.label;
      b.addEventListener("click", () => {
        const body = { action: choice.value, label: choice.label };
        if (contact && choice.value === CREATE && contact.value.trim()) {
          body.contact = contact.value.trim();
        }
        send(body);
      });
      group.append(b);
    }
    return group;
  }

  function scrollDown() {
    window.scrollTo(0, document.body.scrollHeight);
  }

  // -- talking to the server --
  async function send(body) {
    if (busy) return;
    busy = true;
    status.textContent = "";
    typing.hidden = false;
    try {
      const response = await fetch("/api/messages", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(body),
        credentials: "same-origin",
      });
      const data = await response.json().catch(() => ({}));
      if (!response.ok) {
        status.textContent = data.error || UNREACHABLE;
        return;
      }
      disableOldChoices();
      bubble("you", data.you, true);
      for (const reply of data.replies) showReply(reply);
      if (body.text !== undefined) input.value = "";
      // A clicked choice is now disabled and has lost focus: keyboard users carry on
      // from the message box rather than from the top of the page.
      const focused = document.activeElement;
      if (!focused || focused === document.body || focused.disabled) input.focus();
      scrollDown();
    } catch (err) {
      status.textContent = UNREACHABLE;
    } finally {
      typing.hidden = true;
      busy = false;
    }
  }

  async function restore() {
    try {
      const response = await fetch("/api/history", { credentials: "same-origin" });
      if (!response.ok) return;
      const data = await response.json();
      for (const line of data.lines) bubble(line.from, line.text, line.from === "you");
      if (data.lines.length) scrollDown();
    } catch (err) {
      // No history is not an error worth showing: the chat still works.
    }
  }

  // News between turns (an agent's reply, a ticket update). The browser reconnects by
  // itself after a drop and says the last piece it got, so nothing is lost or repeated.
  function listen() {
    const news = new EventSource("/api/events");
    news.addEventListener("news", (event) => {
      disableOldChoices();
      showReply(JSON.parse(event.data));
      scrollDown();
    });
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (!text) {
      status.textContent = "Type a message first.";
      input.focus();
      return;
    }
    send({ text: text });
  });

  // History first: it also gives a new visitor the cookie the news stream needs.
  restore().then(listen);
})();
