#!/usr/bin/env bats
# install.sh and uninstall.sh against a --root tree, with every command that would change
# this machine replaced by a logging stub. setup_file installs once and then again, and
# keeps both runs' calls, output and tree for the tests that only look.

load helpers

STUBBED=(systemctl apt-get apt-cache dpkg-query raspi-config useradd usermod userdel id
    getent chown loginctl python3)

# make_root DIR: a Raspberry Pi OS boot partition and nothing else.
make_root() {
    mkdir -p "$1/boot/firmware"
    printf '%s\n' '# For more options see http://rptl.io/configtxt' 'dtparam=audio=on' \
        'dtoverlay=vc4-kms-v3d' '[pi4]' 'arm_boost=1' >"$1/boot/firmware/config.txt"
    echo 'console=serial0,115200 console=tty1 root=PARTUUID=0b1c-02 rootfstype=ext4 rootwait' \
        >"$1/boot/firmware/cmdline.txt"
}

setup_file() {
    use_stubs "$BATS_FILE_TMPDIR/bin" "${STUBBED[@]}"
    export LOKALSKAERM_OS_RELEASE="$BATS_FILE_TMPDIR/os-release"
    echo 'VERSION_CODENAME=bookworm' >"$LOKALSKAERM_OS_RELEASE"
    local dir="$BATS_FILE_TMPDIR" root="$BATS_FILE_TMPDIR/root"
    make_root "$root"
    tree_sum "$root" >"$dir/before.sum"
    setup_stubs "$dir/shared"
    STUB_APT_CHROMIUM_BROWSER=1 STUB_LOG="$dir/first.log" "$DEPLOY/install.sh" --root "$root" \
        --source "$REPO" --server https://skaerm.example/ --token s3cret-Token_1 >"$dir/first.out" 2>&1
    tree_sum "$root" >"$dir/first.sum"
    STUB_APT_CHROMIUM_BROWSER=1 STUB_LOG="$dir/second.log" "$DEPLOY/install.sh" --root "$root" \
        --source "$REPO" --server https://skaerm.example/ --token s3cret-Token_1 >"$dir/second.out" 2>&1
    tree_sum "$root" >"$dir/second.sum"
}

setup() {
    SHARED="$BATS_FILE_TMPDIR/root"
    setup_stubs "$BATS_TEST_TMPDIR"
    ROOT="$BATS_TEST_TMPDIR/root"
    make_root "$ROOT"
    BEFORE="$(tree_sum "$ROOT")"
}

install_here() {
    "$DEPLOY/install.sh" --root "$ROOT" --source "$REPO" "$@"
}

@test "install puts units, scripts and config in place" {
    for path in etc/systemd/system/lokalskaerm-player.service \
        etc/systemd/system/lokalskaerm-kiosk.service \
        etc/lokalskaerm/labwc/rc.xml etc/lokalskaerm/labwc/autostart \
        etc/lokalskaerm/labwc/environment \
        etc/systemd/system.conf.d/lokalskaerm-watchdog.conf \
        etc/systemd/journald.conf.d/lokalskaerm.conf \
        etc/apt/apt.conf.d/52lokalskaerm-unattended-upgrades \
        usr/local/share/icons/lokalskaerm-invisible/index.theme \
        var/lib/systemd/linger/lokalskaerm; do
        [ -f "$SHARED/$path" ] || { echo "missing $path"; false; }
    done
    [ -x "$SHARED/usr/local/bin/lokalskaerm-display" ]
    [ -x "$SHARED/usr/local/bin/lokalskaerm-kiosk" ]
    [ -x "$SHARED/opt/lokalskaerm/venv/bin/signage" ]
    [ "$(stat -c %a "$SHARED/var/lib/lokalskaerm")" = 700 ]
    # A cursor file: "Xcur", one 1x1 image, all transparent.
    [ "$(head -c 4 "$SHARED/usr/local/share/icons/lokalskaerm-invisible/cursors/default")" = Xcur ]
    [ "$(stat -c %s "$SHARED/usr/local/share/icons/lokalskaerm-invisible/cursors/default")" = 68 ]
    [ "$(readlink "$SHARED/usr/local/share/icons/lokalskaerm-invisible/cursors/left_ptr")" = default ]
    grep -qx 'RuntimeWatchdogSec=14s' "$SHARED/etc/systemd/system.conf.d/lokalskaerm-watchdog.conf"
}

