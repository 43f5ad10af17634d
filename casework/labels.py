"""Words for the codes in applications, shared by the PDF, the web page and the CLI."""
from __future__ import annotations

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
    import datetime as dt

    try:
        day = dt.date.fromisoformat(str(iso))
    except ValueError:
        return str(iso)
    return f"{day.day} {day:%B %Y}"
