"""`make run-cluster`: the production shape on one machine, under `make run`'s own supervisor.

    residents ─> nginx, ASBCR_CLUSTER_PORT (8080) on ASBCR_CLUSTER_HOST (every interface):
                 the only listener meant for the public; rate, size and time limits
                   └─> the web server, 127.0.0.1:ASBCR_WEB_PORT (page, relay, private pages, staff)
                         └─> nginx, 127.0.0.1:ASBCR_PORT (5005): the Rasa replicas, with failover
                               └─> Rasa replicas 1..ASBCR_REPLICAS, 127.0.0.1:5006, 5007, ...
                                     on the PostgreSQL tracker store and the Redis lock store
                                     └─> nginx, 127.0.0.1:ASBCR_ACTIONS_PORT (5055): failover
                                           └─> action servers 1 and 2, 127.0.0.1:5056, 5057
                 the action servers and the web server share the applications database (PostgreSQL)
                 with the Notify sender, which sends its outbox through GOV.UK Notify (when configured)

Every child is started, watched and restarted by `asbcr.stack.Stack` (backoff, PR_SET_PDEATHSIG,
private var/, a taken port named at once); this module only says which children there are.
nginx's configuration is rendered from asbcr/nginx/*.template into var/nginx/ (private) each
time nginx starts.
"""

from __future__ import annotations

import os
import re
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence

from asbcr.stack import DEFAULT_MODEL, DELIVER, LABELS, LOOPBACK, STARTUP_SECONDS, Stack, StackError, make_private, write_private
from groundwork.paths import ROOT

# The contract's defaults (CONTRACT.md, `make run-cluster`): the local test server for the
# applications, its Redis for the locks. Rasa's tracker store and casework both keep a table
# called `events`, so the tracker store has a database of its own on the same server, created
# on first start.
DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/test"
DEFAULT_TRACKER_URL = "postgresql://postgres@127.0.0.1:5432/asbcr_tracker"
DEFAULT_LOCK_URL = "redis://127.0.0.1:6379/0"
DEFAULT_REPLICAS = 2
ACTION_SERVERS = 2
DEFAULT_PUBLIC_PORT = 8080
DEFAULT_TLS_PORT = 8443
NGINX = "/usr/sbin/nginx"  # Debian's (scripts/nginx-deps.sh); ASBCR_NGINX for another
TEMPLATES = ROOT / "asbcr" / "nginx"
STORE_CHECK_SECONDS = 5

# nginx's own limits per client address, looser than the relay's (web/limits.py) so that the
# relay's kind messages are what a resident normally meets; they stop floods before Python.
# Set 2026-12-03: a page load is about a dozen requests; 20 a second with a burst of 200 lets
# a household or a library behind one address use the page. Chat: the relay allows 60 then 10 a
# second per address; nginx 120 then 15.
NGINX_LIMITS = {"client": (200, 20), "chat": (120, 15), "connections": 100}
LIMITS_SETTING = "ASBCR_CLUSTER_LIMITS"

STARTUP = {"actions": 90.0, "rasa": 240.0, "web": 60.0, "nginx": 30.0, DELIVER: STARTUP_SECONDS[DELIVER]}
PLACEHOLDER = re.compile(r"@@([A-Z_]+)@@")


@dataclass(frozen=True)
class Tls:
    certificate: str
    key: str
    port: int


def nginx_limits(setting: Optional[str] = None) -> dict:
    """NGINX_LIMITS with the ones ASBCR_CLUSTER_LIMITS names replaced:
    `client=BURST/PER_SECOND,chat=BURST/PER_SECOND,connections=N` (a load test from one address)."""
    setting = os.environ.get(LIMITS_SETTING, "") if setting is None else setting
    limits = dict(NGINX_LIMITS)
    for item in filter(None, (part.strip() for part in setting.split(","))):
        name, _, value = (part.strip() for part in item.partition("="))
        try:
            if name == "connections":
                limits[name] = int(value)
                ok = limits[name] >= 1
            elif name in ("client", "chat"):
                burst, _, rate = value.partition("/")
                limits[name] = (int(burst), int(rate))
                ok = min(limits[name]) >= 1
            else:
                ok = False
        except ValueError:
            ok = False
        if not ok:
            raise StackError(
                f"{LIMITS_SETTING}: {item!r} is not client=BURST/PER_SECOND, chat=BURST/PER_SECOND "
                f"or connections=N (whole numbers, 1 or more)"
            )
    return limits


