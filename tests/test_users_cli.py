"""`signage users add|list` as a user runs them: real processes, the password on stdin."""

from __future__ import annotations

from signage_server import store, users

from .support import Site
from .test_cli import run, site_flags


def test_users_add_makes_the_first_admin(site: Site) -> None:
    result = run(
        "users", "add", "--email", "Admin@Holbaek.dk", "--role", "admin", "--password-stdin",
        *site_flags(site), stdin="korrekt hest batteri\n",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout == "" and "user 1 admin@holbaek.dk: admin" in result.stderr
    db = store.connect(site.settings.database)
    try:
        user = users.authenticate(db, "admin@holbaek.dk", "korrekt hest batteri")
        assert user is not None and user.role == "admin"
    finally:
        db.close()
    again = run(
        "users", "add", "--email", "admin@holbaek.dk", "--role", "admin", "--password-stdin",
        *site_flags(site), stdin="et andet langt kodeord\n",
    )  # fmt: skip
    assert again.returncode == 2 and "already a user 'admin@holbaek.dk'" in again.stderr


def test_users_add_an_editor_and_list(site: Site) -> None:
    site.recipe("jyderup", 'name = "Jyderup"\n')
    result = run(
        "users", "add", "--email", "mette@morkov.dk", "--role", "editor",
        "--area", "morkov", "--area", "jyderup", "--password-stdin", *site_flags(site),
        stdin="korrekt hest batteri",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "editor in jyderup, morkov" in result.stderr
    listing = run("users", "list", *site_flags(site))
    assert listing.stdout == "1\tmette@morkov.dk\teditor\tjyderup,morkov\n"


def test_users_add_refuses_bad_input(site: Site) -> None:
    cases = [
        (["--role", "editor"], "korrekt hest batteri", "an editor needs at least one --area"),
        (["--role", "editor", "--area", "morkv"], "korrekt hest batteri", "unknown area 'morkv'"),
        (["--role", "admin", "--area", "morkov"], "korrekt hest batteri", "give no --area"),
        (["--role", "admin"], "kort\n", "at least 10 characters"),
        (["--role", "admin"], "", "at least 10 characters"),
        (["--role", "chef"], "korrekt hest batteri", "invalid choice: 'chef'"),
    ]
    for flags, stdin, message in cases:
        result = run(
            "users", "add", "--email", "x@holbaek.dk", *flags, "--password-stdin",
            *site_flags(site), stdin=stdin,
        )  # fmt: skip
        assert result.returncode == 2 and message in result.stderr, (flags, result.stderr)
    no_stdin = run("users", "add", "--email", "x@holbaek.dk", "--role", "admin", *site_flags(site))
    assert no_stdin.returncode == 2 and "--password-stdin" in no_stdin.stderr
    bad_email = run(
        "users", "add", "--email", "x", "--role", "admin", "--password-stdin",
        *site_flags(site), stdin="korrekt hest batteri",
    )  # fmt: skip
    assert bad_email.returncode == 2 and "expected an e-mail address" in bad_email.stderr
    assert run("users", "list", *site_flags(site)).stdout == ""