@test "the env file names the server, the cache and the kiosk's Wayland session" {
    env_file="$(cat "$SHARED/etc/lokalskaerm/player.env")"
    assert_line_in "$env_file" 'SIGNAGE_SERVER=https://skaerm.example'
    assert_line_in "$env_file" 'SIGNAGE_CACHE_DIR=/var/lib/lokalskaerm'
    assert_line_in "$env_file" 'SIGNAGE_PLAYER_PORT=8080'
    assert_line_in "$env_file" 'XDG_RUNTIME_DIR=/run/user/1001'
    assert_line_in "$env_file" 'WAYLAND_DISPLAY=wayland-0'
    assert_no_line_matching "$env_file" '^SIGNAGE_TOKEN='
}

@test "install calls apt, useradd, venv, pip without extras, systemctl and raspi-config" {
    log="$(cat "$BATS_FILE_TMPDIR/first.log")"
    apt_install="$(grep '^apt-get install' <<<"$log")"
    for pkg in labwc chromium-browser wlopm grim v4l-utils unattended-upgrades python3-venv \
        systemd-timesyncd; do
        [[ " $apt_install " == *" $pkg "* ]] || { echo "no $pkg in: $apt_install"; false; }
    done
    [[ "$apt_install" == *--no-install-recommends* ]]
    grep -q '^useradd --system --user-group --home-dir /var/lib/lokalskaerm .* lokalskaerm$' <<<"$log"
    assert_line_in "$log" 'usermod -a -G video,render,input lokalskaerm'
    assert_line_in "$log" "python3 -m venv $SHARED/opt/lokalskaerm/venv"
    assert_line_in "$log" \
        "venv-python -m pip install --quiet --disable-pip-version-check --no-cache-dir $REPO"
    assert_line_in "$log" "systemctl --root=$SHARED enable lokalskaerm-player.service lokalskaerm-kiosk.service systemd-timesyncd.service"
    assert_line_in "$log" 'raspi-config nonint do_boot_behaviour B1'
    assert_line_in "$log" "chown lokalskaerm:lokalskaerm $SHARED/var/lib/lokalskaerm"
    # Under --root nothing is started and the running systemd is left alone.
    assert_no_line_matching "$log" '^systemctl (start|restart|daemon-reload)'
    assert_no_line_matching "$log" '^loginctl'
}

@test "on Trixie it installs chromium, not chromium-browser" {
    export LOKALSKAERM_OS_RELEASE="$BATS_TEST_TMPDIR/os-release"
    echo 'VERSION_CODENAME=trixie' >"$LOKALSKAERM_OS_RELEASE"
    export STUB_APT_CHROMIUM_BROWSER=1
    install_here --server https://skaerm.example
    apt_install="$(grep '^apt-get install' "$STUB_LOG")"
    [[ " $apt_install " == *" chromium "* ]]
    [[ " $apt_install " != *" chromium-browser "* ]]
}

