"""A local stand-in for GOV.UK Notify's API, for tests: never the real service.

It listens on 127.0.0.1 (a free port) and answers POST /v2/notifications/email and /sms as Notify
documents them, after checking what the real service would: a Bearer JWT signed HS256 with the
key's secret whose `iss` is the key's service id and whose `iat` is recent, a JSON body with a
template_id and the recipient, and personalisation as an object. Every request it took, good or
bad, is kept in `requests`; `fail_next(status, ...)` makes the next answers errors, and
`wait_for_good(count, timeout)` waits until that many good requests have been answered (for a
sender in another process).
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, List, Optional

import jwt

SERVICE_ID = "26785a09-ab16-4eb0-8407-a37497a57506"
SECRET = "3d844edf-8d35-48ac-975b-e847b4f122b0"
API_KEY = f"asbcr_test-{SERVICE_ID}-{SECRET}"
TEMPLATE_IDS = {
    "received": {"email": "f33517ff-2a88-4f6e-b855-c550268ce08a", "sms": "bc1ba1e5-6c1e-4ac0-8f8c-8a7c5d3e1f20"},
    "threshold-met": {"email": "5a2f1c1e-1111-4a4a-9b9b-000000000002", "sms": "5a2f1c1e-1111-4a4a-9b9b-000000000003"},
    "threshold-not-met": {"email": "5a2f1c1e-1111-4a4a-9b9b-000000000004"},
}
PATHS = {"/v2/notifications/email": "email_address", "/v2/notifications/sms": "phone_number"}


class NotifyStandIn:
    def __init__(self) -> None:
        self.requests: List[Dict[str, Any]] = []
        self._failures: List[tuple] = []
        self._lock = threading.Lock()
        self._answered = threading.Condition()
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                record: Dict[str, Any] = {"path": self.path, "headers": dict(self.headers), "problems": []}
                status, answer = stand_in._answer(record, body)
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                with stand_in._answered:
                    record["answered"], record["status"] = True, status
                    stand_in._answered.notify_all()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "NotifyStandIn":
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()

    def fail_next(self, status: int, error: str = "BadRequestError", message: str = "Bad request", times: int = 1) -> None:
        with self._lock:
            self._failures.extend([(status, error, message)] * times)

    def _answer(self, record: Dict[str, Any], body: bytes) -> tuple:
        path, headers = record["path"], record["headers"]
        with self._lock:
            self.requests.append(record)
            failure = self._failures.pop(0) if self._failures else None
        problems = record["problems"]
        field = PATHS.get(path)
        if field is None:
            problems.append(f"unknown path {path}")
        auth = headers.get("Authorization", "")
        if not auth.startswith("Bearer "):
            problems.append("no Bearer token")
        else:
            try:
                claims = jwt.decode(auth[len("Bearer ") :], SECRET, algorithms=["HS256"])
                if claims.get("iss") != SERVICE_ID:
                    problems.append("iss is not the service id")
                if abs(time.time() - int(claims.get("iat", 0))) > 30:
                    problems.append("iat is not now")
            except jwt.InvalidTokenError as error:
                problems.append(f"bad JWT: {error}")
        if headers.get("Content-Type", headers.get("Content-type")) != "application/json":
            problems.append("not JSON")
        try:
            notification = json.loads(body)
        except ValueError:
            notification = None
        record["json"] = notification
        if not isinstance(notification, dict):
            problems.append("body is not a JSON object")
        else:
            if not isinstance(notification.get("template_id"), str):
                problems.append("no template_id")
            if field and not isinstance(notification.get(field), str):
                problems.append(f"no {field}")
            if not isinstance(notification.get("personalisation", {}), dict):
                problems.append("personalisation is not an object")
        if problems:
            return 403 if any("JWT" in p or "Bearer" in p or "iss" in p or "iat" in p for p in problems) else 400, {
                "status_code": 400,
                "errors": [{"error": "BadRequestError", "message": "; ".join(problems)}],
            }
        if failure is not None:
            status, error, message = failure
            return status, {"status_code": status, "errors": [{"error": error, "message": message}]}
        notification_id = str(uuid.uuid4())
        return 201, {
            "id": notification_id,
            "reference": notification.get("reference"),
            "content": {"body": "...", "subject": "..."},
            "uri": f"{self.url}/v2/notifications/{notification_id}",
            "template": {"id": notification["template_id"], "version": 1, "uri": "..."},
        }

    def good_requests(self) -> List[Dict[str, Any]]:
        return [request for request in self.requests if not request["problems"]]

    def wait_for_good(self, count: int, timeout: float) -> List[Dict[str, Any]]:
        """The good requests once `count` of them have been answered; AssertionError after timeout
        seconds without them."""

        def answered_good() -> List[Dict[str, Any]]:
            return [request for request in self.good_requests() if request.get("answered")]

        with self._answered:
            if not self._answered.wait_for(lambda: len(answered_good()) >= count, timeout):
                raise AssertionError(
                    f"Notify's stand-in got {len(answered_good())} good request(s) in {timeout:.0f}s, "
                    f"not {count} (all requests: {[r['problems'] for r in self.requests]})"
                )
        return answered_good()


def closed_port_url() -> str:
    """An address on this machine where nothing listens (for "Notify is unreachable")."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def write_templates(path, templates: Optional[Dict[str, Dict[str, str]]] = None):
    import yaml

    path.write_text(yaml.safe_dump(templates or TEMPLATE_IDS), encoding="utf-8")
    return path
