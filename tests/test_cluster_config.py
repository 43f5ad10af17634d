"""`make run-cluster`'s nginx configuration (asbcr/cluster.py, asbcr/nginx/*.template) and its
start-up checks, without the cluster: nginx itself is run on the rendered file, with nothing
behind it, to see its TLS server, its redirect and its own error answers."""

from __future__ import annotations

import datetime as dt
import os
import socket
import subprocess
import time

import pytest
import requests
import urllib3

from asbcr.cluster import NGINX, Cluster, Tls, nginx_limits
from asbcr.stack import LOOPBACK, StackError, free_port

pytestmark = pytest.mark.cluster
NGINX_BINARY = os.environ.get("ASBCR_NGINX") or NGINX


def cluster(tmp_path, **options) -> Cluster:
    ports = dict(
        public_port=free_port(),
        rasa_port=free_port(),
        actions_port=free_port(),
        web_port=free_port(),
        replica_ports=[free_port(), free_port()],
        action_server_ports=[free_port(), free_port()],
    )
    return Cluster(var=tmp_path / "var", env={"PATH": os.environ["PATH"]}, public_host=LOOPBACK, **{**ports, **options})


def self_signed(tmp_path) -> Tls:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.timezone.utc)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .sign(key, hashes.SHA256())
    )
    (tmp_path / "cert.pem").write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "key.pem").write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return Tls(str(tmp_path / "cert.pem"), str(tmp_path / "key.pem"), free_port())


@pytest.fixture
def nginx_binary():
    if not os.access(NGINX_BINARY, os.X_OK):
        pytest.fail("no nginx: `make test` installs it first (scripts/nginx-deps.sh)")
    return NGINX_BINARY


def nginx_accepts(nginx_binary, running: Cluster) -> subprocess.CompletedProcess:
    return subprocess.run([nginx_binary, "-t", *running.command("nginx")[1:]], capture_output=True, text=True, timeout=30)


def test_the_rendered_configuration_is_valid_and_has_https_ready_but_off(tmp_path, nginx_binary):
    running = cluster(tmp_path)
    checked = nginx_accepts(nginx_binary, running)
    assert checked.returncode == 0, checked.stderr
    config = (running.nginx_dir / "nginx.conf").read_text()
    assert "@@" not in config.replace("between @@ marks", "")
    assert "    # server {" in config and "#     listen 127.0.0.1:8443 ssl http2;" in config
    assert f"server 127.0.0.1:{running.replica_ports[1]} max_fails=0;" in config
    assert "access_log off;" in config and "master_process off;" in config


@pytest.fixture
def nginx_with_tls(tmp_path, nginx_binary):
    running = cluster(tmp_path, tls=self_signed(tmp_path))
    process = subprocess.Popen(running.command("nginx"), stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30  # a bound on start-up, not a measure
        while True:
            try:
                socket.create_connection((LOOPBACK, running.tls.port), timeout=1).close()
                break
            except OSError:
                assert process.poll() is None, process.stdout.read().decode()
                assert time.monotonic() < deadline, "nginx did not listen"
                time.sleep(0.1)
        running.nginx_process = process
        yield running
    finally:
        process.terminate()
        process.wait(30)


def nginx_log(running: Cluster) -> str:
    running.nginx_process.terminate()
    return running.nginx_process.communicate(timeout=30)[0].decode(errors="replace")


def test_with_a_certificate_https_serves_and_plain_http_redirects(nginx_with_tls):
    urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
    secure = f"https://localhost:{nginx_with_tls.tls.port}"
    # Nothing is behind this nginx: its own answer, in the relay's shape, over TLS.
    response = requests.post(f"{secure}/api/chat", json={"sender": "tls-check-1", "message": "hi"}, verify=False, timeout=30)
    assert response.status_code == 503 and response.json()["error"] == "unavailable", response.text
    assert response.headers["Retry-After"] == "30"
    page = requests.get(f"{secure}/", verify=False, timeout=30)
    assert page.headers["Strict-Transport-Security"] == "max-age=63072000"
    plain = requests.get(f"http://127.0.0.1:{nginx_with_tls.public_port}/application/x?y=1", allow_redirects=False, timeout=30)
    assert plain.status_code == 301
    assert plain.headers["Location"] == f"https://127.0.0.1:{nginx_with_tls.tls.port}/application/x?y=1"
    assert nginx_with_tls.public_url == f"https://localhost:{nginx_with_tls.tls.port}/"
    assert nginx_with_tls.env["ASBCR_PUBLIC_URL"] == nginx_with_tls.public_url.rstrip("/")


def test_the_limits_can_be_set_for_a_load_test_and_a_wrong_setting_is_named():
    assert nginx_limits("client=1000/100, connections=5000")["client"] == (1000, 100)
    assert nginx_limits("")["chat"] == (120, 15)
    for wrong in ("client=100", "chat=0/5", "everyone=1/1", "connections=many"):
        with pytest.raises(StackError, match="ASBCR_CLUSTER_LIMITS"):
            nginx_limits(wrong)


def test_a_taken_public_port_stops_the_start_at_once_naming_it(tmp_path, nginx_binary):
    with socket.socket() as taken:
        taken.bind((LOOPBACK, 0))
        taken.listen()
        port = taken.getsockname()[1]
        running = cluster(tmp_path, public_port=port)
        with pytest.raises(StackError, match=f"port {port} \\(nginx\\) is already in use.*make run-cluster"):
            running.start()
    assert running.processes == {}


def test_the_tracker_store_and_the_applications_cannot_share_a_database(tmp_path):
    same = "postgresql://postgres@127.0.0.1:5432/test"
    running = Cluster(var=tmp_path / "var", env={"ASBCR_TRACKER_URL": same, "ASBCR_DATABASE_URL": same})
    with pytest.raises(StackError, match="name the same database"):
        running.prepare_stores()


def test_the_back_ends_listen_on_loopback_whatever_asbcr_web_host_says(tmp_path):
    running = Cluster(var=tmp_path / "var", env={"ASBCR_WEB_HOST": "0.0.0.0"})
    assert running.web_command()[running.web_command().index("--host") + 1] == LOOPBACK
    assert running.public_host == "0.0.0.0"  # nginx alone is public
    assert running.env["ASBCR_WEB_TRUSTED_PROXIES"] == LOOPBACK  # the relay believes nginx's X-Forwarded-For
    assert running.env["ASBCR_TRACKER_URL"] != running.env["ASBCR_DATABASE_URL"]
    assert running.replica_ports == [5006, 5007] and running.action_server_ports == [5056, 5057]


def test_a_private_link_never_reaches_nginx_s_error_log(nginx_with_tls):
    secure = f"https://localhost:{nginx_with_tls.tls.port}"
    token = "Zq3secretTokenOfAResident0123456789abcdefXYZ"
    assert requests.get(f"{secure}/application/{token}", verify=False, timeout=30).status_code == 503
    assert requests.get(f"{secure}/vendor/no-such-file.css", verify=False, timeout=30).status_code == 503
    log = nginx_log(nginx_with_tls)
    assert "/vendor/no-such-file.css" in log  # nginx does log a failed request elsewhere
    assert token not in log
