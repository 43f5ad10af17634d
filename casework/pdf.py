"""The printable application form (reportlab).

Headings follow the council's form: applicant, person affected and consent,
incidents, description, impact, the eligibility decision and why, declaration. Every
piece of text from an application is escaped before it reaches reportlab's paragraph
markup, so a name like "<b>Jo" prints as typed.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas as pdfcanvas
from reportlab.platypus import (
    CondPageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from . import labels
from .partnership import letterhead

INK = colors.HexColor("#0b0c0c")
GREY = colors.HexColor("#505a5f")
RULE = colors.HexColor("#b1b4b6")
SHADE = colors.HexColor("#f3f2f1")
MARGIN = 18 * mm

# A Unicode TrueType font, so names such as "Łucja Wiśniewska" print: DejaVu where
# the system has it, otherwise Bitstream Vera, which ships inside reportlab.
_FONT_CANDIDATES = [
    ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"),
]
_fonts: Optional[Tuple[str, str]] = None


def _register_fonts() -> Tuple[str, str]:
    global _fonts
    if _fonts is not None:
        return _fonts
    import reportlab

    bundled = Path(reportlab.__file__).parent / "fonts"
    candidates = _FONT_CANDIDATES + [(str(bundled / "Vera.ttf"), str(bundled / "VeraBd.ttf"))]
    for regular, bold in candidates:
        if Path(regular).is_file() and Path(bold).is_file():
            pdfmetrics.registerFont(TTFont("CaseworkSans", regular))
            pdfmetrics.registerFont(TTFont("CaseworkSans-Bold", bold))
            pdfmetrics.registerFontFamily(
                "CaseworkSans",
                normal="CaseworkSans",
                bold="CaseworkSans-Bold",
                italic="CaseworkSans",
                boldItalic="CaseworkSans-Bold",
            )
            _fonts = ("CaseworkSans", "CaseworkSans-Bold")
            return _fonts
    _fonts = ("Helvetica", "Helvetica-Bold")  # pragma: no cover - reportlab always ships Vera
    return _fonts


def _styles() -> Dict[str, ParagraphStyle]:
    regular, bold = _register_fonts()
    body = ParagraphStyle("body", fontName=regular, fontSize=10, leading=14, textColor=INK, alignment=TA_LEFT)
    return {
        "body": body,
        "small": ParagraphStyle("small", parent=body, fontSize=8.5, leading=11, textColor=GREY),
        "label": ParagraphStyle("label", parent=body, fontName=bold),
        "org": ParagraphStyle("org", parent=body, fontName=bold, fontSize=11, leading=14, textColor=GREY),
        "title": ParagraphStyle("title", parent=body, fontName=bold, fontSize=20, leading=24, spaceBefore=2, spaceAfter=6),
        "h2": ParagraphStyle("h2", parent=body, fontName=bold, fontSize=13, leading=17, spaceBefore=12, spaceAfter=5),
        "cell": ParagraphStyle("cell", parent=body, fontSize=9, leading=12),
        "cellhead": ParagraphStyle("cellhead", parent=body, fontName=bold, fontSize=9, leading=12),
    }


def _text(value: Any, empty: str = "Not given") -> str:
    """Escaped text with line breaks kept, or a grey placeholder."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return f'<font color="#505a5f">{escape(empty)}</font>'
    return escape(str(value)).replace("\n", "<br/>")


def _summary(rows: List[Tuple[str, str]], styles) -> Table:
    """A two-column key/value list, like the GOV.UK summary list."""
    data = [[Paragraph(escape(key), styles["label"]), Paragraph(value, styles["body"])] for key, value in rows]
    table = Table(data, colWidths=[56 * mm, None], hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, -1), 0.5, RULE),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 6),
                ("TOPPADDING", (0, 0), (-1, -1), 4),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
            ]
        )
    )
    return table


def _section(number: int, title: str, body: List[Any], styles) -> List[Any]:
    heading = Paragraph(f"{number}. {escape(title)}", styles["h2"])
    # A heading never sits alone at the foot of a page, yet long tables still
    # start under their heading and run on to the next page.
    return [CondPageBreak(35 * mm), heading] + body


