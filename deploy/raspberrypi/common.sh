# shellcheck shell=bash
# Shared by install.sh and uninstall.sh, which source it from their own folder: the marker
# lines of the managed blocks, the checks of --root and --user, and how every change is
# made (printed, and skipped under --dry-run). Expects ROOT, DRY_RUN and USER_NAME.

# shellcheck disable=SC2034  # used by the scripts that source this file
readonly MARK_BEGIN="# BEGIN lokalskaerm (managed by install.sh; edits inside are lost)"
# shellcheck disable=SC2034
readonly MARK_END="# END lokalskaerm"

die() {
    echo "$(basename "$0"): $*" >&2
    exit 1
}

need_value() {
    [[ $# -ge 2 && -n "$2" ]] || die "$1 needs a value (see --help)"
}

# check_root_and_user ARGS…: make ROOT absolute (empty: /), refuse to change / without
# root, and refuse a user name useradd would not take.
check_root_and_user() {
    if [[ -n "$ROOT" ]]; then
        [[ "$ROOT" == /* ]] || ROOT="$PWD/$ROOT"
        ROOT="${ROOT%/}"
        [[ -n "$ROOT" ]] || die "--root / is the default; leave it out"
    fi
    if [[ -z "$ROOT" && $DRY_RUN -eq 0 && $EUID -ne 0 ]]; then
        die "run it as root: sudo $0 $*"
    fi
    [[ "$USER_NAME" =~ ^[a-z_][a-z0-9_-]{0,30}$ ]] || die "--user: not a user name: '$USER_NAME'"
}

say() { echo "==> $*"; }

run() {
    if ((DRY_RUN)); then
        echo "would run: $(printf '%q ' "$@")"
    else
        echo "run: $*"
        "$@"
    fi
}