def fill(template: str, values: Dict[str, str]) -> str:
    def value(match: re.Match) -> str:
        if match.group(1) not in values:
            raise StackError(f"nginx template: nothing to put in @@{match.group(1)}@@")
        return values[match.group(1)]

    return PLACEHOLDER.sub(value, template)


def listen_address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def nginx_config(
    *,
    nginx_dir: Path,
    public_host: str,
    public_port: int,
    web_port: int,
    rasa_port: int,
    replica_ports: Sequence[int],
    actions_port: int,
    action_server_ports: Sequence[int],
    limits: Optional[dict] = None,
    tls: Optional[Tls] = None,
) -> str:
    """nginx.conf for the cluster, from asbcr/nginx/*.template."""
    limits = limits or dict(NGINX_LIMITS)

    def servers(ports: Sequence[int]) -> str:
        # max_fails=0: never marked down, so a restarted server is used at once; a dead one on
        # loopback refuses at once and proxy_next_upstream takes the request to the other
        return "\n".join(f"        server {LOOPBACK}:{port} max_fails=0;" for port in ports)

    public_server = fill(
        (TEMPLATES / "public.conf.template").read_text(),
        {
            "CONNECTIONS_PER_CLIENT": str(limits["connections"]),
            "CLIENT_BURST": str(limits["client"][0]),
            "CHAT_BURST": str(limits["chat"][0]),
        },
    ).rstrip("\n")
    tls_values = {
        "TLS_LISTEN": listen_address(public_host, tls.port if tls else DEFAULT_TLS_PORT),
        "TLS_CERT": tls.certificate if tls else "/etc/ssl/asbcr/fullchain.pem",
        "TLS_KEY": tls.key if tls else "/etc/ssl/asbcr/privkey.pem",
        "PUBLIC_SERVER": public_server,
    }
    tls_server = fill((TEMPLATES / "tls.conf.template").read_text(), tls_values).rstrip("\n")
    if tls:
        shown_port = "" if tls.port == 443 else f":{tls.port}"
        plain_server = (
            "        # HTTPS is configured: plain HTTP only sends residents there.\n"
            f"        location / {{\n            return 301 https://$host{shown_port}$request_uri;\n        }}"
        )
    else:
        plain_server = public_server
        tls_server = (
            "    # HTTPS is ready but off: set ASBCR_CLUSTER_TLS_CERT and ASBCR_CLUSTER_TLS_KEY (and\n"
            "    # ASBCR_CLUSTER_TLS_PORT, default 8443) and this server is rendered with them.\n"
            + "\n".join(f"    # {line[4:]}" if line.strip() else "    #" for line in tls_server.splitlines())
        )
    return fill(
        (TEMPLATES / "nginx.conf.template").read_text(),
        {
            "NGINX_DIR": str(nginx_dir),
            "PUBLIC_LISTEN": listen_address(public_host, public_port),
            "WEB_PORT": str(web_port),
            "RASA_PORT": str(rasa_port),
            "ACTIONS_PORT": str(actions_port),
            "RASA_SERVERS": servers(replica_ports),
            "ACTION_SERVERS": servers(action_server_ports),
            "CLIENT_RATE": str(limits["client"][1]),
            "CHAT_RATE": str(limits["chat"][1]),
            "PUBLIC_SERVER": plain_server,
            "TLS_SERVER": tls_server,
        },
    )


def shown(url: str) -> str:
    """A store's URL for a message: without its password."""
    parts = urllib.parse.urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc))


def _database_key(url: str) -> tuple:
    parts = urllib.parse.urlsplit(url)
    return (parts.hostname or "localhost", parts.port or 5432, parts.path.lstrip("/"))


