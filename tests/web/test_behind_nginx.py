"""Behind a real nginx over HTTPS (issue 15, defect 5), configured as docs/web.md shows: the login and a
later POST pass the origin check, the session cookie is Secure, and login throttling counts each real
client, told apart by the address nginx saw (the test's clients speak from 127.0.0.2 and 127.0.0.3).

nginx is Debian's package (.ci/run installs it); the test skips, saying so, where it is not installed."""

from __future__ import annotations

import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tending.store import open_store
from tending.web.app import create_app
from tests.delivery.servers import free_port

from .conftest import EMAILS, NOW, PASSWORD, csrf_of, seed

NGINX = Path("/usr/sbin/nginx")
PUBLIC_HOST = "community.example.org"
# the server block of docs/web.md, with a test certificate and the origin's port
SERVER_BLOCK = """
server {{
    listen 127.0.0.1:{port} ssl;
    server_name {host};
    ssl_certificate     {cert};
    ssl_certificate_key {key};
    client_max_body_size 2g;
    location / {{
        proxy_pass http://127.0.0.1:{origin};
        proxy_set_header Host $host;
        proxy_set_header X-Forwarded-Proto $scheme;
        proxy_set_header X-Forwarded-Host $host;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        proxy_request_buffering off;
    }}
}}
"""


def _wait_for(port: int, what: str, alive: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and alive():
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    pytest.fail(f"{what} did not start")


@pytest.fixture
def origin(tmp_path: Path, sqlite_template: Path) -> Iterator[int]:
    """tending's dashboard on loopback, trusting the proxy on 127.0.0.1 (`tending serve --proxy-headers`)."""
    import uvicorn

    path = tmp_path / "tending.db"
    shutil.copy(sqlite_template, path)
    url = f"sqlite:///{path}"
    engine = open_store(url)
    seed(engine)
    engine.dispose()
    app = create_app(url, secret_key="nginx test", forwarded_allow_ips="127.0.0.1")
    app.state.web.clock = lambda: NOW
    port = free_port()
    # as `tending serve` runs it: uvicorn's own proxy handling off, tending's ProxyHeaders decides
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host="127.0.0.1",
            port=port,
            log_level="warning",
            lifespan="off",
            proxy_headers=False,
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    _wait_for(port, "the dashboard", thread.is_alive)
    yield port
    server.should_exit = True
    thread.join(timeout=10)
    app.state.web.engine.dispose()


@pytest.fixture
def nginx(tmp_path: Path, origin: int) -> Iterator[int]:
    if not NGINX.exists():
        pytest.skip("nginx is not installed (apt-get install nginx; .ci/run does)")
    conf = tmp_path / "nginx"
    conf.mkdir()
    cert, key = conf / "cert.pem", conf / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "2",
            "-subj",
            f"/CN={PUBLIC_HOST}",
        ],
        check=True,
        capture_output=True,
    )
    port = free_port()
    (conf / "nginx.conf").write_text(
        f"pid {conf}/nginx.pid;\nerror_log {conf}/error.log;\nevents {{}}\nhttp {{\n"
        f"    access_log off;\n    client_body_temp_path {conf}/body;\n    proxy_temp_path {conf}/proxy;\n"
        f"    fastcgi_temp_path {conf}/fastcgi;\n    uwsgi_temp_path {conf}/uwsgi;\n"
        f"    scgi_temp_path {conf}/scgi;\n"
        + SERVER_BLOCK.format(port=port, host=PUBLIC_HOST, cert=cert, key=key, origin=origin)
        + "}\n"
    )
    process = subprocess.Popen(
        [
            str(NGINX),
            "-p",
            str(conf),
            "-c",
            str(conf / "nginx.conf"),
            "-g",
            "daemon off; master_process off;",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        _wait_for(port, "nginx", lambda: process.poll() is None)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)


def browser(port: int, address: str) -> httpx.Client:
    """A browser at `address`, on https://community.example.org (Host and Origin as it would send them)."""
    transport = httpx.HTTPTransport(local_address=address, verify=False)
    return httpx.Client(
        base_url=f"https://127.0.0.1:{port}",
        transport=transport,
        verify=False,
        headers={"Host": PUBLIC_HOST, "Origin": f"https://{PUBLIC_HOST}"},
        timeout=20,
    )


def log_in(client: httpx.Client, email: str, password: str) -> httpx.Response:
    page = client.get("/login")
    return client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": csrf_of(page.text), "next": "/"},
    )


def test_through_nginx_posts_pass_cookies_are_secure_and_each_client_is_throttled(
    nginx: int,
) -> None:
    ada = browser(nginx, "127.0.0.2")
    response = log_in(ada, EMAILS["admin"], PASSWORD)
    assert response.status_code == 303, response.text
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("tending_session=") and "Secure" in cookie and "HttpOnly" in cookie
    token = csrf_of(ada.get("/settings").text)
    assert (
        ada.post("/logout", data={"csrf_token": token}).status_code == 303
    )  # the origin check passed

    mallory = browser(nginx, "127.0.0.3")
    for attempt in range(20):
        log_in(mallory, f"nobody{attempt}@example.org", "wrong password")
    assert (
        "Too many" in log_in(mallory, EMAILS["viewer"], PASSWORD).text
    )  # her address is locked out
    assert (
        log_in(browser(nginx, "127.0.0.2"), EMAILS["viewer"], PASSWORD).status_code == 303
    )  # not Ada's
