"""Words for the codes in applications, shared by the PDF, the web page and the CLI."""
from __future__ import annotations

from groundwork import dates

OUTCOMES = {
    "emergency": "Call 999: someone is in immediate danger",
    "appeal": "Appeal against the outcome of the earlier case review",
    "ombudsman": "Take the complaint to the ombudsman",
    "complaints_procedure": "Use the organisation's complaints procedure",
    "report_first": "Report the anti-social behaviour first",
    "threshold_not_met": "The threshold for a case review is not met yet",
    "get_consent": "Get the consent of the person affected",
    "apply": "Apply for an Anti-social Behaviour Case Review",
}

REPORTED_TO = {
    "council": "Council",
    "police": "Police",
    "social_landlord": "Social landlord",
    "private_landlord": "Private landlord",
    "health": "Health services",
    "other": "Other",
}

CHANNELS = {
    "chat": "Online chat",
    "paper": "Paper form",
    "phone": "Telephone",
    "email": "Email",
    "in_person": "In person",
}

EVENTS = {
    "received": "Application received",
    "threshold-met": "Threshold met",
    "threshold-not-met": "Threshold not met",
    "rejected": "Application rejected",
    "review-held": "Case review held",
    "recommendations-made": "Recommendations made",
    "appeal-received": "Appeal received",
    "withdrawn": "Application withdrawn",
    "resident-updated": "Changed by the applicant in the chat",
    "resident-erased": "Personal details removed at the applicant's request",
}


def outcome(code: str) -> str:
    return OUTCOMES.get(code, str(code).replace("_", " ").capitalize())


def reported_to(codes) -> str:
    if not codes:
        return "Not recorded"
    if isinstance(codes, str):
        codes = [codes]
    return ", ".join(REPORTED_TO.get(code, str(code)) for code in codes)


def consent(on_behalf: bool, value) -> str:
    if not on_behalf:
        return "Not needed: the applicant is the person affected"
    return {True: "Given", False: "Refused"}.get(value, "Not asked yet")


def long_date(iso: str) -> str:
    """A stored date in words; a value that is no date is shown as it is rather than hiding
    the rest of the application."""
    try:
        return dates.long_date(dates.iso_date(iso))
    except dates.DateError:
        return str(iso)


ASSUMED = {
    "as_of": "the decision is as of the day the application was received",
    "emergency": "no one is in immediate danger",
    "asb_ongoing": "the behaviour is still going on",
    "incidents_related": "the incidents are about the same problem",
    "on_behalf": "they are applying for themselves",
    "consent": "the consent of the person affected has not been asked yet",
    "staff_conduct": "the grievance is not about how staff behaved",
    "complaint_completed": "no complaints procedure has been completed",
    "complained_about": "it is not said which organisation a complaint is about",
    "previous_review": "there has been no earlier case review",
}


def _numbers(values) -> str:
    """1, 2, 3, 5 -> "1 to 3 and 5"."""
    values = sorted(set(values))
    runs, start = [], None
    for index, value in enumerate(values):
        if start is None:
            start = value
        if index + 1 == len(values) or values[index + 1] != value + 1:
            runs.append(str(start) if start == value else f"{start} to {value}")
            start = None
    return runs[0] if len(runs) == 1 else ", ".join(runs[:-1]) + " and " + runs[-1]


def assumed(keys) -> list:
    """The decision's `assumed` keys in words; incidents are grouped and numbered from 1."""
    import re

    phrases, reported_on, other_incident_keys = [], [], {}
    for key in keys or []:
        match = re.fullmatch(r"incidents\[(\d+)\]\.(\w+)", str(key))
        if match and match.group(2) == "reported_on":
            reported_on.append(int(match.group(1)) + 1)
        elif match:
            other_incident_keys.setdefault(match.group(2), []).append(int(match.group(1)) + 1)
        else:
            phrases.append(ASSUMED.get(str(key), str(key).replace("_", " ")))
    if reported_on:
        plural = len(reported_on) > 1
        phrases.append(
            f"incident{'s' if plural else ''} {_numbers(reported_on)} "
            f"{'were' if plural else 'was'} reported on the day {'they' if plural else 'it'} happened"
        )
    for name, numbers in other_incident_keys.items():
        phrases.append(f"{name.replace('_', ' ')} of incident {_numbers(numbers)}")
    return phrases