@test "the boot config gets one marker block and the cmdline its options once" {
    config="$SHARED/boot/firmware/config.txt"
    [ "$(grep -c '^# BEGIN lokalskaerm' "$config")" -eq 1 ]
    [ "$(grep -c '^# END lokalskaerm' "$config")" -eq 1 ]
    [ "$(grep -cx 'dtparam=watchdog=on' "$config")" -eq 1 ]
    # What was there stays, and our lines apply to every board ([all] after [pi4]).
    grep -qx 'arm_boost=1' "$config"
    [ "$(sed -n '/^# BEGIN lokalskaerm/{n;p}' "$config")" = '[all]' ]
    dups="$(sort "$config" | uniq -d | grep -v '^#' || true)"
    [ -z "$dups" ]
    cmdline="$SHARED/boot/firmware/cmdline.txt"
    [ "$(wc -l <"$cmdline")" -eq 1 ]
    [ "$(grep -o 'consoleblank=0' "$cmdline" | wc -l)" -eq 1 ]
    [ "$(grep -o 'video=HDMI-A-1:1920x1080@60D' "$cmdline" | wc -l)" -eq 1 ]
    grep -q '^console=serial0,115200 console=tty1 root=PARTUUID=0b1c-02 ' "$cmdline"
}

@test "an admin's own video= and consoleblank= on the cmdline are kept" {
    echo 'console=tty1 root=PARTUUID=0b1c-02 rootwait video=HDMI-A-1:1280x720@60 consoleblank=60' \
        >"$ROOT/boot/firmware/cmdline.txt"
    install_here --server https://skaerm.example
    [ "$(cat "$ROOT/boot/firmware/cmdline.txt")" = \
        'console=tty1 root=PARTUUID=0b1c-02 rootwait video=HDMI-A-1:1280x720@60 consoleblank=60' ]
}

@test "a second run changes nothing and repeats no setup" {
    first="$(cat "$BATS_FILE_TMPDIR/first.sum")"
    second="$(cat "$BATS_FILE_TMPDIR/second.sum")"
    [ "$first" != "$(cat "$BATS_FILE_TMPDIR/before.sum")" ]
    [ "$first" = "$second" ] || { diff <(echo "$first") <(echo "$second"); false; }
    log="$(cat "$BATS_FILE_TMPDIR/second.log")"
    assert_no_line_matching "$log" '^(apt-get|useradd|usermod|python3 -m venv)'
    assert_no_line_matching "$(cat "$BATS_FILE_TMPDIR/second.out")" '^(write|make directory):'
    grep -q '^==> done' "$BATS_FILE_TMPDIR/second.out"
}

@test "a second run without --server keeps the configured server and added lines" {
    install_here --server https://skaerm.example
    echo 'SIGNAGE_LOG_LEVEL=DEBUG' >>"$ROOT/etc/lokalskaerm/player.env"
    install_here
    env_file="$(cat "$ROOT/etc/lokalskaerm/player.env")"
    assert_line_in "$env_file" 'SIGNAGE_SERVER=https://skaerm.example'
    assert_line_in "$env_file" 'SIGNAGE_LOG_LEVEL=DEBUG'
    [ "$(grep -c '^SIGNAGE_SERVER=' "$ROOT/etc/lokalskaerm/player.env")" -eq 1 ]
}

@test "--token writes the token file with mode 0600 for the player's user" {
    token="$SHARED/var/lib/lokalskaerm/token"
    [ "$(cat "$token")" = s3cret-Token_1 ]
    [ "$(stat -c %a "$token")" = 600 ]
    grep -q "^chown lokalskaerm:lokalskaerm $SHARED/var/lib/lokalskaerm/.token\." \
        "$BATS_FILE_TMPDIR/first.log"
    # No temp file is left behind.
    [ -z "$(find "$SHARED/var/lib/lokalskaerm" -name '.token.*')" ]
}

@test "--user names the user in the units and the calls" {
    install_here --server https://skaerm.example --user skaerm
    grep -qx 'User=skaerm' "$ROOT/etc/systemd/system/lokalskaerm-player.service"
    grep -qx 'Group=skaerm' "$ROOT/etc/systemd/system/lokalskaerm-player.service"
    grep -qx 'User=skaerm' "$ROOT/etc/systemd/system/lokalskaerm-kiosk.service"
    grep -q 'useradd .* skaerm$' "$STUB_LOG"
}

