#!/usr/bin/env bats
# lokalskaerm-display with stub cec-ctl and wlopm: HDMI-CEC only, DPMS only, both, a TV
# that never answers, nothing at all, and bad usage.

load helpers

setup() {
    setup_stubs "$BATS_TEST_TMPDIR"
    BIN="$BATS_TEST_TMPDIR/bin"
    mkdir -p "$BATS_TEST_TMPDIR/dev"
    export LOKALSKAERM_CEC_GLOB="$BATS_TEST_TMPDIR/dev/cec*"
    export LOKALSKAERM_DISPLAY_TIMEOUT=1
    export LOKALSKAERM_PLAYER_ENV="$BATS_TEST_TMPDIR/no-player.env"
    # The real wlopm and cec-ctl must never be reached from here.
    unset WAYLAND_DISPLAY XDG_RUNTIME_DIR
    DISPLAY_CMD="$DEPLOY/lokalskaerm-display"
}

with_cec() {
    use_stubs "$BIN" cec-ctl
    touch "$BATS_TEST_TMPDIR/dev/cec0"
}

with_dpms() {
    use_stubs "$BIN" wlopm
    export WAYLAND_DISPLAY=wayland-0 XDG_RUNTIME_DIR="$BATS_TEST_TMPDIR"
}

# Only the stub bin on PATH ahead of the system, and no wlopm or cec-ctl from the system.
display() {
    PATH="$BIN:/usr/bin:/bin" "$DISPLAY_CMD" "$@"
}

@test "CEC only: on wakes the TV and makes the Pi its input" {
    with_cec
    run display on
    [ "$status" -eq 0 ]
    dev="$BATS_TEST_TMPDIR/dev/cec0"
    assert_line_in "$(calls)" "cec-ctl -d $dev --playback --osd-name Lokalskaerm"
    assert_line_in "$(calls)" "cec-ctl -s -d $dev --to 0 --image-view-on"
    assert_line_in "$(calls)" "cec-ctl -s -d $dev --to 15 --active-source phys-addr=1.0.0.0"
}

@test "CEC only: off sends standby; status reads the TV's power state" {
    with_cec
    run display off
    [ "$status" -eq 0 ]
    assert_line_in "$(calls)" "cec-ctl -s -d $BATS_TEST_TMPDIR/dev/cec0 --to 0 --standby"
    run display status
    [ "$status" -eq 0 ]
    [ "$output" = on ]
    STUB_CEC_POWER=standby run display status
    [ "$status" -eq 0 ]
    [ "$output" = off ]
    # Some TVs answer "to-on" for as long as they are on.
    STUB_CEC_POWER=to-on run display status
    [ "$output" = on ]
}

@test "CEC only: a TV that does not acknowledge counts as a failure" {
    with_cec
    STUB_CEC=nack run display on
    [ "$status" -eq 1 ]
    [[ "$output" == *"did not take image-view-on"* ]]
    STUB_CEC_POWER=none run display status
    [ "$status" -eq 1 ]
    [ "${lines[0]}" = unknown ]
}

@test "CEC on every /dev/cec* device" {
    with_cec
    touch "$BATS_TEST_TMPDIR/dev/cec1"
    run display off
    [ "$status" -eq 0 ]
    assert_line_in "$(calls)" "cec-ctl -s -d $BATS_TEST_TMPDIR/dev/cec0 --to 0 --standby"
    assert_line_in "$(calls)" "cec-ctl -s -d $BATS_TEST_TMPDIR/dev/cec1 --to 0 --standby"
}

@test "DPMS only: on, off and status through wlopm" {
    with_dpms
    run display on
    [ "$status" -eq 0 ]
    assert_line_in "$(calls)" "wlopm --on *"
    run display off
    [ "$status" -eq 0 ]
    assert_line_in "$(calls)" "wlopm --off *"
    STUB_WLOPM=off run display status
    [ "$status" -eq 0 ]
    [ "$output" = off ]
    run display status
    [ "$output" = on ]
}

