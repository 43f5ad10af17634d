"""`asbcr applications ...`, `asbcr stats` and `asbcr staff add` (CONTRACT.md, `asbcr`).

asbcr/cli.py calls `register(subparsers)`. Bad input raises groundwork.errors.CommandError,
which prints one line and exits 2.
"""

from __future__ import annotations

import argparse
import functools
import json
import sys
from pathlib import Path
from typing import Any, Callable, List

from groundwork.errors import CommandError

from . import labels
from .errors import CaseworkError
from .events import REJECTION_GROUNDS, STAFF_EVENTS, STATUSES
from .models import OUTBOX_STATUSES
from .published import HEADER
from .validation import CHANNELS

DEFAULT_RETENTION_MONTHS = 72  # six years after a case closes


def _friendly(function: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    @functools.wraps(function)
    def run(args: argparse.Namespace) -> int:
        try:
            return function(args)
        except CaseworkError as error:
            raise CommandError(str(error)) from None
        except ValueError as error:  # e.g. a malformed ASBCR_TODAY
            raise CommandError(str(error).splitlines()[0]) from None

    return run


def register(subparsers: argparse._SubParsersAction) -> None:
    applications = subparsers.add_parser(
        "applications",
        help="ASB Case Review applications: list, show, enter, export, record events",
        description="Applications for an ASB Case Review, as staff see them.",
    )
    commands = applications.add_subparsers(dest="applications_command", metavar="COMMAND")
    commands.required = True

    listing = commands.add_parser("list", help="applications, newest first")
    listing.add_argument("--status", help=f"open, closed or one of: {', '.join(STATUSES)}")
    listing.add_argument("--year", type=_year, help="received from April YEAR to March YEAR+1")
    listing.add_argument("--channel", choices=CHANNELS)
    listing.add_argument("--json", action="store_true", help="machine-readable output")
    listing.set_defaults(func=_friendly(_list))

    show = commands.add_parser("show", help="one application in full")
    show.add_argument("reference", metavar="REF")
    show.add_argument("--json", action="store_true", help="machine-readable output")
    show.set_defaults(func=_friendly(_show))

    new = commands.add_parser(
        "new",
        help="enter an application that came on paper, by phone or by email",
        description="Reads application JSON (CONTRACT.md) from FILE, or stdin with '-', "
        "computes the rule set's decision and prints the new reference.",
    )
    new.add_argument("file", metavar="FILE")
    new.add_argument("--json", action="store_true", help="print reference, acknowledge_by, private_url and decision as JSON")
    new.set_defaults(func=_friendly(_new))

    export = commands.add_parser("export", help="the formal application as JSON or a printable PDF")
    export.add_argument("reference", metavar="REF")
    export.add_argument("--format", choices=("json", "pdf"), required=True)
    export.add_argument("--output", metavar="PATH", help="file to write (JSON default: stdout; PDF default: ./REF.pdf)")
    export.set_defaults(func=_friendly(_export))

    record = commands.add_parser(
        "record",
        help="record what happened to an application",
        description="EVENT is one of: "
        + ", ".join(STAFF_EVENTS)
        + ". A rejection needs --note with its ground: "
        + ", ".join(REJECTION_GROUNDS)
        + ".",
    )
    record.add_argument("reference", metavar="REF")
    record.add_argument("event", metavar="EVENT", help=", ".join(STAFF_EVENTS))
    record.add_argument("--date", metavar="YYYY-MM-DD", help="when it happened (default: today)")
    record.add_argument("--note", metavar="TEXT", help="for rejected: the ground first")
    record.set_defaults(func=_friendly(_record))

    retention = commands.add_parser(
        "retention",
        help="remove personal details from applications closed long ago",
        description="Clears names, contact details, addresses, the person affected, description, impact, "
        "notes and incident references from applications whose last event closed them at least "
        "--older-than-months ago, with their conversations in the tracker store, and removes "
        "conversations that led to no application after --conversations-older-than-days. "
        "The published figures stay the same.",
    )
    retention.add_argument(
        "--older-than-months",
        type=int,
        default=DEFAULT_RETENTION_MONTHS,
        metavar="N",
        help=f"retention period after closure (default {DEFAULT_RETENTION_MONTHS})",
    )
    retention.add_argument(
        "--conversations-older-than-days",
        type=int,
        default=None,
        metavar="DAYS",
        help="remove conversations that led to no application after this many days "
        "(default: casework.conversations.CONVERSATION_RETENTION_DAYS, 30)",
    )
    retention.add_argument("--dry-run", action="store_true", help="only list what would be anonymised")
    retention.set_defaults(func=_friendly(_retention))

    outbox = commands.add_parser(
        "outbox",
        help="messages to applicants (acknowledgements and updates) and what became of them",
        description="Each message, oldest first: the event it is about, email or text, its status (pending, "
        "sending, sent, recorded: kept here only because ASBCR_NOTIFY_API_KEY is not set, "
        "failed) and Notify's answer.",
    )
    outbox.add_argument("--status", choices=OUTBOX_STATUSES)
    outbox.add_argument("--reference", metavar="REF", help="one application's messages")
    outbox.add_argument("--json", action="store_true", help="machine-readable output (with recipients)")
    outbox.set_defaults(func=_friendly(_outbox))

    deliver = commands.add_parser(
        "deliver",
        help="send the messages that are due through GOV.UK Notify",
        description="Sends every due message in the outbox through GOV.UK Notify (ASBCR_NOTIFY_API_KEY, "
        "template ids from the file ASBCR_NOTIFY_TEMPLATES names). Without a key nothing leaves "
        "this machine: the messages are marked recorded. A failure Notify may get over (it is "
        "down, too busy, unreachable) is tried again later; one it refuses is marked failed. "
        "Exit 1 when a message failed in this run.",
    )
    deliver.add_argument("--watch", type=float, metavar="SECONDS", help="keep sending, looking for due messages every SECONDS")
    deliver.add_argument(
        "--retry-failed", action="store_true", help="first put failed messages back in the queue (after mending what failed)"
    )
    deliver.set_defaults(func=_friendly(_deliver))

    migrate = commands.add_parser(
        "migrate",
        help="bring the applications database to the latest schema (also done automatically)",
    )
    migrate.add_argument("--status", action="store_true", help="only show the current and latest revision")
    migrate.set_defaults(func=_friendly(_migrate))

    stats = subparsers.add_parser(
        "stats",
        help="the published ASB Case Review figures for an April-March year",
        description="Counts by the date of each event (receipt for applications), April YEAR to March YEAR+1.",
    )
    stats.add_argument("--year", type=_year, help="the year the April-March period starts (default: the current one)")
    stats.add_argument("--json", action="store_true", help="the counts as JSON")
    stats.set_defaults(func=_friendly(_stats))
    stats_commands = stats.add_subparsers(dest="stats_command", metavar="COMMAND")
    load = stats_commands.add_parser(
        "import-published",
        help="load the figures the council published for years before the service",
        description="Reads CSV with the header " + ",".join(HEADER) + " (year 2022 means April 2022 - "
        "March 2023; '-' reads stdin). All or nothing: a doubtful cell, a year twice, a year "
        "already imported with other figures or a year with applications recorded here refuses "
        "the whole file. Importing the same file again changes nothing. "
        "The figures the council published are in casework/data/published-figures.csv.",
    )
    load.add_argument("file", metavar="FILE")
    load.set_defaults(func=_friendly(_import_published))

    staff = subparsers.add_parser(
        "staff",
        help="staff accounts for the console",
        description="Accounts officers and admins sign in to the staff console with (/staff/).",
    )
    staff_commands = staff.add_subparsers(dest="staff_command", metavar="COMMAND")
    staff_commands.required = True
    add = staff_commands.add_parser(
        "add",
        help="create a staff account (the password is read from standard input)",
        description="Creates an account for NAME. The password comes from standard input (one line; "
        "never the command line, where other users and the shell's history would see it), "
        "at least 12 characters. The role is officer or admin (admins also see the audit log).",
    )
    add.add_argument("name", metavar="NAME")
    add.add_argument("--email", required=True, metavar="EMAIL")
    # Checked in _staff_add rather than by `choices`, so a bad role is one line like every other error.
    add.add_argument("--role", required=True, metavar="officer|admin")
    add.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    add.set_defaults(func=_friendly(_staff_add))


def _year(text: str) -> int:
    if not text.strip().isdigit() or len(text.strip()) != 4:
        raise argparse.ArgumentTypeError(f"{text!r} is not a year like 2022")
    return int(text)


def _print_json(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2))


