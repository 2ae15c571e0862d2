#!/usr/bin/env bats
# lokalskaerm-kiosk with stub curl and chromium: it waits for the player's page, starts
# Chromium with the kiosk flags on a profile in the runtime directory, and starts it
# again when it exits.

load helpers

setup() {
    setup_stubs "$BATS_TEST_TMPDIR"
    use_stubs "$BATS_TEST_TMPDIR/bin" curl chromium
    export XDG_RUNTIME_DIR="$BATS_TEST_TMPDIR/run"
    mkdir -p "$XDG_RUNTIME_DIR"
    export LOKALSKAERM_PLAYER_ENV="$BATS_TEST_TMPDIR/player.env"
    echo 'SIGNAGE_PLAYER_PORT=8181' >"$LOKALSKAERM_PLAYER_ENV"
}

# The wrapper runs forever; give it a few seconds, then look at what it did.
kiosk_for() {
    run timeout "$1" "$DEPLOY/lokalskaerm-kiosk"
}

@test "waits for the page, then starts Chromium in kiosk mode on a profile in RAM" {
    STUB_CURL_FAILS=2 kiosk_for 4
    log="$(calls)"
    [ "$(grep -c '^curl ' <<<"$log")" -ge 3 ]
    # Chromium comes only after the page answered.
    [ "$(grep -m1 -n '^chromium ' <<<"$log" | cut -d: -f1)" -gt 3 ]
    first="$(grep -m1 '^chromium ' <<<"$log")"
    for flag in --kiosk --ozone-platform=wayland --noerrdialogs --no-first-run \
        --hide-crash-restore-bubble --autoplay-policy=no-user-gesture-required \
        --password-store=basic "--user-data-dir=$XDG_RUNTIME_DIR/lokalskaerm-chromium"; do
        [[ " $first " == *" $flag "* ]] || { echo "no $flag in: $first"; false; }
    done
    # The port comes from the player's env file; the page is the last argument.
    [[ "$first" == *" http://127.0.0.1:8181/" ]]
    grep -q -- '--max-time 2 --output /dev/null http://127.0.0.1:8181/' <<<"$log"
}

@test "a Chromium that exits is started again" {
    STUB_CHROMIUM_STATUS=1 kiosk_for 4
    [ "$(grep -c '^chromium ' "$STUB_LOG")" -ge 2 ]
    [[ "$output" == *"chromium exited with status 1"* ]]
}

@test "without a runtime directory it refuses to start" {
    unset XDG_RUNTIME_DIR
    kiosk_for 2
    [ "$status" -ne 0 ]
    [[ "$output" == *"XDG_RUNTIME_DIR is unset"* ]]
    [ ! -s "$STUB_LOG" ]
}