@test "DPMS finds the Wayland session in the player's env file" {
    use_stubs "$BIN" wlopm
    printf 'SIGNAGE_SERVER=https://x\nXDG_RUNTIME_DIR=/run/user/1001\nWAYLAND_DISPLAY=wayland-0\n' \
        >"$LOKALSKAERM_PLAYER_ENV"
    run display on
    [ "$status" -eq 0 ]
    assert_line_in "$(calls)" "wlopm --on *"
}

@test "both: on brings the signal up before waking the TV, off the other way round" {
    with_cec
    with_dpms
    run display on
    [ "$status" -eq 0 ]
    [ "$(grep -nE -- '--on|image-view-on' "$STUB_LOG" | cut -d: -f2 | cut -c1-5 | paste -sd,)" = "wlopm,cec-c" ]
    : >"$STUB_LOG"
    run display off
    [ "$status" -eq 0 ]
    [ "$(grep -nE -- '--off|--standby' "$STUB_LOG" | cut -d: -f2 | cut -c1-5 | paste -sd,)" = "cec-c,wlopm" ]
}

@test "both: status is off when either the TV or the signal is off" {
    with_cec
    with_dpms
    run display status
    [ "$output" = on ]
    STUB_WLOPM=off run display status
    [ "$output" = off ]
    STUB_CEC_POWER=standby run display status
    [ "$output" = off ]
}

@test "both: one way failing is enough for success" {
    with_cec
    with_dpms
    STUB_WLOPM=fail run display off
    [ "$status" -eq 0 ]
    STUB_CEC=fail run display on
    [ "$status" -eq 0 ]
}

@test "a hanging cec-ctl is cut off by the timeout and DPMS still works" {
    with_cec
    with_dpms
    start=$(date +%s%N)
    STUB_CEC=hang run display on
    elapsed_ms=$((($(date +%s%N) - start) / 1000000))
    [ "$status" -eq 0 ]
    [ "$elapsed_ms" -lt 2500 ] || { echo "took $elapsed_ms ms"; false; }
    start=$(date +%s%N)
    STUB_CEC=hang run display status
    elapsed_ms=$((($(date +%s%N) - start) / 1000000))
    [ "$output" = on ]
    [ "$elapsed_ms" -lt 2500 ] || { echo "took $elapsed_ms ms"; false; }
}

@test "a hanging cec-ctl and no Wayland: exit 1 within the timeout" {
    with_cec
    start=$(date +%s%N)
    STUB_CEC=hang run display status
    elapsed_ms=$((($(date +%s%N) - start) / 1000000))
    [ "$status" -eq 1 ]
    [ "${lines[0]}" = unknown ]
    [ "$elapsed_ms" -lt 2500 ] || { echo "took $elapsed_ms ms"; false; }
}

@test "nothing available: exit 1 with a reason, status unknown" {
    run display on
    [ "$status" -eq 1 ]
    [[ "$output" == *"no device matches"* ]]
    [[ "$output" == *"wlopm is not installed"* ]]
    # wlopm there, but no Wayland session to talk to.
    use_stubs "$BIN" wlopm
    run display off
    [ "$status" -eq 1 ]
    [[ "$output" == *"WAYLAND_DISPLAY unset"* ]]
    assert_no_line_matching "$(calls)" '^wlopm'

    run display status
    [ "$status" -eq 1 ]
    [ "${lines[0]}" = unknown ]
    # stdout is one word; the reasons go to stderr.
    [ "$(display status 2>/dev/null)" = unknown ]
}

@test "bad usage exits 2" {
    run display
    [ "$status" -eq 2 ]
    run display blink
    [ "$status" -eq 2 ]
    run display on off
    [ "$status" -eq 2 ]
    LOKALSKAERM_DISPLAY_TIMEOUT=soon run display on
    [ "$status" -eq 2 ]
    run display --help
    [ "$status" -eq 0 ]
}
