"""A real Matrix Synapse homeserver on 127.0.0.1 for the tests, from the virtual environment that
scripts/synapse-for-tests installs (skipped with the reason when it is absent)."""

from __future__ import annotations

import hashlib
import hmac
import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from .servers import free_port

SECRET = "tending-test-shared-secret"
CONFIG = """\
server_name: "localhost"
pid_file: "{home}/homeserver.pid"
public_baseurl: "http://127.0.0.1:{port}/"
listeners:
  - port: {port}
    bind_addresses: ["127.0.0.1"]
    type: http
    tls: false
    x_forwarded: false
    resources:
      - names: [client]
        compress: false
database:
  name: sqlite3
  args:
    database: "{home}/homeserver.db"
media_store_path: "{home}/media"
signing_key_path: "{home}/signing.key"
registration_shared_secret: "{secret}"
report_stats: false
trusted_key_servers: []
suppress_key_server_warning: true
use_presence: false
url_preview_enabled: false
enable_metrics: false
rc_message: {{per_second: 1000, burst_count: 1000}}
rc_registration: {{per_second: 1000, burst_count: 1000}}
rc_room_creation: {{per_second: 1000, burst_count: 1000}}
rc_login:
  address: {{per_second: 1000, burst_count: 1000}}
  account: {{per_second: 1000, burst_count: 1000}}
  failed_attempts: {{per_second: 1000, burst_count: 1000}}
rc_joins:
  local: {{per_second: 1000, burst_count: 1000}}
  remote: {{per_second: 1000, burst_count: 1000}}
rc_invites:
  per_room: {{per_second: 1000, burst_count: 1000}}
  per_user: {{per_second: 1000, burst_count: 1000}}
  per_issuer: {{per_second: 1000, burst_count: 1000}}
"""


def synapse_python() -> Path:
    home = Path(
        os.environ.get("TENDING_SYNAPSE_HOME") or Path.home() / ".cache" / "tending-synapse"
    )
    python = home / "venv" / "bin" / "python"
    if not python.exists():
        pytest.skip(
            f"Synapse is not installed ({python} is absent): run scripts/synapse-for-tests install"
        )
    return python


@dataclass
class Homeserver:
    url: str
    process: subprocess.Popen[bytes]

    def register(self, user: str, password: str = "correct horse battery") -> tuple[str, str]:
        """A new account through the shared-secret admin API; returns (user id, access token)."""
        nonce = httpx.get(f"{self.url}/_synapse/admin/v1/register").json()["nonce"]
        mac = hmac.new(SECRET.encode(), digestmod=hashlib.sha1)
        mac.update(b"\x00".join([nonce.encode(), user.encode(), password.encode(), b"notadmin"]))
        answer = httpx.post(
            f"{self.url}/_synapse/admin/v1/register",
            json={
                "nonce": nonce,
                "username": user,
                "password": password,
                "admin": False,
                "mac": mac.hexdigest(),
            },
        )
        answer.raise_for_status()
        data = answer.json()
        return data["user_id"], data["access_token"]

    def login(self, user_id: str, password: str = "correct horse battery") -> str:
        """Another access token (a new device) for an existing account."""
        answer = httpx.post(
            f"{self.url}/_matrix/client/v3/login",
            json={
                "type": "m.login.password",
                "identifier": {"type": "m.id.user", "user": user_id},
                "password": password,
            },
        )
        answer.raise_for_status()
        return str(answer.json()["access_token"])

    def client(self, token: str) -> httpx.Client:
        return httpx.Client(
            base_url=self.url, headers={"Authorization": f"Bearer {token}"}, timeout=30
        )


def start_synapse(home: Path) -> Homeserver:
    python = synapse_python()
    port = free_port()
    config = home / "homeserver.yaml"
    config.write_text(CONFIG.format(home=home, port=port, secret=SECRET))
    subprocess.run(
        [
            str(python),
            "-m",
            "synapse.app.homeserver",
            "--config-path",
            str(config),
            "--generate-keys",
        ],
        check=True,
        capture_output=True,
        cwd=home,
    )
    log = (home / "synapse.log").open("wb")
    process = subprocess.Popen(
        [str(python), "-m", "synapse.app.homeserver", "--config-path", str(config)],
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=home,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"Synapse exited with {process.returncode}; see {home / 'synapse.log'}"
            )
        try:
            if httpx.get(f"{url}/_matrix/client/versions", timeout=1).status_code == 200:
                return Homeserver(url, process)
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    process.terminate()
    raise RuntimeError(f"Synapse did not answer within 90 s; see {home / 'synapse.log'}")
