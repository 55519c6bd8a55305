"""DESIGN §2 rule 8: the whole pipeline, CLI and app, runs with every socket call refused.

The pipeline runs in fresh interpreters whose ``sitecustomize`` makes every socket connection,
name lookup or datagram raise and logs it, so even an attempt that some library catches and
ignores is caught here. Matplotlib gets an empty config folder, so its font cache is built inside
the blocked interpreter. A source scan shows no network client is imported by our code at all.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import DEMO, ROOT

SITECUSTOMIZE = '''
"""Test harness: every network call is logged to $DOPPEL_NETLOG and raises."""
import os, socket, traceback

class NetworkUsed(BaseException):
    """Not an OSError, so no library's 'offline? never mind' handler can swallow it."""

def _refuse(name):
    def refuse(*args, **kwargs):
        with open(os.environ["DOPPEL_NETLOG"], "a", encoding="utf-8") as log:
            log.write(f"{name}{args!r}\\n" + "".join(traceback.format_stack(limit=8)) + "\\n")
        raise NetworkUsed(f"network call {name} attempted with the network disabled")
    return refuse

for _name in ("connect", "connect_ex", "sendto", "sendmsg", "bind"):
    setattr(socket.socket, _name, _refuse(f"socket.{_name}"))
for _name in ("create_connection", "getaddrinfo", "gethostbyname", "gethostbyname_ex", "gethostbyaddr",
              "create_server", "socketpair"):
    setattr(socket, _name, _refuse(f"socket.{_name}"))
'''

PIPELINE = '''
import json, sys
from engine.cli import main
folder = sys.argv[1]
steps = {
    "inspect": ["inspect", f"{folder}/staff.csv"],
    "train": ["train", f"{folder}/staff.csv", "--epsilon", "2", "--epochs", "4", "--batch-size", "30",
              "--preprocessing-share", "0.8", "--seed", "1", "--model", f"{folder}/staff.doppel"],
    "sample": ["sample", f"{folder}/staff.doppel", "--rows", "300", "--out", f"{folder}/synthetic.csv"],
    "report": ["report", f"{folder}/staff.csv", f"{folder}/synthetic.csv", "--model", f"{folder}/staff.doppel",
               "--target", "attrition", "--out", f"{folder}/report.html"],
    "ledger": ["ledger", f"{folder}/staff.csv"],
}
print(json.dumps({name: main(args) for name, args in steps.items()}))
'''


@pytest.fixture()
def offline_env(tmp_path: Path) -> dict[str, str]:
    """Environment of an interpreter with sockets refused, a fresh matplotlib cache and ledger."""
    harness = tmp_path / "harness"
    harness.mkdir()
    (harness / "sitecustomize.py").write_text(SITECUSTOMIZE, encoding="utf-8")
    (tmp_path / "mpl").mkdir()
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(harness), str(ROOT)]),
            "DOPPEL_NETLOG": str(tmp_path / "network.log"), "DOPPEL_HOME": str(tmp_path / "home"),
            "MPLCONFIGDIR": str(tmp_path / "mpl"), "QT_QPA_PLATFORM": "offscreen", "PYTHONWARNINGS": "ignore",
            "XDG_CACHE_HOME": str(tmp_path / "cache")}


def network_log(env: dict[str, str]) -> str:
    log = Path(env["DOPPEL_NETLOG"])
    return log.read_text(encoding="utf-8") if log.exists() else ""


def test_harness_catches_a_network_call(offline_env: dict[str, str]) -> None:
    """The blocker itself works: a connection attempt fails loudly and is logged."""
    code = "import urllib.request; urllib.request.urlopen('http://example.com', timeout=1)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=offline_env,
                            timeout=60)
    assert result.returncode != 0 and "NetworkUsed" in result.stderr
    assert "socket.create_connection(('example.com', 80)" in network_log(offline_env)


def test_cli_pipeline_runs_with_sockets_refused(offline_env: dict[str, str], tmp_path: Path) -> None:
    pd.read_csv(DEMO).head(300).to_csv(tmp_path / "staff.csv", index=False)
    result = subprocess.run([sys.executable, "-c", PIPELINE, str(tmp_path)], capture_output=True, text=True,
                            cwd=tmp_path, env=offline_env, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    codes = json.loads(result.stdout.strip().splitlines()[-1])
    assert codes == {"inspect": 0, "train": 0, "sample": 0, "report": 0, "ledger": 0}, result.stderr[-3000:]
    assert network_log(offline_env) == ""
    assert len(pd.read_csv(tmp_path / "synthetic.csv")) == 300
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html, re.IGNORECASE)
    assert any((tmp_path / "mpl").iterdir()), "matplotlib built its font cache inside the blocked run"


def test_app_starts_and_loads_the_demo_with_sockets_refused(offline_env: dict[str, str], tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "desktop_app", "--startup-probe"], capture_output=True,
                            text=True, cwd=ROOT, env=offline_env, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "window shown after" in result.stdout and "demo table loaded after" in result.stdout, result.stdout
    assert network_log(offline_env) == ""


NETWORK_CLIENTS = re.compile(
    r"^\s*(import|from)\s+(urllib|http|requests|httpx|urllib3|aiohttp|socket|ssl|ftplib|smtplib|xmlrpc|"
    r"torch\.hub|huggingface_hub|PySide6\.QtNetwork|PySide6\.QtWebEngine\w*)\b"
    r"|torch\.hub|load_state_dict_from_url|download_url_to_file|QNetworkAccessManager|QWebEngine",
    re.MULTILINE)


def test_no_network_client_in_our_code() -> None:
    found = []
    for package in ("engine", "desktop_app"):
        for path in sorted((ROOT / package).rglob("*.py")):
            for match in NETWORK_CLIENTS.finditer(path.read_text(encoding="utf-8")):
                found.append(f"{path.relative_to(ROOT)}: {match.group(0).strip()}")
    assert found == []


def test_source_scan_would_see_a_network_import() -> None:
    sample = "import json\nfrom urllib.request import urlopen\nweights = torch.hub.load('x', 'y')\n"
    assert [m.group(0).strip() for m in NETWORK_CLIENTS.finditer(sample)] == [
        "from urllib", "torch.hub"]