def _list(args: argparse.Namespace) -> int:
    from . import service

    rows = service.list_applications(status=args.status, year=args.year, channel=args.channel)
    if args.json:
        _print_json(rows)
        return 0
    if not rows:
        print("No applications.", file=sys.stderr)
        return 0
    table: List[List[str]] = [["REFERENCE", "RECEIVED", "ACKNOWLEDGE BY", "CHANNEL", "STATUS", "ASSISTANT'S VIEW"]]
    for row in rows:
        status = row["status"] + (" (anonymised)" if row["anonymised"] else "")
        table.append([row["reference"], row["received"], row["acknowledge_by"], row["channel"], status, row["outcome"]])
    widths = [max(len(line[column]) for line in table) for column in range(len(table[0]))]
    for line in table:
        print("  ".join(cell.ljust(width) for cell, width in zip(line, widths)).rstrip())
    return 0


def _show(args: argparse.Namespace) -> int:
    from . import service

    application = service.get_application(args.reference)
    if args.json:
        _print_json(application)
        return 0
    applicant = application["applicant"]
    decision = application["decision"]
    lines = [
        f"{application['reference']}  ({application['status']})",
        f"Received:        {application['received']} by {labels.CHANNELS.get(application['channel'], application['channel'])}",
        f"Acknowledge by:  {application['acknowledge_by']}",
        f"Applicant:       {applicant['name'] or '-'}",
        f"  email:         {applicant['email'] or '-'}",
        f"  phone:         {applicant['phone'] or '-'}",
        f"  address:       {applicant['address'] or '-'}",
    ]
    if application["on_behalf"]:
        victim = application["victim"] or {}
        lines.append(
            f"On behalf of:    {victim.get('name') or '-'} (consent: {labels.consent(True, application['consent']).lower()})"
        )
    incidents = (application["facts"] or {}).get("incidents") or []
    lines.append(f"Incidents:       {len(incidents)}")
    for incident in incidents:
        reference = f" ref {incident['reference']}" if incident.get("reference") else ""
        lines.append(f"  {incident.get('date', '?')}  {labels.reported_to(incident.get('reported_to'), decision)}{reference}")
    rule_set = decision.get("rule_set", {})
    lines.append(f"Assistant's view: {decision.get('outcome')} (rule set {rule_set.get('name')} {rule_set.get('version')})")
    for reason in decision.get("reasons") or []:
        lines.append(f"  - {reason.get('text') if isinstance(reason, dict) else reason}")
    lines.append("Events:")
    for event in application["events"]:
        extra = f" ({event['ground']})" if event.get("ground") else ""
        note = f": {event['note']}" if event.get("note") else ""
        lines.append(f"  {event['date']}  {event['event']}{extra}{note}")
    if application["anonymised_on"]:
        lines.append(f"Personal details removed on {application['anonymised_on']}.")
    elif application["private_url"]:
        lines.append(f"Resident's link: {application['private_url']}")
    print("\n".join(lines))
    return 0


