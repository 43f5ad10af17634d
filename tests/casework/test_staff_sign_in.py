"""The staff console's sign-in, sessions and access rules (web/staff_auth.py) through aiohttp's
test client, on both databases. The clock is the test's own: expiry and lock-outs are reached by
moving it, never by waiting.

The cookies are `__Host-` cookies, which a client sends only over HTTPS; the test server is plain
HTTP, so `Browser` keeps them itself and sends them as a browser would over HTTPS.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import logging
import re
from http.cookies import SimpleCookie
from urllib.parse import parse_qs, urlsplit

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from casework import service, staff
from casework.db import transaction
from casework.models import AuditEntry, StaffAccount
from tests.run_async import run_async
from web import applications, console, staff_auth

PASSWORD = "correct horse battery staple"
ADMIN_PASSWORD = "another long pass phrase"
STAFF_TOKEN = "s3cret-staff-token-for-tests"
T0 = dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.timezone.utc)


class Clock:
    def __init__(self):
        self.now = T0

    def __call__(self):
        return self.now

    def advance(self, **delta):
        self.now += dt.timedelta(**delta)


class Browser:
    """One browser: its own cookies (Set-Cookie obeyed, Max-Age=0 deletes), no redirects followed."""

    def __init__(self, client):
        self.client, self.cookies, self.set_cookies = client, {}, []

    async def request(self, method, path, **options):
        headers = dict(options.pop("headers", {}))
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        response = await self.client.request(method, path, headers=headers, allow_redirects=False, **options)
        for header in response.headers.getall("Set-Cookie", []):
            self.set_cookies.append(header)
            for name, morsel in SimpleCookie(header).items():
                if morsel["max-age"] == "0":
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        response.body_text = await response.text()
        return response

    async def get(self, path, **options):
        return await self.request("GET", path, **options)

    async def post(self, path, **options):
        return await self.request("POST", path, **options)

    async def sign_in_form(self, path="/staff/sign-in"):
        page = await self.get(path)
        assert page.status == 200, page.body_text
        return page, csrf_of(page.body_text)

    async def sign_in(self, email="sam@erewash.gov.uk", password=PASSWORD, path="/staff/sign-in", **headers):
        _, token = await self.sign_in_form(path)
        return await self.post(path, data={"email": email, "password": password, "csrf_token": token}, headers=headers)


def next_of(redirect):
    """Where a redirect to the sign-in page will send the officer after signing in."""
    location = urlsplit(redirect.headers["Location"])
    assert location.path == "/staff/sign-in"
    return parse_qs(location.query)["next"][0]


def csrf_of(html):
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def make_app(clock, method=None):
    app = web.Application()
    staff_auth.add_routes(app, clock=clock, method=method)
    applications.add_routes(app)
    console.add_routes(app)  # the console's pages: every route is in the checks below
    return app


def run(scenario, clock=None, method=None, app=None):
    async def main():
        async with TestClient(TestServer(app or make_app(clock or Clock(), method))) as client:
            return await scenario(Browser(client))

    return run_async(main())


@pytest.fixture
def accounts(store, monkeypatch):
    monkeypatch.delenv("ASBCR_STAFF_SIGN_IN", raising=False)
    monkeypatch.delenv("ASBCR_WEB_TRUSTED_PROXIES", raising=False)
    officer = staff.add_account("Sam Officer", "sam@erewash.gov.uk", "officer", PASSWORD)
    admin = staff.add_account("Alex Admin", "alex@erewash.gov.uk", "admin", ADMIN_PASSWORD)
    return officer, admin


def audit_rows():
    with transaction(write=False) as session:
        return [(row.actor, row.action) for row in session.execute(select(AuditEntry).order_by(AuditEntry.id)).scalars()]


def test_sign_in_shows_the_officer_and_sign_out_ends_the_session(accounts):
    async def scenario(browser):
        form, token = await browser.sign_in_form()
        signed_in = await browser.sign_in()
        session_cookie = browser.cookies[staff_auth.SESSION_COOKIE]
        home = await browser.get("/staff/")
        out = await browser.post("/staff/sign-out", data={"csrf_token": csrf_of(home.body_text)})
        after = await browser.get("/staff/")
        browser.cookies[staff_auth.SESSION_COOKIE] = session_cookie  # the old cookie, replayed
        replayed = await browser.get("/staff/")
        return form, token, signed_in, home, out, after, replayed, browser.set_cookies

    form, token, signed_in, home, out, after, replayed, set_cookies = run(scenario)
    assert 'name="email"' in form.body_text and 'name="password"' in form.body_text and token
    assert "default-src 'none'" in form.headers["Content-Security-Policy"]
    assert form.headers["Cache-Control"] == "no-store"
    assert signed_in.status == 303 and signed_in.headers["Location"] == "/staff/"
    [session_header] = [
        header for header in set_cookies if header.startswith(staff_auth.SESSION_COOKIE + "=") and "Max-Age=0" not in header
    ]
    assert staff_auth.SESSION_COOKIE.startswith("__Host-")
    for attribute in ("Secure", "HttpOnly", "SameSite=Strict", "Path=/"):
        assert attribute in session_header, session_header
    assert "Domain" not in session_header
    assert home.status == 200 and "Signed in as Sam Officer" in home.body_text
    assert 'action="../staff/sign-out"' in home.body_text and "Sign out" in home.body_text
    assert out.status == 303 and out.headers["Location"] == "/staff/sign-in?signed-out"
    assert after.status == 303 and next_of(after) == "/staff/"
    assert replayed.status == 303  # signed out on the server, not only in the browser
    assert audit_rows() == [("sam@erewash.gov.uk", "sign-in"), ("sam@erewash.gov.uk", "sign-out")]


def test_a_wrong_password_and_an_unknown_email_get_the_same_answer(accounts):
    async def scenario(browser):
        wrong = await browser.sign_in(password="not the password")
        unknown = await browser.sign_in(email="nobody@erewash.gov.uk")
        empty = await browser.sign_in(password="")
        return wrong, unknown, empty, dict(browser.cookies)

    wrong, unknown, empty, cookies = run(scenario)
    assert wrong.status == unknown.status == 401
    message = "The email address or password is not right"
    assert message in wrong.body_text and message in unknown.body_text

    def without_variables(html):
        return re.sub(r'value="[^"]*"', 'value=""', html)

    assert without_variables(wrong.body_text) == without_variables(unknown.body_text)
    assert empty.status == 400 and "Enter your password" in empty.body_text
    assert staff_auth.SESSION_COOKIE not in cookies


def test_lock_out_names_the_unlock_time_and_ends_at_it(accounts):
    clock = Clock()

    async def scenario(browser):
        answers = []
        for _ in range(staff.ACCOUNT_FAILURES_BEFORE_LOCK):
            answers.append(await browser.sign_in(password="not the password"))
        clock.advance(minutes=5)
        while_locked = await browser.sign_in()
        clock.advance(minutes=10)  # 15 minutes after the fifth failure
        unlocked = await browser.sign_in()
        return answers, while_locked, unlocked

    answers, while_locked, unlocked = run(scenario, clock)
    assert [answer.status for answer in answers] == [401] * 4 + [429]
    locked_text = "There have been too many attempts to sign in. You can try again after 09:15 on 25 November 2026."
    assert locked_text in answers[-1].body_text  # November: London is on UTC
    assert while_locked.status == 429 and locked_text in while_locked.body_text
    assert unlocked.status == 303 and unlocked.headers["Location"] == "/staff/"


def test_sessions_end_after_idle_time_and_after_the_absolute_limit(accounts):
    clock = Clock()

    async def scenario(browser):
        await browser.sign_in()
        seen = []
        for minutes in (29, 29, 29):  # in use: stays signed in
            clock.advance(minutes=minutes)
            seen.append((await browser.get("/staff/")).status)
        clock.advance(minutes=30)  # idle for 30 minutes: signed out
        seen.append((await browser.get("/staff/")).status)
        await browser.sign_in()
        for _ in range(20):  # in use all day: signed out 10 hours after signing in
            clock.advance(minutes=29)
            seen.append((await browser.get("/staff/")).status)
        return seen

    seen = run(scenario, clock)
    assert seen[:4] == [200, 200, 200, 303]
    # 10 hours = 600 minutes; the 20 steps of 29 minutes after signing in end at 580: all signed in,
    assert seen[4:] == [200] * 20
    clock_after = Clock()

    async def the_long_day(browser):
        await browser.sign_in()
        results = []
        for _ in range(21):
            clock_after.advance(minutes=29)
            results.append((await browser.get("/staff/")).status)
        return results

    assert run(the_long_day, clock_after)[-1] == 303  # ...and the 21st, at 609 minutes, is signed out


def test_forms_without_the_right_csrf_token_are_refused(accounts, make_application):
    reference = service.create_application(make_application())["reference"]

    async def scenario(browser):
        _, token = await browser.sign_in_form()
        results = {}
        form = {"email": "sam@erewash.gov.uk", "password": PASSWORD}
        results["sign-in without token"] = await browser.post("/staff/sign-in", data=form)
        results["sign-in with a wrong token"] = await browser.post("/staff/sign-in", data=dict(form, csrf_token="x" * 64))
        results["sign-in from another site"] = await browser.post(
            "/staff/sign-in", data=dict(form, csrf_token=token), headers={"Sec-Fetch-Site": "cross-site"}
        )
        sign_in_cookie = browser.cookies.pop(staff_auth.SIGN_IN_COOKIE)
        results["sign-in without its cookie"] = await browser.post("/staff/sign-in", data=dict(form, csrf_token=token))
        browser.cookies[staff_auth.SIGN_IN_COOKIE] = sign_in_cookie
        no_session_yet = staff_auth.SESSION_COOKIE not in browser.cookies

        assert (await browser.sign_in()).status == 303
        session_token = csrf_of((await browser.get("/staff/")).body_text)
        results["sign-out without token"] = await browser.post("/staff/sign-out", data={})
        results["sign-out with the sign-in form's token"] = await browser.post("/staff/sign-out", data={"csrf_token": token})
        results["sign-out from another site"] = await browser.post(
            "/staff/sign-out", data={"csrf_token": session_token}, headers={"Origin": "https://evil.example"}
        )
        path = f"/staff/api/applications/{reference}/events"
        results["API change without token"] = await browser.post(path, json={"event": "threshold-met"})
        still_signed_in = (await browser.get("/staff/")).status
        with_token = await browser.post(path, json={"event": "threshold-met"}, headers={"X-CSRF-Token": session_token})
        return results, no_session_yet, still_signed_in, with_token

    results, no_session_yet, still_signed_in, with_token = run(scenario)
    for name, response in results.items():
        assert response.status == 403, name
    assert "This form has expired" in results["sign-out without token"].body_text
    assert no_session_yet and still_signed_in == 200
    assert with_token.status == 201
    assert service.get_application(reference)["status"] == "threshold-met"  # only the one with the token


def staff_routes(app):
    found = []
    for route in app.router.routes():
        path = route.resource.canonical
        if path.startswith("/staff") and route.method != "HEAD" and not path.startswith("/staff/sign-in"):
            found.append(
                (route.method, path.replace("{reference}", "ASBCR-2026-0001"), getattr(route.handler, "staff_role", None))
            )
    return found


def test_every_staff_page_and_api_is_refused_without_a_session_and_with_the_wrong_role(accounts, monkeypatch, make_application):
    service.create_application(make_application())
    monkeypatch.setenv("ASBCR_STAFF_TOKEN", STAFF_TOKEN)
    app = make_app(Clock())
    routes = staff_routes(app)
    assert {
        ("GET", "/staff/", "officer"),
        ("POST", "/staff/sign-out", "officer"),
        ("GET", "/staff/api/audit", "admin"),
        ("GET", "/staff/api/applications", "officer"),
        ("GET", "/staff/applications/ASBCR-2026-0001", "officer"),
        ("GET", "/staff/audit", "admin"),
        ("POST", "/staff/applications/ASBCR-2026-0001/notes", "officer"),
    } <= set(routes)
    assert all(role in ("officer", "admin") for _, _, role in routes)

    async def scenario(browser):
        anonymous = [(method, path, await browser.request(method, path)) for method, path, _ in routes]
        await browser.sign_in()
        token = csrf_of((await browser.get("/staff/")).body_text)
        as_officer = [
            (method, path, await browser.request(method, path, headers={"X-CSRF-Token": token}))
            for method, path, role in routes
            if role == "admin"
        ]
        browser.cookies.clear()
        bearer = {"Authorization": f"Bearer {STAFF_TOKEN}"}
        as_machine = [
            (method, path, await browser.request(method, path, headers=bearer))
            for method, path, role in routes
            if role == "admin" and path.startswith("/staff/api/")
        ]
        page_with_bearer = await browser.get("/staff/", headers=bearer)
        return anonymous, as_officer, as_machine, page_with_bearer

    anonymous, as_officer, as_machine, page_with_bearer = run(scenario, app=app)
    for method, path, response in anonymous:
        if path.startswith("/staff/api/"):
            assert response.status == 401, (method, path)
        else:
            assert response.status == 303, (method, path)
            assert next_of(response).startswith("/staff/"), (method, path)
    assert as_officer and all(response.status == 403 for _, _, response in as_officer)
    assert as_machine and all(response.status == 403 for _, _, response in as_machine)
    assert page_with_bearer.status == 303  # the token opens the API only, never the pages


def test_an_admin_reads_the_audit_log_and_the_bearer_token_still_opens_the_api(accounts, monkeypatch, make_application):
    reference = service.create_application(make_application())["reference"]
    monkeypatch.setenv("ASBCR_STAFF_TOKEN", STAFF_TOKEN)
    bearer = {"Authorization": f"Bearer {STAFF_TOKEN}"}

    async def scenario(browser):
        listing = await browser.get("/staff/api/applications", headers=bearer)
        shown = await browser.get(f"/staff/api/applications/{reference}", headers=bearer)
        recorded = await browser.post(
            f"/staff/api/applications/{reference}/events", headers=bearer, json={"event": "threshold-met"}
        )  # no session, so no CSRF token needed
        wrong = await browser.get("/staff/api/applications", headers={"Authorization": "Bearer wrong"})
        await browser.sign_in("alex@erewash.gov.uk", ADMIN_PASSWORD)
        log = await browser.get("/staff/api/audit")
        one = await browser.get(f"/staff/api/audit?reference={reference}")
        return listing, shown, recorded, wrong, log, one

    listing, shown, recorded, wrong, log, one = run(scenario)
    assert listing.status == 200 and reference in listing.body_text
    assert shown.status == 200 and recorded.status == 201
    assert wrong.status == 401 and "invalid_token" in wrong.headers["WWW-Authenticate"]
    assert log.status == 200
    entries = json.loads(log.body_text)["entries"]
    assert [(entry["actor"], entry["action"], entry["reference"]) for entry in entries] == [
        ("alex@erewash.gov.uk", "sign-in", None),
        ("casework system", "recorded-event", reference),
        ("casework system", "viewed", reference),
    ]
    assert [entry["action"] for entry in json.loads(one.body_text)["entries"]] == ["recorded-event", "viewed"]


def test_passwords_are_never_logged_or_stored(accounts, caplog):
    caplog.set_level(logging.DEBUG)

    async def scenario(browser):
        await browser.sign_in(password="a wrong password typed here")
        await browser.sign_in(email="a password typed as email", password="x")
        await browser.sign_in()

    run(scenario)
    logged = caplog.text + " ".join(str(record.args) for record in caplog.records)
    for secret in (PASSWORD, "a wrong password typed here", "a password typed as email"):
        assert secret not in logged
    with transaction(write=False) as session:
        stored = " ".join(str(value) for row in session.execute(select(AuditEntry)).scalars() for value in vars(row).values())
        stored += " ".join(row.password_hash for row in session.execute(select(StaffAccount)).scalars())
    for secret in (PASSWORD, "a wrong password typed here", "a password typed as email"):
        assert secret not in stored


def test_after_sign_in_the_officer_goes_where_they_were_going_and_never_off_the_console(accounts):
    async def scenario(browser):
        asked = await browser.get("/staff/?tab=mine")
        kept = await browser.sign_in(path=asked.headers["Location"])
        browser.cookies.clear()
        away = await browser.sign_in(path="/staff/sign-in?next=//evil.example/staff/")
        return asked, kept, away

    asked, kept, away = run(scenario)
    assert next_of(asked) == "/staff/?tab=mine"
    assert kept.headers["Location"] == "/staff/?tab=mine"
    assert away.headers["Location"] == "/staff/"


def test_a_staff_route_without_require_officer_stops_the_server_starting(accounts):
    app = make_app(Clock())

    async def unguarded(request):
        return web.Response(text="open")

    app.router.add_get("/staff/forgotten", unguarded)
    with pytest.raises(RuntimeError, match="GET /staff/forgotten"):
        run(lambda browser: None, app=app)


def test_a_trusted_proxy_can_sign_officers_in_instead_of_the_form(accounts, monkeypatch):
    """ASBCR_STAFF_SIGN_IN=trusted-header: an authenticating proxy (OpenID Connect in front)
    names the officer in a header, believed only from the proxy's own address."""
    monkeypatch.setenv("ASBCR_STAFF_SIGN_IN", "trusted-header")
    with pytest.raises(ValueError, match="ASBCR_WEB_TRUSTED_PROXIES"):
        staff_auth.configured_method()
    monkeypatch.setenv("ASBCR_WEB_TRUSTED_PROXIES", "127.0.0.1")
    method = staff_auth.configured_method()
    assert isinstance(method, staff_auth.TrustedHeaderSignIn)

    async def scenario(browser):
        named = await browser.get("/staff/sign-in", headers={"X-Forwarded-Email": "Sam@erewash.gov.uk"})
        home = await browser.get("/staff/")
        browser.cookies.clear()
        unnamed = await browser.get("/staff/sign-in")
        unknown = await browser.get("/staff/sign-in", headers={"X-Forwarded-Email": "nobody@erewash.gov.uk"})
        return named, home, unnamed, unknown

    named, home, unnamed, unknown = run(scenario, method=method)
    assert named.status == 303 and "Signed in as Sam Officer" in home.body_text
    assert unnamed.status == 403 and unknown.status == 403
    assert "no staff account for you" in unknown.body_text

    elsewhere = staff_auth.TrustedHeaderSignIn(proxies=[ipaddress.ip_network("10.0.0.0/8")])

    async def not_from_the_proxy(browser):
        return await browser.get("/staff/sign-in", headers={"X-Forwarded-Email": "sam@erewash.gov.uk"})

    assert run(not_from_the_proxy, method=elsewhere).status == 403