@test "--dry-run on an empty root leaves it empty and runs nothing" {
    empty="$BATS_TEST_TMPDIR/empty"
    mkdir "$empty"
    run "$DEPLOY/install.sh" --root "$empty" --source "$REPO" --server https://skaerm.example \
        --token s3cret-Token_1 --dry-run
    [ "$status" -eq 0 ] || { echo "$output"; false; }
    [ -z "$(ls -A "$empty")" ]
    [[ "$output" == *"would run: apt-get install"* ]]
    [[ "$output" == *"would write: $empty/etc/systemd/system/lokalskaerm-player.service"* ]]
    [[ "$output" != *s3cret-Token_1* ]]
    # Only questions were asked (who exists, what is installed), nothing was done.
    assert_no_line_matching "$(calls)" '^(apt-get|useradd|usermod|chown|systemctl|raspi-config|python3|venv-python|loginctl)'
}

@test "--dry-run after an install changes nothing" {
    install_here --server https://skaerm.example
    installed="$(tree_sum "$ROOT")"
    : >"$STUB_LOG"
    run install_here --server https://other.example --dry-run
    [ "$status" -eq 0 ]
    [[ "$output" == *"would write: $ROOT/etc/lokalskaerm/player.env"* ]]
    [ "$(tree_sum "$ROOT")" = "$installed" ]
    assert_no_line_matching "$(calls)" '^(apt-get|useradd|usermod|chown|systemctl|raspi-config|python3|venv-python)'
}

@test "bad or missing arguments are refused before anything changes" {
    run install_here
    [ "$status" -ne 0 ]
    [[ "$output" == *"--server URL is required"* ]]
    run install_here --server ftp://skaerm.example
    [ "$status" -ne 0 ]
    run install_here --server https://skaerm.example --token 'two words'
    [ "$status" -ne 0 ]
    run install_here --server https://skaerm.example --bogus
    [ "$status" -ne 0 ]
    [ "$(tree_sum "$ROOT")" = "$BEFORE" ]
    [ ! -s "$STUB_LOG" ]
    run "$DEPLOY/install.sh" --help
    [ "$status" -eq 0 ]
    [[ "$output" == *"--dry-run"* ]]
}

@test "uninstall --purge gives back the tree as it was before the install" {
    install_here --server https://skaerm.example --token s3cret-Token_1
    run "$DEPLOY/uninstall.sh" --root "$ROOT" --purge
    [ "$status" -eq 0 ] || { echo "$output"; false; }
    after="$(tree_sum "$ROOT" | grep -v ' d ')"
    before="$(grep -v ' d ' <<<"$BEFORE")"
    [ "$after" = "$before" ] || { diff <(echo "$before") <(echo "$after"); false; }
    log="$(calls)"
    assert_line_in "$log" "systemctl --root=$ROOT disable lokalskaerm-kiosk.service lokalskaerm-player.service"
    assert_line_in "$log" 'userdel lokalskaerm'
}

@test "uninstall without --purge keeps the cache and the user; --dry-run keeps all" {
    install_here --server https://skaerm.example --token s3cret-Token_1
    installed="$(tree_sum "$ROOT")"
    run "$DEPLOY/uninstall.sh" --root "$ROOT" --dry-run --purge
    [ "$status" -eq 0 ]
    [ "$(tree_sum "$ROOT")" = "$installed" ]
    run "$DEPLOY/uninstall.sh" --root "$ROOT"
    [ "$status" -eq 0 ]
    [ -f "$ROOT/var/lib/lokalskaerm/token" ]
    [ ! -e "$ROOT/etc/systemd/system/lokalskaerm-player.service" ]
    [ ! -e "$ROOT/opt/lokalskaerm" ]
    run grep -q lokalskaerm "$ROOT/boot/firmware/config.txt"
    [ "$status" -eq 1 ]
    assert_no_line_matching "$(calls)" '^userdel'
}