def _read_text(path: str) -> str:
    name = "stdin" if path == "-" else path
    try:
        return sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CommandError(f"{name}: no such file") from None
    except UnicodeDecodeError:
        raise CommandError(f"{name}: not UTF-8 text") from None
    except OSError as error:
        raise CommandError(f"{name}: cannot read it ({error.strerror or error})") from None


def _read_json(path: str) -> Any:
    name = "stdin" if path == "-" else path
    text = _read_text(path)
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise CommandError(f"{name}: not valid JSON ({error.msg} at line {error.lineno}, column {error.colno})") from None


def _new(args: argparse.Namespace) -> int:
    from . import service

    application = _read_json(args.file)
    result = service.create_application(application)
    _send_now(result["reference"])
    if args.json:
        _print_json({key: value for key, value in result.items() if key != "created"})
    else:
        print(result["reference"])
        print(
            f"acknowledge by {result['acknowledge_by']}; assistant's view: {result['decision']['outcome']}",
            file=sys.stderr,
        )
    return 0


def _export(args: argparse.Namespace) -> int:
    from . import service

    if args.format == "json":
        data = service.export_json(args.reference)
        text = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
        if args.output and args.output != "-":
            try:
                Path(args.output).write_text(text, encoding="utf-8")
            except OSError as error:
                raise CommandError(f"cannot write {args.output}: {error.strerror}") from None
            print(args.output, file=sys.stderr)
        else:
            sys.stdout.write(text)
        return 0
    reference = service.normalise_reference(args.reference)
    target = service.export_pdf(reference, args.output or f"{reference}.pdf")
    print(target)
    return 0