def _incidents(facts: Dict[str, Any], decision: Dict[str, Any], styles) -> List[Any]:
    incidents = facts.get("incidents") or []
    if not incidents:
        return [Paragraph("No incidents were recorded with this application.", styles["body"])]
    head = ["", "Date of incident", "Reported to", "Date reported", "Reference"]
    data = [[Paragraph(escape(text), styles["cellhead"]) for text in head]]
    for number, incident in enumerate(incidents, start=1):
        incident = incident if isinstance(incident, dict) else {}
        when = incident.get("date")
        reported_on = incident.get("reported_on") or when
        data.append(
            [
                Paragraph(str(number), styles["cell"]),
                Paragraph(_text(labels.long_date(when) if when else None, "Not known"), styles["cell"]),
                Paragraph(escape(labels.reported_to(incident.get("reported_to"), decision)), styles["cell"]),
                Paragraph(_text(labels.long_date(reported_on) if reported_on else None, "Not known"), styles["cell"]),
                Paragraph(_text(incident.get("reference"), "None given"), styles["cell"]),
            ]
        )
    table = Table(data, colWidths=[8 * mm, 37 * mm, 44 * mm, 37 * mm, None], repeatRows=1, hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("BACKGROUND", (0, 0), (-1, 0), SHADE),
                ("LINEBELOW", (0, 0), (-1, -1), 0.5, RULE),
                ("LEFTPADDING", (0, 0), (-1, -1), 4),
                ("TOPPADDING", (0, 0), (-1, -1), 4),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
            ]
        )
    )
    notes = []
    if facts.get("incidents_related") is False:
        notes.append(Paragraph("The applicant said these incidents are not all about the same problem.", styles["small"]))
    return [table] + notes


def _decision(decision: Dict[str, Any], styles) -> List[Any]:
    rule_set = decision.get("rule_set") or {}
    rows = [
        ("Outcome", f"<b>{escape(decision.get('summary') or labels.outcome(decision))}</b>"),
        ("Qualifying incidents", _text(decision.get("qualifying_incidents"), "Not counted")),
    ]
    if decision.get("window_start"):
        rows.append(("Counted from", escape(labels.long_date(decision["window_start"]))))
    rows.append(("Rule set", escape(f"{rule_set.get('name', 'unknown')}, version {rule_set.get('version', 'unknown')}")))
    body: List[Any] = [_summary(rows, styles)]
    reasons = decision.get("reasons") or []
    if reasons:
        body.append(Spacer(1, 6))
        body.append(Paragraph("Why", styles["label"]))
        for reason in reasons:
            text = reason.get("text") if isinstance(reason, dict) else reason
            body.append(Paragraph(f"&bull;&nbsp;{_text(text, '')}", styles["body"]))
    assumed = labels.assumed(decision)
    if assumed:
        body.append(Spacer(1, 4))
        body.append(
            Paragraph(
                "Assumed, because the applicant did not say otherwise: " + escape("; ".join(assumed)) + ".",
                styles["small"],
            )
        )
    body.append(Spacer(1, 4))
    body.append(
        Paragraph(
            "This is the assistant's view from the facts given. The partnership makes the threshold decision.",
            styles["small"],
        )
    )
    return body


def _declaration(application: Dict[str, Any], org: Dict[str, str], styles) -> List[Any]:
    text = (
        "I confirm that the information in this application is true to the best of my knowledge. "
        f"I understand that {escape(org['name'])} will share it with the organisations taking part in "
        "the review (the council, the police, social landlords and health services) so that they can "
        "carry out the Anti-social Behaviour Case Review."
    )
    body: List[Any] = [Paragraph(text, styles["body"]), Spacer(1, 6)]
    if application.get("channel") == "chat":
        body.append(
            Paragraph(
                f"Confirmed online by the applicant on {escape(labels.long_date(application['received']))}.",
                styles["body"],
            )
        )
    else:
        lines = Table(
            [["Signed", "", "", "Date", ""]],
            colWidths=[18 * mm, 78 * mm, 8 * mm, 14 * mm, 40 * mm],
            rowHeights=[14 * mm],
            hAlign="LEFT",
        )
        regular, bold = _register_fonts()
        lines.setStyle(
            TableStyle(
                [
                    ("FONT", (0, 0), (-1, -1), bold, 10),
                    ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
                    ("LINEBELOW", (1, 0), (1, 0), 0.75, INK),
                    ("LINEBELOW", (4, 0), (4, 0), 0.75, INK),
                    ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ]
            )
        )
        body.append(lines)
    return body


