"""deploy/: the Raspberry Pi install and the server's production files.

Each file is checked by the tool that will read it: shellcheck for the shell scripts,
bats for install.sh, uninstall.sh and lokalskaerm-display (against a --root tree with
stub commands), systemd-analyze for the units (verify, and security with a threshold),
cloud-init for the first-boot user-data, nginx and caddy for the proxy examples.

A missing tool skips its check, with the reason, except in CI (CI=true), where
.ci/run installs every one of them and a missing tool fails.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
DEPLOY = REPO / "deploy"
PI = DEPLOY / "raspberrypi"
SERVER = DEPLOY / "server"
IN_CI = os.environ.get("CI") == "true"

# systemd-analyze security prints exposure 0.0-10.0; --threshold takes ten times that.
# The player and the server stay at 2.5 or below (measured: 1.5 and 1.3); the kiosk runs
# a compositor and a browser with their own sandbox and is held only to where it is.
EXPOSURE_LIMITS = {
    "lokalskaerm-player.service": 2.5,
    "lokalskaerm-server.service": 2.5,
    "lokalskaerm-kiosk.service": 9.0,
}
UNITS = [
    PI / "systemd" / name for name in ("lokalskaerm-player.service", "lokalskaerm-kiosk.service")
]
SERVER_UNIT = SERVER / "lokalskaerm-server.service"
# What each tool check needs; .ci/run installs these packages.
CI_PACKAGES = ["shellcheck", "bats", "systemd", "cloud-init", "nginx-light", "openssl", "caddy"]


def need(tool: str) -> str:
    """The tool's path; skip the test without it, or fail in CI."""
    path = shutil.which(tool)
    if path is None:
        message = f"{tool} is not installed (CI installs it in .ci/run)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return path


def run(
    args: list[str],
    *,
    timeout: float = 60,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, capture_output=True, text=True, timeout=timeout, check=False, env=env, cwd=cwd
    )


def shell_scripts() -> list[Path]:
    """Every shell script under deploy/: by shebang, or by .sh/.bash/.bats name."""
    found = []
    for path in sorted(DEPLOY.rglob("*")):
        if not path.is_file():
            continue
        with path.open("rb") as f:
            first = f.readline()
        if path.suffix in {".sh", ".bash", ".bats"} or re.match(rb"#!.*\b(bash|sh|bats)\b", first):
            found.append(path)
    return found


def unit_settings(path: Path) -> dict[str, list[str]]:
    """Key → values of a unit file (keys repeat, so every value is kept)."""
    settings: dict[str, list[str]] = {}
    for line in path.read_text().splitlines():
        if "=" in line and not line.startswith(("#", ";", "[")):
            key, _, value = line.partition("=")
            settings.setdefault(key.strip(), []).append(value.strip())
    return settings


# --- files that must agree with the contract (no tools needed) -------------------------


def test_the_player_unit_keeps_the_contract() -> None:
    player = unit_settings(PI / "systemd" / "lokalskaerm-player.service")
    for key, value in {
        "Type": "notify",
        "NotifyAccess": "main",
        "WatchdogSec": "30",
        "Restart": "always",
        "StateDirectory": "lokalskaerm",
        "EnvironmentFile": "/etc/lokalskaerm/player.env",
        "ExecStart": "/opt/lokalskaerm/venv/bin/signage player",
        "ProtectSystem": "strict",
        "RestrictAddressFamilies": "AF_UNIX AF_INET AF_INET6",
        "SupplementaryGroups": "video",
    }.items():
        assert player.get(key) == [value], key
    assert "char-cec rw" in player["DeviceAllow"]