def _record(args: argparse.Namespace) -> int:
    from . import service

    result = service.record_event(args.reference, args.event, args.date, args.note)
    ground = f" ({result['ground']})" if result.get("ground") else ""
    print(f"{result['reference']}: {result['event']}{ground} on {result['date']}")
    _send_now(result["reference"])
    return 0


def _send_now(reference: str) -> None:
    """The applicant's message about what was just committed, sent now rather than at the next
    `deliver`. Whatever happens here, the application or event stays recorded: a message that
    cannot go now waits in the outbox, and the line on stderr says so."""
    from . import notify, outbox

    try:
        notify.deliver(reference=reference)
        messages = outbox.list_messages(reference=reference)
    except CaseworkError as error:
        print(f"{reference}: the message to the applicant waits in the outbox ({error})", file=sys.stderr)
        return
    if messages:
        latest = messages[-1]
        print(f"{reference}: message to the applicant ({latest['channel']}): {_message_state(latest)}", file=sys.stderr)


def _message_state(message: dict) -> str:
    return {
        "pending": "not sent yet, will try again" + (f" ({message['last_error']})" if message["last_error"] else ""),
        "sending": "being sent",
        "sent": "sent through GOV.UK Notify",
        "recorded": "recorded in the outbox only (ASBCR_NOTIFY_API_KEY is not set)",
        "failed": f"FAILED ({message['last_error']})",
    }[message["status"]]


def _outbox(args: argparse.Namespace) -> int:
    from . import outbox

    messages = outbox.list_messages(status=args.status, reference=args.reference)
    if args.json:
        _print_json(messages)
        return 0
    if not messages:
        print("No messages.", file=sys.stderr)
        return 0
    table: List[List[str]] = [["REFERENCE", "EVENT", "BY", "WRITTEN", "STATUS"]]
    for message in messages:
        table.append(
            [message["reference"], message["event"], message["channel"], message["created_at"][:16], _message_state(message)]
        )
    widths = [max(len(line[column]) for line in table) for column in range(len(table[0]))]
    for line in table:
        print("  ".join(cell.ljust(width) for cell, width in zip(line, widths)).rstrip())
    return 0


def _deliver(args: argparse.Namespace) -> int:
    from . import notify

    if args.retry_failed:
        print(f"{notify.retry_failed()} failed message(s) queued again", file=sys.stderr)
    if args.watch is not None:
        if args.watch <= 0:
            raise CommandError("--watch needs a number of seconds above 0")
        _log_as_a_service()
        try:
            notify.deliver_forever(args.watch, report=_log_delivery)
        except KeyboardInterrupt:
            pass
        return 0
    return _report_delivery(notify.deliver())


def _log_as_a_service() -> None:
    """`deliver --watch` runs as long as the service does (the supervisor starts it, asbcr/stack.py):
    what it does goes to stderr as log lines, through the same check as every other process of the
    service (groundwork/private_logs.py), so no recipient or other personal detail reaches its log."""
    import logging

    from groundwork import private_logs

    private_logs.install()
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(name)s %(levelname)s: %(message)s")