def _sqlalchemy_url(url: str) -> str:
    return "postgresql+psycopg2://" + url.split("://", 1)[1] if url.startswith("postgresql://") else url


class Cluster(Stack):
    """The cluster's children: nginx, the web server, the Rasa replicas and the action servers.
    The ports Stack knows as Rasa's and the action server's (ASBCR_PORT, ASBCR_ACTIONS_PORT) are
    nginx's private balancers in front of them, so the relay and Rasa each have one address."""

    PORTS_TAKEN_HINT = (
        "is another `make run-cluster` (or `make run`) still running? Stop it, or choose other "
        "ports (ASBCR_CLUSTER_PORT, ASBCR_PORT, ASBCR_ACTIONS_PORT, ASBCR_WEB_PORT)."
    )

    def __init__(
        self,
        *,
        model: Path = DEFAULT_MODEL,
        replicas: Optional[int] = None,
        public_port: Optional[int] = None,
        public_host: Optional[str] = None,
        rasa_port: Optional[int] = None,
        actions_port: Optional[int] = None,
        web_port: Optional[int] = None,
        replica_ports: Optional[Sequence[int]] = None,
        action_server_ports: Optional[Sequence[int]] = None,
        tls: Optional[Tls] = None,
        var: Optional[Path] = None,
        env: Optional[Dict[str, str]] = None,
        quiet: bool = True,
    ) -> None:
        env = dict(os.environ if env is None else env)
        for name, default in (
            ("ASBCR_DATABASE_URL", DEFAULT_DATABASE_URL),
            ("ASBCR_TRACKER_URL", DEFAULT_TRACKER_URL),
            ("ASBCR_LOCK_URL", DEFAULT_LOCK_URL),
        ):
            env[name] = env.get(name) or default
        super().__init__(
            model=model, rasa_port=rasa_port, actions_port=actions_port, web_port=web_port, var=var, env=env, quiet=quiet
        )
        try:
            self.replicas = int(replicas or self.env.get("ASBCR_REPLICAS") or DEFAULT_REPLICAS)
            self.public_port = int(public_port or self.env.get("ASBCR_CLUSTER_PORT") or DEFAULT_PUBLIC_PORT)
        except ValueError:
            raise StackError("ASBCR_REPLICAS and ASBCR_CLUSTER_PORT must be whole numbers") from None
        if self.replicas < 1:
            raise StackError("ASBCR_REPLICAS must be 1 or more")
        # nginx is the public tier; ASBCR_CLUSTER_HOST=127.0.0.1 keeps it to this machine.
        self.public_host = public_host or self.env.get("ASBCR_CLUSTER_HOST") or "0.0.0.0"
        self.web_host = LOOPBACK  # behind nginx, whatever ASBCR_WEB_HOST says
        self.replica_ports = list(replica_ports or [self.rasa_port + i for i in range(1, self.replicas + 1)])
        self.action_server_ports = list(action_server_ports or [self.actions_port + i for i in range(1, ACTION_SERVERS + 1)])
        if len(self.replica_ports) != self.replicas or len(self.action_server_ports) != ACTION_SERVERS:
            raise StackError(f"give a port for each of the {self.replicas} replicas and {ACTION_SERVERS} action servers")
        self.tls = tls or self._tls_from_env()
        self.nginx = self.env.get("ASBCR_NGINX") or NGINX
        self.limits = nginx_limits(self.env.get(LIMITS_SETTING, ""))
        # The relay counts the resident's address, which only nginx sees: nginx's X-Forwarded-For is believed.
        self.env["ASBCR_WEB_TRUSTED_PROXIES"] = self.env.get("ASBCR_WEB_TRUSTED_PROXIES") or LOOPBACK
        # Private links point at nginx, the only address residents can reach.
        self.env["ASBCR_PUBLIC_URL"] = self.env.get("ASBCR_PUBLIC_URL") or self.public_url.rstrip("/")

    def _tls_from_env(self) -> Optional[Tls]:
        certificate, key = self.env.get("ASBCR_CLUSTER_TLS_CERT"), self.env.get("ASBCR_CLUSTER_TLS_KEY")
        if not certificate and not key:
            return None
        if not (certificate and key):
            raise StackError("HTTPS needs both ASBCR_CLUSTER_TLS_CERT and ASBCR_CLUSTER_TLS_KEY")
        return Tls(
            str(Path(certificate).resolve()),
            str(Path(key).resolve()),
            int(self.env.get("ASBCR_CLUSTER_TLS_PORT") or DEFAULT_TLS_PORT),
        )

    @property
    def public_url(self) -> str:
        if self.tls:
            return f"https://localhost{'' if self.tls.port == 443 else f':{self.tls.port}'}/"
        return f"http://localhost:{self.public_port}/"

    @property
    def nginx_dir(self) -> Path:
        return self.var / "nginx"

    # --- the children ---------------------------------------------------------------

    def wanted(self) -> List[str]:
        # One Notify sender is enough: each message is claimed before it is sent (casework/notify.py).
        return (
            [f"actions-{i}" for i in range(1, ACTION_SERVERS + 1)]
            + ["nginx"]
            + [f"rasa-{i}" for i in range(1, self.replicas + 1)]
            + ["web"]
            + ([DELIVER] if self.with_deliver else [])
        )

    @staticmethod
    def kind(name: str) -> str:
        return name.split("-")[0]

    @staticmethod
    def number(name: str) -> int:
        return int(name.split("-")[1])

    def label(self, name: str) -> str:
        kind = self.kind(name)
        if kind == "actions":
            return f"action server {self.number(name)}"
        if kind == "rasa":
            return f"Rasa replica {self.number(name)}"
        return {"web": "the chat page server", "nginx": "nginx", DELIVER: LABELS[DELIVER]}[kind]

    def startup_seconds(self, name: str) -> float:
        return STARTUP[self.kind(name)]

    def own_port(self, name: str) -> int:
        kind = self.kind(name)
        if kind == "actions":
            return self.action_server_ports[self.number(name) - 1]
        if kind == "rasa":
            return self.replica_ports[self.number(name) - 1]
        return self.web_port

    def ports_of(self, name: str) -> List[tuple]:
        if name == DELIVER:
            return []
        if name == "nginx":
            ports = [(self.public_host, self.public_port), (LOOPBACK, self.rasa_port), (LOOPBACK, self.actions_port)]
            return ports + ([(self.public_host, self.tls.port)] if self.tls else [])
        return [(LOOPBACK, self.own_port(name))]

    def command(self, name: str) -> List[str]:
        kind = self.kind(name)
        if kind == "actions":
            return self.actions_command(self.own_port(name))
        if kind == "rasa":
            return self.rasa_command(port=self.own_port(name), endpoints=self.endpoints_file(f"endpoints-{name}.yml"))
        if kind == "web":
            return self.web_command()
        if kind == DELIVER:
            return self.deliver_command()
        return [self.nginx, "-p", str(self.nginx_dir), "-c", str(self.nginx_config_file()), "-e", "stderr"]

    def child_env(self, name: str) -> Dict[str, str]:
        return super().child_env(self.kind(name))

    def ready_url(self, name: str) -> Optional[str]:
        kind = self.kind(name)
        if name == DELIVER:
            return None
        if name == "nginx":
            return f"http://{LOOPBACK}:{self.actions_port}/nginx-ready"
        if kind == "actions":
            return f"http://{LOOPBACK}:{self.own_port(name)}/health"
        if kind == "rasa":
            return f"http://{LOOPBACK}:{self.own_port(name)}/webhooks/rest/"
        return f"http://{LOOPBACK}:{self.web_port}/"

    def nginx_config_file(self) -> Path:
        for folder in ("", "tmp"):
            (self.nginx_dir / folder).mkdir(mode=0o700, parents=True, exist_ok=True)
        path = self.nginx_dir / "nginx.conf"
        write_private(
            path,
            nginx_config(
                nginx_dir=self.nginx_dir,
                public_host=self.public_host,
                public_port=self.public_port,
                web_port=self.web_port,
                rasa_port=self.rasa_port,
                replica_ports=self.replica_ports,
                actions_port=self.actions_port,
                action_server_ports=self.action_server_ports,
                limits=self.limits,
                tls=self.tls,
            ),
        )
        return path

    # --- starting -------------------------------------------------------------------

    def start(self) -> "Cluster":
        if not os.access(self.nginx, os.X_OK):
            raise StackError(f"no nginx at {self.nginx}: run scripts/nginx-deps.sh (make run-cluster does), or set ASBCR_NGINX")
        if not self.model.exists():
            raise StackError(f"no trained model at {self.model}: run `make train`")
        self.check_web_python()
        if self.with_deliver:
            self.check_notify()
        make_private(self.var)
        for name in self.wanted():  # every port first: a second start says so at once
            self.check_port_free(name)
        self.prepare_stores()
        try:
            # All at once: the Rasa replicas' model loading is most of the wait.
            for name in self.wanted():
                self._spawn(name)
            for name in self.wanted():
                self._wait_ready(name)
        except BaseException:
            self.stop()
            raise
        return self

    def prepare_stores(self) -> None:
        """Every store answers before anything starts (a replica would otherwise wait for its
        tracker store without a word), the tracker store's database exists, and the applications
        database is migrated once here rather than by three processes at once."""
        tracker, applications, lock = (self.env[name] for name in ("ASBCR_TRACKER_URL", "ASBCR_DATABASE_URL", "ASBCR_LOCK_URL"))
        if not tracker.startswith("postgresql"):
            raise StackError(f"ASBCR_TRACKER_URL must be a PostgreSQL URL for several replicas, not {shown(tracker)}")
        if not lock.startswith("redis"):
            raise StackError(f"ASBCR_LOCK_URL must be a Redis URL for several replicas, not {shown(lock)}")
        if applications.startswith("postgresql") and _database_key(applications) == _database_key(tracker):
            raise StackError(
                "ASBCR_TRACKER_URL and ASBCR_DATABASE_URL name the same database: Rasa's tracker "
                "store and the applications both have an `events` table, so give each its own"
            )
        self._ensure_tracker_database(tracker)
        self._migrate_applications(applications)
        self._ping_redis(lock)

    @staticmethod
    def _ensure_tracker_database(url: str) -> None:
        from sqlalchemy import create_engine, text
        from sqlalchemy.exc import OperationalError

        options = {"connect_args": {"connect_timeout": STORE_CHECK_SECONDS}}
        engine = create_engine(_sqlalchemy_url(url), **options)
        try:
            with engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            return
        except OperationalError as error:
            missing = "does not exist" in str(error.orig)
            if not missing:
                raise StackError(
                    f"the tracker store at {shown(url)} cannot be reached: {str(error.orig).strip().splitlines()[0]}"
                ) from None
        finally:
            engine.dispose()
        database = _database_key(url)[2]
        parts = urllib.parse.urlsplit(url)
        maintenance = urllib.parse.urlunsplit(parts._replace(path="/postgres"))
        admin = create_engine(_sqlalchemy_url(maintenance), isolation_level="AUTOCOMMIT", **options)
        try:
            with admin.connect() as connection:
                quoted = database.replace('"', '""')
                connection.execute(text(f'CREATE DATABASE "{quoted}"'))
        except OperationalError as error:
            raise StackError(
                f"the tracker store's database {database!r} does not exist and cannot be created "
                f"({str(error.orig).strip().splitlines()[0]}): create it, or set ASBCR_TRACKER_URL"
            ) from None
        finally:
            admin.dispose()

    @staticmethod
    def _migrate_applications(url: str) -> None:
        from casework import db
        from casework.errors import CaseworkError

        try:
            db.get_engine(url)
        except CaseworkError as error:
            raise StackError(f"the applications database: {error}") from None
        finally:
            db.dispose_all()

    @staticmethod
    def _ping_redis(url: str) -> None:
        import redis

        try:
            redis.Redis.from_url(url, socket_connect_timeout=STORE_CHECK_SECONDS, socket_timeout=STORE_CHECK_SECONDS).ping()
        except redis.RedisError as error:
            raise StackError(f"the lock store at {shown(url)} cannot be reached: {error}") from None
