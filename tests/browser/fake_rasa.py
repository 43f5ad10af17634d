"""A small stand-in for Rasa's REST channel, for the fast browser tests.

It speaks the shapes of CONTRACT.md (Chat): bot messages with `text`, `buttons` and
`custom.ask`, a decision message with `custom.decision`, an application confirmation with
`custom.application`. It follows a fixed script to `apply` or to `report_first`, answering
buttons' payloads and typed words alike, and repeats back what the resident typed at the
first question (so the tests can check that the page shows it as text). One question sends
its `custom` payload as a separate message, as Rasa's stock REST channel does.

Run on its own: .venv/bin/python tests/browser/fake_rasa.py --port 5005
"""
from __future__ import annotations

import argparse
import asyncio
import threading
from typing import Dict, List, Optional

from aiohttp import web

CONCERN_BUTTONS = [
    {"title": "Anti-social behaviour that keeps happening", "payload": "/tell_story"},
    {"title": "How staff dealt with my reports", "payload": "/complain_staff"},
]
YES_NO = [{"title": "Yes", "payload": "/affirm"}, {"title": "No", "payload": "/deny"}]

# (ask, question, buttons, what comes next on yes / on no)
QUESTIONS = {
    "concern": ("What would you like help with?", CONCERN_BUTTONS),
    "emergency": ("First, is anyone in immediate danger right now?",
                  [{"title": "Yes, someone is in danger now", "payload": "/affirm"}, {"title": "No", "payload": "/deny"}]),
    "asb_ongoing": ("Is the anti-social behaviour still happening?", YES_NO),
    "reported": ("Have you reported any of it to the council, the police or your housing provider?",
                 [{"title": "Yes", "payload": "/affirm"}, {"title": "No, not yet", "payload": "/deny"}]),
    "reported_to": ("Who did you report it to?", [
        {"title": "The council", "payload": '/inform{"organisation": "council"}'},
        {"title": "The police", "payload": '/inform{"organisation": "police"}'},
    ]),
    "incident_count": ("How many separate incidents have you reported in the last six months?", []),
    "incident_dates": ("When did you report them? Give me all the dates in one message.", []),
    "incidents_related": ("Are these incidents about the same problem?", YES_NO),
    "on_behalf": ("Are you asking for yourself or for someone else?",
                  [{"title": "For myself", "payload": "/deny"}, {"title": "For someone else", "payload": "/affirm"}]),
    "applicant_name": ("What is your full name?", []),
    "applicant_email": ("What email address can the council use to contact you?", []),
    "address": ("What is your address, including the postcode?", []),
    "confirm": ("Please check your application. Is this right?", [{"title": "Yes, send it", "payload": "/affirm"}]),
}
CASE_ORDER = ["concern", "emergency", "asb_ongoing", "reported", "reported_to", "incident_count",
              "incident_dates", "incidents_related", "on_behalf"]
APPLICATION_ORDER = ["applicant_name", "applicant_email", "address", "confirm"]

REPORT_FIRST = {
    "outcome": "report_first",
    "routes": ["report_first"],
    "summary": "Report the anti-social behaviour first: a case review looks at reports that were made.",
    "reasons": [{"rule": "nothing_reported", "text": "You have not reported any incident to the council, the police or a social landlord yet."}],
    "qualifying_incidents": 0,
    "window_start": "2026-05-25",
    "next_steps": [
        "Tell the council with the General Enquiries Form: https://www.erewash.gov.uk/general-enquiries.html.",
        "Call the police on 101, or 0115 907 2274 for the Community Safety Officer.",
    ],
    "assumed": ["incidents_related", "incidents[0].reported_on", "incidents[1].reported_on"],
    "rule_set": {"name": "erewash", "version": "test"},
}
APPLY = {
    "outcome": "apply",
    "routes": ["apply"],
    "summary": "You can apply for an ASB Case Review.",
    "reasons": [{"rule": "threshold_met", "text": "You reported 4 related incidents since 25 May 2026; the threshold is 3."}],
    "qualifying_incidents": 4,
    "window_start": "2026-05-25",
    "next_steps": ["Apply now in this chat, or contact the Community Safety Officer on 0115 907 2274."],
    "assumed": [],
    "rule_set": {"name": "erewash", "version": "test"},
}


def is_yes(message: str) -> bool:
    text = message.strip().lower()
    return text in ("/affirm", "/apply_now") or text.startswith(("y", "i have", "i rang", "it is", "still"))


class Conversation:
    def __init__(self) -> None:
        self.asking: Optional[str] = None
        self.phase = "case"
        self.reported = True
        self.decided = False

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

    def decide(self) -> List[dict]:
        self.asking = None
        self.decided = True
        decision = APPLY if self.reported else REPORT_FIRST
        messages = [{"text": f"{decision['summary']}\n\nWhy: {decision['reasons'][0]['text']}",
                     "custom": {"decision": decision}}]
        if decision is APPLY:
            messages.append({"text": "Would you like to make your application now?",
                             "buttons": [{"title": "Yes, start my application", "payload": "/apply_now"},
                                         {"title": "Not now", "payload": "/deny"}]})
        return messages

    def answer(self, message: str) -> List[dict]:
        if message == "/greet":
            return self.ask("concern", [{"text": "Hello. I can help you find out whether you can ask for a case review."}])
        if message == "/restart":
            self.__init__()
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
                application = {"reference": "ASB-2026-0007", "acknowledge_by": "2026-12-02",
                               "private_url": "/application/test-token-123"}
                return [{"text": "Your application has been sent. Your reference is ASB-2026-0007.",
                         "custom": {"application": application}}]
            following = APPLICATION_ORDER[APPLICATION_ORDER.index(self.asking) + 1]
            return self.ask(following)
        if self.asking is None:
            return [{"text": "Sorry, I didn't quite follow that."}]
        before: List[dict] = []
        if self.asking == "concern" and not message.startswith("/"):
            before.append({"text": f'You told me: "{message}". Thank you.'})
        if self.asking == "reported":
            self.reported = is_yes(message)
            if not self.reported:
                return self.decide()
        if self.asking == "incidents_related" and not is_yes(message):
            return [{"text": "Are they about the same people, place or behaviour?", "buttons": YES_NO,
                     "custom": {"ask": "incidents_related"}}]
        position = CASE_ORDER.index(self.asking)
        if position + 1 == len(CASE_ORDER):
            return before + self.decide()
        return self.ask(CASE_ORDER[position + 1], before)


class FakeRasa:
    """The fake server, run in a thread of its own; `stop()` and `start()` make it (un)reachable."""

    def __init__(self, port: int) -> None:
        self.port = port
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
        conversation = self.conversations.setdefault(sender, Conversation())
        replies = conversation.answer(message)
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