def _history(events: List[Dict[str, Any]], styles) -> List[Any]:
    rows = []
    for item in events:
        label = labels.EVENTS.get(item.get("event"), item.get("event"))
        detail = escape(label)
        if item.get("ground"):
            detail += f" ({escape(item['ground'])})"
        rows.append((labels.long_date(item.get("date")), detail))
    return [_summary(rows, styles)]


def _footer_canvas(reference: str, org_name: str):
    regular, _ = _register_fonts()

    class FooterCanvas(pdfcanvas.Canvas):
        """Adds "page N of M" and the handling marking once all pages are known."""

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._pages = []

        def showPage(self):
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self):
            total = len(self._pages)
            for state in self._pages:
                self.__dict__.update(state)
                self._draw_footer(total)
                super().showPage()
            super().save()

        def _draw_footer(self, total: int) -> None:
            width, _ = A4
            self.saveState()
            self.setStrokeColor(RULE)
            self.setLineWidth(0.5)
            self.line(MARGIN, 14 * mm, width - MARGIN, 14 * mm)
            self.setFont(regular, 8)
            self.setFillColor(GREY)
            self.drawString(MARGIN, 10 * mm, f"OFFICIAL-SENSITIVE (personal data)  |  {reference}")
            self.drawRightString(width - MARGIN, 10 * mm, f"{org_name}  |  Page {self._pageNumber} of {total}")
            self.restoreState()

    return FooterCanvas


def render_application(application: Dict[str, Any]) -> bytes:
    """The PDF for an exported application (casework.service.export_json)."""
    styles = _styles()
    decision = application.get("decision") or {}
    org = letterhead(decision)
    reference = application["reference"]
    applicant = application.get("applicant") or {}
    victim = application.get("victim") or {}
    facts = application.get("facts") or {}

    story: List[Any] = [
        Paragraph(escape(org["name"]), styles["org"]),
        Paragraph("Anti-social Behaviour Case Review application", styles["title"]),
    ]
    header = _summary(
        [
            ("Reference", f"<b>{escape(reference)}</b>"),
            ("Received", escape(labels.long_date(application["received"]))),
            ("How it arrived", escape(labels.CHANNELS.get(application.get("channel"), str(application.get("channel"))))),
            ("Receipt confirmed by", escape(labels.long_date(application["acknowledge_by"]))),
        ],
        styles,
    )
    story += [header, Spacer(1, 4)]

    story += _section(
        1,
        "Applicant",
        [
            _summary(
                [
                    ("Name", _text(applicant.get("name"))),
                    ("Email", _text(applicant.get("email"))),
                    ("Telephone", _text(applicant.get("phone"))),
                    ("Address", _text(applicant.get("address"))),
                ],
                styles,
            )
        ],
        styles,
    )

    on_behalf = bool(application.get("on_behalf"))
    affected_rows = [("Applying for someone else", "Yes" if on_behalf else "No")]
    if on_behalf:
        affected_rows += [
            ("Person, business or group affected", _text(victim.get("name"))),
            ("Relationship to applicant", _text(victim.get("relationship"))),
            (
                "Their contact details",
                _text("\n".join(victim[key] for key in ("address", "phone", "email") if victim.get(key)) or None),
            ),
        ]
    affected_rows.append(("Consent", escape(labels.consent(on_behalf, application.get("consent")))))
    story += _section(2, "Person affected and consent", [_summary(affected_rows, styles)], styles)

    story += _section(3, "Incidents", _incidents(facts, decision, styles), styles)
    story += _section(
        4, "Description of the anti-social behaviour", [Paragraph(_text(application.get("description")), styles["body"])], styles
    )
    story += _section(5, "Impact on the person affected", [Paragraph(_text(application.get("impact")), styles["body"])], styles)
    story += _section(6, "Eligibility decision and why", _decision(decision, styles), styles)
    story += _section(7, "Declaration", _declaration(application, org, styles), styles)
    events = application.get("events") or []
    if events:
        story += _section(8, "Case record (for the partnership)", _history(events, styles), styles)
    contact = ", ".join(part for part in (org["contact"], org["address"], org["phone"]) if part)
    story += [Spacer(1, 10), Paragraph(f"Contact: {escape(contact)}", styles["small"])]

    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=16 * mm,
        bottomMargin=22 * mm,
        title=f"ASB Case Review application {reference}",
        author=org["name"],
        subject="Anti-social Behaviour Case Review application",
    )
    document.build(story, canvasmaker=_footer_canvas(reference, org["name"]))
    return buffer.getvalue()
