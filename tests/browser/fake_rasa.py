"""A small stand-in for Rasa's REST channel, for the fast browser tests.

It speaks the shapes of CONTRACT.md (Chat): bot messages with `text`, `buttons` (plain-word
payloads, as the bot sends) and `custom.ask`, a check of answers with `custom.ask = "check"`
and the case facts in `custom.check`, a decision message with `custom.decision`, an
application confirmation with `custom.application`. It follows a fixed script to `apply` or
to `report_first`, answering buttons' payloads and typed words alike, and shows the check
before either decision. It repeats back what the resident typed at the first question (so the
tests can check that the page shows it as text), or, when that first message is frightened,
acknowledges it first: two bot messages in a row. One question sends its `custom` payload as a
separate message, as Rasa's stock REST channel does.

By default the application it confirms is a made-up one. Given `make_application`, it makes the
application as the real bot's action does (the answers and the confirmed facts, keyed by the
conversation); given `tracker`, every turn is also written where Rasa keeps conversations
(tests/browser/casework_chat.py has both).

Run on its own: .venv/bin/python tests/browser/fake_rasa.py --port 5005
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import functools
import re
import sys
import threading
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, List, Optional

from aiohttp import web

if str(Path(__file__).resolve().parents[2]) not in sys.path:  # run on its own from the repository
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from rules import load_partnership  # noqa: E402 - the words the bot sends are the partnership's

# The display words the real bot sends with a check and a decision (CONTRACT.md, Decision `words`).
EREWASH = load_partnership("erewash")

CONCERN_BUTTONS = [
    {"title": "Anti-social behaviour that keeps happening", "payload": "anti-social behaviour that keeps happening"},
    {"title": "How staff dealt with my reports", "payload": "how staff dealt with my reports"},
]

# (ask, question, buttons, what comes next on yes / on no)
QUESTIONS = {
    "concern": ("What would you like help with?", CONCERN_BUTTONS),
    "emergency": (
        "First, is anyone in immediate danger right now?",
        [
            {"title": "Yes, someone is in danger now", "payload": "yes, someone is in danger now"},
            {"title": "No", "payload": "no"},
        ],
    ),
    "asb_ongoing": (
        "Is the anti-social behaviour still happening?",
        [
            {"title": "Yes, it's still happening", "payload": "yes, it's still happening"},
            {"title": "No, it has stopped", "payload": "no, it has stopped"},
        ],
    ),
    "reported": (
        "Have you reported any of it to the council, the police or your housing provider?",
        [{"title": "Yes", "payload": "yes"}, {"title": "No, not yet", "payload": "no, not yet"}],
    ),
    "reported_to": (
        "Who did you report it to?",
        [
            {"title": "The council", "payload": "the council"},
            {"title": "The police", "payload": "the police"},
        ],
    ),
    "incident_count": ("How many separate incidents have you reported in the last six months?", []),
    "incident_dates": ("When did you report them? Give me all the dates in one message.", []),
    "incidents_related": (
        "Are these incidents about the same problem?",
        [
            {"title": "Yes, the same problem", "payload": "yes, the same problem"},
            {"title": "No, different things", "payload": "no, different things"},
        ],
    ),
    "on_behalf": (
        "Are you asking for yourself or for someone else?",
        [{"title": "For myself", "payload": "for myself"}, {"title": "For someone else", "payload": "for someone else"}],
    ),
    "consent": (
        "Have they agreed to you asking for the review for them?",
        [
            {"title": "Yes, they agreed", "payload": "yes, they agreed"},
            {"title": "No, they said no", "payload": "no, they said no"},
        ],
    ),
    "applicant_name": ("What is your full name?", []),
    "applicant_email": ("What email address can the council use to contact you?", []),
    "address": ("What is your address, including the postcode?", []),
    "confirm": ("Please check your application. Is this right?", [{"title": "Yes, send it", "payload": "yes, send it"}]),
}
CASE_ORDER = [
    "concern",
    "emergency",
    "asb_ongoing",
    "reported",
    "reported_to",
    "incident_count",
    "incident_dates",
    "incidents_related",
    "on_behalf",
    "consent",
]
APPLICATION_ORDER = ["applicant_name", "applicant_email", "address", "confirm"]

# The incidents the check shows (whatever dates were typed): three, told to different bodies, one with a reference.
INCIDENTS = [
    {"date": "2026-09-02", "reported_to": ["police", "council"], "reference": "DC-2026-4471"},
    {"date": "2026-10-14", "reported_to": ["social_landlord"], "reported_on": "2026-10-15"},
    {"date": "2026-11-03", "reported_to": ["council"]},
]
INCIDENT_LINES = [
    "  - 2 September 2026: told the police and the council (reference DC-2026-4471)",
    "  - 14 October 2026: told a social landlord",
    "  - 3 November 2026: told the council",
]
CHECK_BUTTONS = [
    {"title": "Yes, that's right", "payload": "yes, that's right"},
    {"title": "Change the incidents", "payload": "change the incidents"},
    {"title": "Change who it's for", "payload": "change who it's for"},
]
FRIGHTENED = re.compile(r"\b(scared|frightened|afraid|terrified)\b", re.I)

REPORT_FIRST = {
    "outcome": "report_first",
    "routes": ["report_first"],
    "summary": "Report the anti-social behaviour first: a case review looks at reports that were made.",
    "reasons": [
        {
            "rule": "nothing_reported",
            "text": "You have not reported any incident to the council, the police or a social landlord yet.",
        }
    ],
    "qualifying_incidents": 0,
    "window_start": "2026-05-25",
    "next_steps": [
        "Tell the council with the General Enquiries Form: https://www.erewash.gov.uk/general-enquiries.html.",
        "Call the police on 101, or 0115 907 2274 for the Community Safety Officer.",
    ],
    "assumed": ["incidents_related", "incidents[0].reported_on", "incidents[1].reported_on"],
    "rule_set": {"name": "erewash", "version": "test"},
}
REPORT_FIRST["words"] = EREWASH.words("report_first", REPORT_FIRST["assumed"])
APPLY = {
    "outcome": "apply",
    "routes": ["apply"],
    "summary": "You can apply for an ASB Case Review.",
    "reasons": [{"rule": "threshold_met", "text": "You reported 3 related incidents since 25 May 2026; the threshold is 3."}],
    "qualifying_incidents": 3,
    "window_start": "2026-05-25",
    "next_steps": ["Apply now in this chat, or contact the Community Safety Officer on 0115 907 2274."],
    "assumed": [],
    "rule_set": {"name": "erewash", "version": "test"},
}
APPLY["words"] = EREWASH.words("apply", APPLY["assumed"])


def is_yes(message: str) -> bool:
    text = message.strip().lower()
    return text in ("/affirm", "/apply_now", "apply now") or text.startswith(("y", "i have", "i rang", "it is", "still"))


# Makes the application from the contract's Application JSON; answers {reference, acknowledge_by, private_url}.
Submit = Callable[[dict], dict]


class Conversation:
    def __init__(self, submit: Optional[Submit] = None) -> None:
        self.submit = submit
        self.answers: Dict[str, str] = {}  # the application's questions, as answered
        self.asking: Optional[str] = None
        self.phase = "case"
        self.reported = True
        self.ongoing = True
        self.on_behalf = False
        self.consent: Optional[bool] = None
        self.correcting = False  # in the check: the resident is telling what to change
        self.decided = False
        self.checks_shown = 0

    def ask(self, name: str, before: Optional[List[dict]] = None) -> List[dict]:
        self.asking = name
        text, buttons = QUESTIONS[name]
        messages = list(before or [])
        if name == "incident_dates":  # the custom payload on its own, as Rasa's stock channel sends it
            messages += [{"text": text}, {"custom": {"ask": name}}]
        else:
            message = {"text": text, "custom": {"ask": name}}
            if buttons:
                message["buttons"] = buttons
            messages.append(message)
        return messages

    def facts(self) -> dict:
        facts: dict = {
            "as_of": "2026-11-25",
            "asb_ongoing": self.ongoing,
            "on_behalf": self.on_behalf,
            "incidents": copy.deepcopy(INCIDENTS) if self.reported else [],
        }
        if self.reported:
            facts["incidents_related"] = True
        if self.on_behalf and self.consent is not None:
            facts["consent"] = self.consent
        return facts

    def application_record(self) -> dict:
        """The contract's Application JSON, built as the real bot's action_submit_application builds it."""
        from groundwork.clock import today

        facts = self.facts()
        return {
            "received": today().isoformat(),
            "channel": "chat",
            "applicant": {
                "name": self.answers.get("applicant_name"),
                "email": self.answers.get("applicant_email"),
                "phone": None,
                "address": self.answers.get("address"),
            },
            "on_behalf": self.on_behalf,
            "victim": None,
            "consent": facts.get("consent") if self.on_behalf else None,
            "facts": facts,
            "description": "",
            "impact": "",
        }

    def check(self, before: Optional[List[dict]] = None) -> List[dict]:
        """The check of answers, as the bot words it: a plain-text list, the facts in `custom.check`."""
        self.asking = "check"
        self.correcting = False
        self.checks_shown += 1
        if self.reported:
            lines = ["- Incidents reported since 25 May 2026: 3", *INCIDENT_LINES, "- All about the same problem: yes"]
        else:
            lines = ["- Incidents reported: you have not reported it to anyone yet"]
        lines.append(f"- Still happening: {'yes' if self.ongoing else 'no'}")
        if self.on_behalf:
            consent = {True: "they have agreed", False: "they said no"}.get(self.consent, "not asked yet")
            lines.append(f"- Applying for: someone else ({consent})")
        else:
            lines.append("- Applying for: yourself")
        opening = (
            "Before I tell you what you can do, please check what I've understood:"
            if self.checks_shown == 1
            else "Here is what I have now:"
        )
        text = "\n".join(
            [
                opening,
                *lines,
                "",
                "Is this right? Say yes, or tell me what to change "
                "(for example \"the first one was on 3 March\" or \"I only told my landlord\").",
            ]
        )
        return list(before or []) + [
            {
                "text": text,
                "buttons": CHECK_BUTTONS,
                "custom": {"ask": "check", "check": self.facts(), "words": {"bodies": dict(EREWASH.bodies)}},
            }
        ]

    def answer_check(self, message: str) -> List[dict]:
        text = message.strip().lower()
        if self.correcting:
            if "stopped" in text:
                self.ongoing = False
            return self.check()
        if is_yes(text):
            return self.decide()
        self.correcting = True
        if text.startswith("change the incidents"):
            return [
                {
                    "text": "Tell me the incidents again: each date and who you told, for example "
                    "\"2 Sept and 14 Oct to the police, 3 Nov to the council\".",
                    "custom": {"ask": "check"},
                }
            ]
        if text.startswith("change"):
            return [
                {
                    "text": "Tell me what's different, for example \"it's for my mum and she has agreed\" "
                    "or \"it has stopped now\".",
                    "custom": {"ask": "check"},
                }
            ]
        return [{"text": "What should I change? Tell me in your own words.", "custom": {"ask": "check"}}]

    def decide(self) -> List[dict]:
        self.asking = None
        self.decided = True
        decision = APPLY if self.reported else REPORT_FIRST
        messages = [{"text": f"{decision['summary']}\n\nWhy: {decision['reasons'][0]['text']}", "custom": {"decision": decision}}]
        if decision is APPLY:
            messages.append(
                {
                    "text": "Would you like to make your application now?",
                    "buttons": [
                        {"title": "Yes, start my application", "payload": "apply now"},
                        {"title": "Not now", "payload": "not now"},
                    ],
                }
            )
        return messages

    def answer(self, message: str) -> List[dict]:
        if message == "/greet":
            self.__init__(self.submit)  # a fresh opening, wherever the sender was (junk tests send it mid-form)
            return self.ask("concern", [{"text": "Hello. I can help you find out whether you can ask for a case review."}])
        if message == "/restart":
            self.__init__(self.submit)
            return self.ask("concern", [{"text": "Let's start again."}])
        if self.decided and self.phase == "case":
            if is_yes(message):
                self.phase = "application"
                return self.ask(APPLICATION_ORDER[0])
            return [{"text": "That's fine. You can apply later."}]
        if self.phase == "application":
            if self.asking == "confirm":
                self.asking = None
                self.phase = "done"
                if self.submit is not None:
                    application = self.submit(self.application_record())
                else:
                    application = {
                        "reference": "ASB-2026-0007",
                        "acknowledge_by": "2026-12-02",
                        "private_url": "/application/test-token-123",
                    }
                return [
                    {
                        "text": f"Your application has been sent. Your reference is {application['reference']}.",
                        "custom": {"application": application},
                    }
                ]
            self.answers[self.asking] = message
            following = APPLICATION_ORDER[APPLICATION_ORDER.index(self.asking) + 1]
            return self.ask(following)
        if self.asking == "check":
            return self.answer_check(message)
        if self.asking is None:
            return [{"text": "Sorry, I didn't quite follow that."}]
        before: List[dict] = []
        text = message.strip().lower()
        if self.asking == "concern" and message not in (b["payload"] for b in CONCERN_BUTTONS):
            if FRIGHTENED.search(message):
                before.append(
                    {
                        "text": "I'm sorry this is happening to you. I'll ask a few short questions "
                        "to work out the best next step for you."
                    }
                )
            else:
                before.append({"text": f'You told me: "{message}". Thank you.'})
        if self.asking == "asb_ongoing":
            self.ongoing = is_yes(message)
        if self.asking == "reported":
            self.reported = is_yes(message)
            if not self.reported:
                return self.check()
        if self.asking == "incidents_related" and not is_yes(message):
            return [
                {
                    "text": "Are they about the same people, place or behaviour?",
                    "buttons": QUESTIONS["incidents_related"][1],
                    "custom": {"ask": "incidents_related"},
                }
            ]
        if self.asking == "on_behalf":
            self.on_behalf = "someone else" in text or text.startswith(("yes", "for my"))
            self.on_behalf = self.on_behalf and "myself" not in text
        if self.asking == "consent":
            self.consent = is_yes(message)
        position = CASE_ORDER.index(self.asking)
        following = CASE_ORDER[position + 1] if position + 1 < len(CASE_ORDER) else None
        if following == "consent" and not self.on_behalf:
            following = None
        if following is None:
            return self.check(before)
        return self.ask(following, before)


class FakeRasa:
    """The fake server, run in a thread of its own; `stop()` and `start()` make it (un)reachable."""

    def __init__(
        self,
        port: int,
        *,
        make_application: Optional[Callable[[str, dict], dict]] = None,
        tracker: Optional[Callable[[str, str, List[dict]], Awaitable[Any]]] = None,
    ) -> None:
        self.port = port
        self.make_application = make_application  # (sender id, Application JSON) -> the confirmation's application
        self.tracker = tracker  # awaited with (sender id, the message, the replies) after each turn
        self.conversations: Dict[str, Conversation] = {}
        self.received: List[dict] = []
        self.delay = 0.15  # long enough for the page's typing indicator to show
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._runner: Optional[web.AppRunner] = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/", self._hello)
        app.router.add_post("/webhooks/rest/webhook", self._webhook)
        return app

    async def _hello(self, request: web.Request) -> web.Response:
        return web.Response(text="Hello from the fake Rasa")

    async def _webhook(self, request: web.Request) -> web.Response:
        body = await request.json()
        sender, message = body["sender"], body["message"]
        self.received.append({"sender": sender, "message": message})
        await asyncio.sleep(self.delay)
        conversation = self.conversations.get(sender)
        if conversation is None:
            submit = functools.partial(self.make_application, sender) if self.make_application else None
            conversation = self.conversations[sender] = Conversation(submit)
        replies = conversation.answer(message)
        if self.tracker is not None:
            await self.tracker(sender, message, replies)
        return web.json_response([dict(recipient_id=sender, **reply) for reply in replies])

    async def _start(self) -> None:
        self._runner = web.AppRunner(self.app())
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def _stop(self) -> None:
        if self._runner:
            await self._runner.cleanup()
            self._runner = None

    def start(self) -> "FakeRasa":
        if not self._thread.is_alive():
            self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(10)
        return self

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self._stop(), self._loop).result(10)

    def close(self) -> None:
        self.stop()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

    def messages_from(self, sender: str) -> List[str]:
        return [m["message"] for m in self.received if m["sender"] == sender]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=5005)
    args = parser.parse_args()
    fake = FakeRasa(args.port).start()
    print(f"Fake Rasa at {fake.url} (Ctrl-C to stop)", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        fake.close()


if __name__ == "__main__":
    main()
