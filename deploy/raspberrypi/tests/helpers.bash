# shellcheck shell=bash
# Shared set-up for the bats tests: a stub bin directory first on PATH, a log of every
# stubbed call, and helpers to look at a --root tree.

DEPLOY="$(cd "$BATS_TEST_DIRNAME/.." && pwd)"
REPO="$(cd "$DEPLOY/../.." && pwd)"
export DEPLOY REPO

# use_stubs DIR NAME...: the logging stub under these names in DIR, and DIR first on PATH.
use_stubs() {
    local dir="$1" name
    shift
    mkdir -p "$dir"
    for name in "$@"; do
        ln -sf "$DEPLOY/tests/stubs/stub" "$dir/$name"
    done
    [[ ":$PATH:" == *":$dir:"* ]] || export PATH="$dir:$PATH"
}

# setup_stubs DIR: a fresh call log and stub state in DIR.
setup_stubs() {
    export STUB_LOG="$1/calls.log"
    export STUB_STATE="$1/state"
    mkdir -p "$1"
    : >"$STUB_LOG"
    mkdir -p "$STUB_STATE"
}

# The calls logged so far, one per line: "name args".
calls() {
    cat "$STUB_LOG"
}

# One line per file, link and directory below $1: path, type, mode, content hash.
tree_sum() {
    local root="$1"
    (cd "$root" && find . -mindepth 1 -printf '%p %y %m %l\n' | sort &&
        find . -type f -print0 | sort -z | xargs -0 -r sha256sum)
}

# Fail with the text when $1 does not contain the line $2 exactly.
assert_line_in() {
    if ! grep -qxF -- "$2" <<<"$1"; then
        printf 'expected the line:\n  %s\nin:\n%s\n' "$2" "$1" >&2
        return 1
    fi
}

assert_no_line_matching() {
    if grep -qE -- "$2" <<<"$1"; then
        printf 'expected no line matching %s in:\n%s\n' "$2" "$1" >&2
        return 1
    fi
}