def test_the_kiosk_unit_takes_tty1_as_the_user() -> None:
    kiosk = unit_settings(PI / "systemd" / "lokalskaerm-kiosk.service")
    assert kiosk["PAMName"] == ["login"]
    assert kiosk["TTYPath"] == ["/dev/tty1"]
    assert kiosk["Restart"] == ["always"]
    assert kiosk["User"] == ["lokalskaerm"]
    assert "lokalskaerm-player.service" in " ".join(kiosk["After"])
    assert "lokalskaerm-player.service" in " ".join(kiosk["Wants"])
    # labwc would start nested inside another display if it found WAYLAND_DISPLAY.
    assert "EnvironmentFile" not in kiosk


def test_the_kiosk_starts_chromium_with_the_kiosk_flags() -> None:
    wrapper = (PI / "lokalskaerm-kiosk").read_text()
    for flag in [
        "--kiosk",
        "--ozone-platform=wayland",
        "--noerrdialogs",
        "--disable-infobars",
        "--no-first-run",
        "--hide-crash-restore-bubble",
        "--autoplay-policy=no-user-gesture-required",
        "--check-for-update-interval=31536000",
        "--password-store=basic",
        '--user-data-dir="$PROFILE"',
        "--disable-features=Translate",
    ]:
        assert f"    {flag}" in wrapper or f'    "{flag}' in wrapper, flag
    assert 'PROFILE="$RUNTIME/' in wrapper  # the profile lives in /run/user/<uid> (tmpfs)
    assert "/usr/local/bin/lokalskaerm-kiosk" in (PI / "config" / "labwc-autostart").read_text()


def test_the_server_unit_and_env_name_real_settings() -> None:
    server = unit_settings(SERVER_UNIT)
    assert server["Type"] == ["exec"]
    assert server["ExecStart"] == ["/opt/lokalskaerm/venv/bin/signage serve"]
    assert server["WorkingDirectory"] == ["/var/lib/lokalskaerm-server"]
    assert server["EnvironmentFile"] == ["/etc/lokalskaerm/server.env"]
    env = dict(
        line.split("=", 1)
        for line in (SERVER / "server.env").read_text().splitlines()
        if line and not line.startswith("#")
    )
    assert env["SIGNAGE_HOST"] == "127.0.0.1"
    assert env["SIGNAGE_PORT"] == "8000"
    cli = (REPO / "signage_server" / "cli.py").read_text()
    for key in env:
        assert key in cli, f"server.env sets {key}, which signage serve does not read"
    for key in ("SIGNAGE_DATA_DIR", "SIGNAGE_PLAYLISTS", "SIGNAGE_ASSETS"):
        assert env[key].startswith("/var/lib/lokalskaerm-server/"), key


def test_the_readme_explains_every_installed_file() -> None:
    install = (PI / "install.sh").read_text()
    readme = (PI / "README.md").read_text()
    destinations = re.findall(r"^\s*put_file \S+\s+(/[^\s\"]+)", install, flags=re.M)
    destinations += [
        "/etc/lokalskaerm/player.env",
        "/etc/lokalskaerm/cmdline-added",
        "/etc/systemd/system/lokalskaerm-player.service",
        "/etc/systemd/system/lokalskaerm-kiosk.service",
        "/etc/apt/apt.conf.d/52lokalskaerm-unattended-upgrades",
        "/usr/local/share/icons/lokalskaerm-invisible",
        "/var/lib/systemd/linger",
        "/var/lib/lokalskaerm/token",
        "/boot/firmware/config.txt",
        "/boot/firmware/cmdline.txt",
        "/opt/lokalskaerm/venv",
    ]
    assert len(destinations) > 10
    for path in destinations:
        assert path in readme, f"deploy/raspberrypi/README.md does not mention {path}"


def test_ci_installs_the_tools() -> None:
    ci = (REPO / ".ci" / "run").read_text()
    apt_line = next(line for line in ci.splitlines() if "apt-get install" in line)
    assert "--no-install-recommends" in apt_line
    for package in CI_PACKAGES:
        assert f" {package} " in f" {apt_line} ", package


# --- shellcheck and bats ------------------------------------------------------------------