def _log_delivery(result: dict) -> None:
    """A round's counts; each message's outcome is logged by casework.notify as it is sent."""
    import logging

    if result["sent"] or result["recorded"] or result["retrying"] or result["failed"]:
        logging.getLogger("casework.deliver").info(
            "%d sent, %d recorded only (no Notify key), %d to try again, %d failed",
            result["sent"],
            result["recorded"],
            result["retrying"],
            len(result["failed"]),
        )


def _report_delivery(result: dict) -> int:
    if result["sent"] or result["recorded"] or result["retrying"] or result["failed"]:
        print(
            f"{result['sent']} sent, {result['recorded']} recorded only (no Notify key), "
            f"{result['retrying']} to try again, {len(result['failed'])} failed",
            flush=True,
        )
    for failure in result["failed"]:
        print(f"failed: {failure['reference']} {failure['event']}: {failure['error']}", file=sys.stderr, flush=True)
    return 1 if result["failed"] else 0


def _retention(args: argparse.Namespace) -> int:
    from . import service

    result = service.apply_retention(
        args.older_than_months, dry_run=args.dry_run, conversations_older_than_days=args.conversations_older_than_days
    )
    verb = "Would remove" if args.dry_run else "Removed"
    count = len(result["references"])
    print(f"{verb} personal details from {count} application(s) closed on or before {result['cutoff']}.")
    for reference in result["references"]:
        print(f"  {reference}")
    print(f"{verb} {result['conversations_removed']} conversation(s) that led to no application.")
    return 0


def _migrate(args: argparse.Namespace) -> int:
    from . import db

    if args.status:
        engine = db.open_without_upgrade()
        try:
            current = db.current_revision(engine)
            where = db.describe(engine)
        finally:
            engine.dispose()
    else:
        engine = db.get_engine()  # opening the store upgrades it to head
        current, where = db.current_revision(engine), db.describe(engine)
    head = db.head_revision()
    state = "up to date" if current == head else "needs upgrading"
    print(f"{where}: revision {current or 'none'} ({state}; latest {head})")
    return 0


def _stats(args: argparse.Namespace) -> int:
    from . import service

    year = args.year if args.year is not None else service.current_financial_year()
    if args.json:
        _print_json({"year": year, **service.stats_counts(year), "source": service.stats_source(year)})
    else:
        _print_exactly(service.stats(year))
    return 0


def _print_exactly(text: str) -> None:
    """Imported years carry the page's en dashes and no-break spaces; a terminal whose encoding
    lacks them still gets them, as UTF-8, rather than a traceback or a changed character."""
    try:
        print(text)
    except UnicodeEncodeError:
        sys.stdout.flush()
        sys.stdout.buffer.write((text + "\n").encode("utf-8"))
        sys.stdout.buffer.flush()


def _import_published(args: argparse.Namespace) -> int:
    from . import service
    from .published import season

    if args.year is not None or args.json:
        raise CommandError("import-published takes only FILE (put --year and --json on 'asbcr stats' alone)")
    name = "stdin" if args.file == "-" else args.file
    results = service.import_published(_read_text(args.file), name)
    for result in results:
        state = "imported" if result["imported"] else "already imported, the same figures (unchanged)"
        print(f"{season(result['year'])}: {state}")
    return 0


def _read_password() -> str:
    """One line from standard input without its line ending; from a terminal, without echo."""
    if sys.stdin.isatty():
        import getpass

        return getpass.getpass("Password: ")
    line = sys.stdin.readline()
    return line[:-2] if line.endswith("\r\n") else line[:-1] if line.endswith("\n") else line


def _staff_add(args: argparse.Namespace) -> int:
    from . import staff

    if not args.password_stdin:
        raise CommandError("give the password on standard input with --password-stdin (never on the command line)")
    if args.role not in staff.ROLES:
        raise CommandError(f"the role must be officer or admin, not {args.role[:20]!r}")
    member = staff.add_account(args.name, args.email, args.role, _read_password())
    print(f"Added {member.role} {member.name} <{member.email}>")
    return 0