def test_shell_scripts_pass_shellcheck() -> None:
    shellcheck = need("shellcheck")
    scripts = shell_scripts()
    names = {p.name for p in scripts}
    assert {
        "install.sh",
        "uninstall.sh",
        "lokalskaerm-display",
        "lokalskaerm-kiosk",
        "stub",
    } <= names
    result = run([shellcheck, "--external-sources", *map(str, scripts)], cwd=PI / "tests")
    assert result.returncode == 0, result.stdout + result.stderr


# --- systemd-analyze on the units as installed ---------------------------------------------


@pytest.fixture(scope="module")
def installed_root(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A --root tree as install.sh leaves it, plus what apt and systemd would bring.

    install.sh runs with the bats stubs for every command that would change this machine.
    The system's own units are copied in (verify follows After=/Wants= into them), and
    labwc, which apt would install, is a stub executable so that ExecStart= resolves.
    """
    need("bash")
    base = tmp_path_factory.mktemp("deploy")
    root, bin_dir, state = base / "root", base / "bin", base / "state"
    for path in (root, bin_dir, state):
        path.mkdir()
    for name in (
        "systemctl",
        "apt-get",
        "apt-cache",
        "dpkg-query",
        "raspi-config",
        "useradd",
        "usermod",
        "id",
        "getent",
        "chown",
        "loginctl",
        "python3",
    ):
        (bin_dir / name).symlink_to(PI / "tests" / "stubs" / "stub")
    env = {
        **os.environ,
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "STUB_LOG": str(base / "calls.log"),
        "STUB_STATE": str(state),
        "LOKALSKAERM_OS_RELEASE": "/dev/null",
    }
    result = run(
        [
            str(PI / "install.sh"),
            "--root",
            str(root),
            "--server",
            "https://skaerm.example",
            "--source",
            str(REPO),
        ],
        env=env,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    system_units = next(
        (p for p in (Path("/usr/lib/systemd/system"), Path("/lib/systemd/system")) if p.is_dir()),
        None,
    )
    if system_units is not None:
        shutil.copytree(system_units, root / "usr/lib/systemd/system", symlinks=True)
    labwc = root / "usr/bin/labwc"
    labwc.parent.mkdir(parents=True, exist_ok=True)
    labwc.write_text("#!/bin/sh\n")
    labwc.chmod(0o755)
    shutil.copy(SERVER_UNIT, root / "etc/systemd/system" / SERVER_UNIT.name)
    yield root


ALL_UNITS = [p.name for p in UNITS] + [SERVER_UNIT.name]


@pytest.mark.parametrize("unit", ALL_UNITS)
def test_unit_verifies_without_a_single_warning(installed_root: Path, unit: str) -> None:
    analyze = need("systemd-analyze")
    result = run(
        [analyze, "verify", f"--root={installed_root}", "--man=no", "--generators=no", unit]
    )
    output = (result.stdout + result.stderr).strip()
    assert result.returncode == 0 and output == "", output


@pytest.mark.parametrize("unit", ALL_UNITS)
def test_unit_exposure_stays_under_its_limit(installed_root: Path, unit: str) -> None:
    analyze = need("systemd-analyze")
    limit = EXPOSURE_LIMITS[unit]
    result = run(
        [
            analyze,
            "security",
            "--offline=yes",
            f"--root={installed_root}",
            f"--threshold={round(limit * 10)}",
            "--no-pager",
            unit,
        ]
    )
    found = re.search(r"Overall exposure level for \S+: (\d+\.\d)", result.stdout)
    assert found, result.stdout + result.stderr
    exposure = float(found.group(1))
    assert result.returncode == 0 and exposure <= limit, (
        f"{unit}: exposure {exposure} > {limit}\n{result.stdout}"
    )


# --- cloud-init, nginx, caddy ----------------------------------------------------------------


def test_cloud_init_user_data_passes_the_schema() -> None:
    cloud_init = need("cloud-init")
    user_data = PI / "cloud-init" / "user-data"
    result = run([cloud_init, "schema", "--config-file", str(user_data)])
    assert result.returncode == 0, result.stdout + result.stderr
    text = user_data.read_text()
    assert "install.sh" in text and "--server" in text
    assert "Europe/Copenhagen" in text and "da_DK" in text


def test_nginx_accepts_the_example(tmp_path: Path) -> None:
    """`nginx -t` on the shipped file, included from a minimal main config.

    Only what cannot exist here is replaced: the Let's Encrypt certificate (a throwaway
    self-signed one) and, when not root, the privileged ports 80 and 443.
    """
    nginx = need("nginx")
    openssl = need("openssl")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    made = run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=skaerm.example.dk",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ]
    )
    assert made.returncode == 0, made.stderr
    site = (SERVER / "nginx.conf").read_text()
    live = "/etc/letsencrypt/live/skaerm.example.dk"
    assert f"{live}/fullchain.pem" in site
    site = site.replace(f"{live}/fullchain.pem", str(cert)).replace(f"{live}/privkey.pem", str(key))
    if os.geteuid() != 0:
        site = re.sub(r"listen (\[::\]:)?80;", r"listen \g<1>18080;", site)
        site = re.sub(r"listen (\[::\]:)?443 ssl;", r"listen \g<1>18443 ssl;", site)
    (tmp_path / "site.conf").write_text(site)
    temp_paths = "".join(
        f"    {kind}_temp_path {tmp_path / kind};\n" for kind in ("client_body", "proxy")
    )
    main = tmp_path / "nginx.conf"
    main.write_text(
        f"pid {tmp_path / 'nginx.pid'};\n"
        f"error_log {tmp_path / 'error.log'};\n"
        "events {}\n"
        "http {\n"
        "    access_log off;\n"
        f"{temp_paths}"
        f"    include {tmp_path / 'site.conf'};\n"
        "}\n"
    )
    result = run([nginx, "-t", "-q", "-c", str(main)])
    problems = [
        line for line in result.stderr.splitlines() if "[warn]" in line or "[emerg]" in line
    ]
    assert result.returncode == 0 and not problems, result.stderr


def test_caddy_accepts_the_example(tmp_path: Path) -> None:
    caddy = need("caddy")
    caddyfile = SERVER / "Caddyfile"
    env = {
        **os.environ,
        "HOME": str(tmp_path),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
    }
    result = run([caddy, "validate", "--config", str(caddyfile), "--adapter", "caddyfile"], env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    formatted = run([caddy, "fmt", str(caddyfile)], env=env)
    assert formatted.stdout == caddyfile.read_text(), (
        "run: caddy fmt --overwrite deploy/server/Caddyfile"
    )


# --- bats (started at the top of the module, collected here) ----------------------------


BATS_SUITES = ["install.bats", "display.bats", "kiosk.bats"]


@pytest.fixture(scope="module", autouse=True)
def bats_runs() -> Iterator[dict[str, subprocess.Popen[str]]]:
    """The bats suites take most of this file's time: start them all at once, at the
    start of the module, and let the other checks run meanwhile."""
    bats = shutil.which("bats")
    runs: dict[str, subprocess.Popen[str]] = {}
    if bats is not None:
        for suite in BATS_SUITES:
            runs[suite] = subprocess.Popen(
                [bats, "--tap", str(PI / "tests" / suite)],
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
    yield runs
    for process in runs.values():
        if process.poll() is None:
            process.kill()
        process.communicate()


@pytest.mark.parametrize("suite", BATS_SUITES)
def test_bats(bats_runs: dict[str, subprocess.Popen[str]], suite: str) -> None:
    need("bats")
    output, _ = bats_runs[suite].communicate(timeout=150)
    assert bats_runs[suite].returncode == 0, output
    planned = re.search(r"^1\.\.(\d+)$", output, flags=re.M)
    assert planned, output
    assert output.count("\nok ") == int(planned.group(1)), output
