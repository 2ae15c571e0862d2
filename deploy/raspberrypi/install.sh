#!/usr/bin/env bash
# Install a Lokalskærm screen on Raspberry Pi OS Lite (Bookworm or Trixie).
#
#   sudo ./install.sh --server https://skaerm.holbaek.dk
#
# Run it again at any time (after `git pull`, to update): it changes only what differs.
# See deploy/raspberrypi/README.md for what it installs and why.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly HERE
# shellcheck source=SCRIPTDIR/common.sh
. "$HERE/common.sh"
readonly UNITS=(lokalskaerm-player.service lokalskaerm-kiosk.service)

usage() {
    cat <<'EOF'
Usage: install.sh --server URL [options]

Installs the Lokalskærm player and kiosk on this Raspberry Pi.

  --server URL     the server, e.g. https://skaerm.holbaek.dk
                   (required unless an earlier run configured one)
  --token TOKEN    this screen's token from `signage screens add`; skips pairing
  --user NAME      the system user for player and kiosk (default: lokalskaerm)
  --hdmi MODE      forced HDMI mode on the kernel command line, e.g. 1920x1080@60
                   (default), "auto" for the TV's own mode, "none" to leave it alone
  --source DIR     the repository to install from (default: the one this script is in)
  --root DIR       install below DIR instead of / (for tests; commands still run)
  --dry-run        print every action, change nothing
  -h, --help       this text
EOF
}

ROOT=""
DRY_RUN=0
SERVER=""
TOKEN=""
USER_NAME="lokalskaerm"
HDMI="1920x1080@60"
SOURCE="$(cd "$HERE/../.." && pwd)"

while [[ $# -gt 0 ]]; do
    case "$1" in
        --server) need_value "$@"; SERVER="$2"; shift 2 ;;
        --server=*) SERVER="${1#*=}"; shift ;;
        --token) need_value "$@"; TOKEN="$2"; shift 2 ;;
        --token=*) TOKEN="${1#*=}"; shift ;;
        --user) need_value "$@"; USER_NAME="$2"; shift 2 ;;
        --user=*) USER_NAME="${1#*=}"; shift ;;
        --hdmi) need_value "$@"; HDMI="$2"; shift 2 ;;
        --hdmi=*) HDMI="${1#*=}"; shift ;;
        --source) need_value "$@"; SOURCE="$2"; shift 2 ;;
        --source=*) SOURCE="${1#*=}"; shift ;;
        --root) need_value "$@"; ROOT="$2"; shift 2 ;;
        --root=*) ROOT="${1#*=}"; shift ;;
        --dry-run) DRY_RUN=1; shift ;;
        -h | --help) usage; exit 0 ;;
        *) usage >&2; die "unknown argument '$1'" ;;
    esac
done

# --- checks before anything changes ------------------------------------------------

check_root_and_user "$@"
[[ -f "$SOURCE/pyproject.toml" ]] || die "--source $SOURCE: no pyproject.toml there"
SOURCE="$(cd "$SOURCE" && pwd)"

ENV_FILE="/etc/lokalskaerm/player.env"
if [[ -z "$SERVER" && -r "$ROOT$ENV_FILE" ]]; then
    SERVER="$(sed -n 's/^SIGNAGE_SERVER=//p' "$ROOT$ENV_FILE" | tail -n 1)"
fi
[[ -n "$SERVER" ]] || die "--server URL is required on the first run (see --help)"
[[ "$SERVER" =~ ^https?://[^[:space:]\"\'\\]+$ ]] ||
    die "--server: expected http(s)://host[:port], got '$SERVER'"
SERVER="${SERVER%/}"
if [[ -n "$TOKEN" && ! "$TOKEN" =~ ^[A-Za-z0-9._~+/=-]+$ ]]; then
    die "--token: expected the token printed by 'signage screens add'"
fi
case "$HDMI" in
    none | auto) ;;
    *) [[ "$HDMI" =~ ^[0-9]+x[0-9]+(@[0-9]+)?$ ]] || die "--hdmi: expected e.g. 1920x1080@60, auto or none" ;;
esac

# --- how every change is made: printed (say, run), and skipped under --dry-run ----------

STAGE="$(mktemp -d)"
trap 'rm -rf "$STAGE"' EXIT
STAGED=0

# put_file SRC PATH MODE: install SRC at $ROOT/PATH atomically, only if it differs.
put_file() {
    local src="$1" dest="$ROOT$2" mode="$3" tmp
    if [[ -f "$dest" && ! -L "$dest" ]] && cmp -s "$src" "$dest" &&
        [[ "$(stat -c %a "$dest")" == "${mode#0}" ]]; then
        return 0
    fi
    if ((DRY_RUN)); then
        echo "would write: $dest (mode $mode)"
        return 0
    fi
    echo "write: $dest"
    [[ -d "${dest%/*}" ]] || mkdir -p "${dest%/*}"
    tmp="${dest%/*}/.${dest##*/}.lokalskaerm-new"
    install -m "$mode" "$src" "$tmp"
    mv -f "$tmp" "$dest"
}

# put_text PATH MODE TEXT: like put_file, for text made here.
put_text() {
    local staged="$STAGE/text.$((++STAGED))"
    printf '%s\n' "$3" >"$staged"
    put_file "$staged" "$1" "$2"
}

put_dir() {
    local dest="$ROOT$1" mode="$2"
    if [[ -d "$dest" && "$(stat -c %a "$dest")" == "${mode#0}" ]]; then
        return 0
    fi
    if ((DRY_RUN)); then
        echo "would make directory: $dest (mode $mode)"
    else
        echo "make directory: $dest"
        install -d -m "$mode" "$dest"
    fi
}

# put_links DIR TARGET NAME...: DIR/NAME -> TARGET for every NAME (one look for all).
put_links() {
    local dir="$ROOT$1" target="$2" name
    shift 2
    local present=" "
    if [[ -d "$dir" ]]; then
        present+="$(find "$dir" -maxdepth 1 -type l -lname "$target" -printf '%f ')"
    fi
    local missing=()
    for name in "$@"; do
        [[ "$present" == *" $name "* ]] || missing+=("$name")
    done
    ((${#missing[@]})) || return 0
    if ((DRY_RUN)); then
        echo "would link: $dir/{$(IFS=,; echo "${missing[*]}")} -> $target"
        return 0
    fi
    echo "link: ${#missing[@]} names in $dir -> $target"
    for name in "${missing[@]}"; do
        ln -sfn "$target" "$dir/$name"
    done
}

# put_block FILE BLOCKFILE: our lines between the markers, once, at the end of FILE.
put_block() {
    local file="$ROOT$1" staged
    [[ -f "$file" ]] || return 0
    staged="$STAGE/block.$((++STAGED))"
    awk -v b="$MARK_BEGIN" -v e="$MARK_END" '
        $0 == b { skip = 1; next }
        $0 == e { skip = 0; next }
        !skip' "$file" >"$staged"
    { echo "$MARK_BEGIN"; cat "$2"; echo "$MARK_END"; } >>"$staged"
    put_file "$staged" "$1" "$(stat -c %a "$file")"
}

# put_cmdline_option FILE KEY OPTION: append OPTION to the one-line cmdline.txt unless
# an option starting with KEY is there (then the admin's choice stays). What we add is
# recorded so that uninstall.sh removes exactly that.
CMDLINE_ADDED="/etc/lokalskaerm/cmdline-added"
put_cmdline_option() {
    local file="$ROOT$1" key="$2" option="$3" line staged word words
    [[ -f "$file" ]] || return 0
    line="$(head -n 1 "$file")"
    read -r -a words <<<"$line"
    for word in "${words[@]}"; do
        [[ "$word" == "$key"* ]] && return 0
    done
    staged="$STAGE/cmdline.$((++STAGED))"
    printf '%s %s\n' "$line" "$option" >"$staged"
    put_file "$staged" "$1" "$(stat -c %a "$file")"
    staged="$STAGE/added.$((++STAGED))"
    { cat "$ROOT$CMDLINE_ADDED" 2>/dev/null || true; echo "$option"; } >"$staged"
    put_file "$staged" "$CMDLINE_ADDED" 0644
}

installed() {
    [[ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" == installed ]]
}

# --- 1. packages ----------------------------------------------------------------------

say "packages"
OS_RELEASE="${LOKALSKAERM_OS_RELEASE:-/etc/os-release}"
CODENAME="$(sed -n 's/^VERSION_CODENAME=//p' "$OS_RELEASE" 2>/dev/null | tr -d '"')"
# Raspberry Pi OS Bookworm ships its own Chromium build as chromium-browser; Trixie calls
# it chromium (chromium-browser is only a transitional name there).
if installed chromium-browser; then
    CHROMIUM=chromium-browser
elif installed chromium; then
    CHROMIUM=chromium
elif [[ "$CODENAME" == bookworm ]] && apt-cache show chromium-browser >/dev/null 2>&1; then
    CHROMIUM=chromium-browser
else
    CHROMIUM=chromium
fi
PACKAGES=(labwc "$CHROMIUM" wlopm grim v4l-utils unattended-upgrades python3-venv
    curl ca-certificates fonts-dejavu-core)
# systemd-timesyncd conflicts with other NTP daemons; one of those is as good.
if ! installed chrony && ! installed ntpsec && ! installed ntp && ! installed openntpd; then
    PACKAGES+=(systemd-timesyncd)
    TIMESYNC=1
else
    TIMESYNC=0
fi
MISSING=()
for pkg in "${PACKAGES[@]}"; do
    installed "$pkg" || MISSING+=("$pkg")
done
if ((${#MISSING[@]})); then
    export DEBIAN_FRONTEND=noninteractive
    run apt-get update -q
    run apt-get install -y -q --no-install-recommends "${MISSING[@]}"
else
    echo "all packages are installed"
fi

# --- 2. the user that runs player and kiosk -------------------------------------------

say "user $USER_NAME"
STATE_DIR="/var/lib/lokalskaerm"
if ! id -u "$USER_NAME" >/dev/null 2>&1; then
    run useradd --system --user-group --home-dir "$STATE_DIR" --no-create-home \
        --shell /usr/sbin/nologin --comment "Lokalskaerm screen" "$USER_NAME"
fi
# video: /dev/cec*, /dev/vchiq (vcgencmd); render: the GPU; input: keyboard and touch.
WANT_GROUPS=()
for group in video render input; do
    getent group "$group" >/dev/null 2>&1 || continue
    id -nG "$USER_NAME" 2>/dev/null | tr ' ' '\n' | grep -qx "$group" || WANT_GROUPS+=("$group")
done
if ((${#WANT_GROUPS[@]})); then
    run usermod -a -G "$(IFS=,; echo "${WANT_GROUPS[*]}")" "$USER_NAME"
fi
if USER_ID="$(id -u "$USER_NAME" 2>/dev/null)"; then
    :
elif ((DRY_RUN)); then
    USER_ID="UID"
else
    die "user $USER_NAME was not created"
fi

# --- 3. the player in its own virtualenv ----------------------------------------------

say "player from $SOURCE"
VENV="/opt/lokalskaerm/venv"
if [[ ! -x "$ROOT$VENV/bin/python" ]]; then
    run python3 -m venv "$ROOT$VENV"
fi
# Without extras: the player needs websockets and the standard library only.
run "$ROOT$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
    --no-cache-dir "$SOURCE"

# --- 4. configuration -----------------------------------------------------------------

say "configuration"
# Keep lines an admin added (say SIGNAGE_LOG_LEVEL=DEBUG); ours are rewritten.
EXTRA=""
if [[ -r "$ROOT$ENV_FILE" ]]; then
    EXTRA="$(grep -vE '^(#|$|SIGNAGE_SERVER=|SIGNAGE_CACHE_DIR=|SIGNAGE_PLAYER_PORT=|XDG_RUNTIME_DIR=|WAYLAND_DISPLAY=)' \
        "$ROOT$ENV_FILE" || true)"
fi
ENV_TEXT="# The player's environment; written by deploy/raspberrypi/install.sh.
# Run install.sh --server URL to change the server; lines you add below are kept.
SIGNAGE_SERVER=$SERVER
SIGNAGE_CACHE_DIR=$STATE_DIR
SIGNAGE_PLAYER_PORT=8080
# The kiosk's Wayland session, for screenshots (grim) and display power (wlopm).
XDG_RUNTIME_DIR=/run/user/$USER_ID
WAYLAND_DISPLAY=wayland-0"
[[ -n "$EXTRA" ]] && ENV_TEXT+=$'\n'"$EXTRA"
put_dir /etc/lokalskaerm 0755
put_text "$ENV_FILE" 0644 "$ENV_TEXT"

for unit in "${UNITS[@]}"; do
    sed "s/^User=lokalskaerm$/User=$USER_NAME/; s/^Group=lokalskaerm$/Group=$USER_NAME/" \
        "$HERE/systemd/$unit" >"$STAGE/$unit"
    put_file "$STAGE/$unit" "/etc/systemd/system/$unit" 0644
done
put_file "$HERE/lokalskaerm-display" /usr/local/bin/lokalskaerm-display 0755
put_file "$HERE/lokalskaerm-kiosk" /usr/local/bin/lokalskaerm-kiosk 0755
put_file "$HERE/config/labwc-rc.xml" /etc/lokalskaerm/labwc/rc.xml 0644
put_file "$HERE/config/labwc-autostart" /etc/lokalskaerm/labwc/autostart 0644
put_file "$HERE/config/labwc-environment" /etc/lokalskaerm/labwc/environment 0644
put_file "$HERE/config/watchdog.conf" /etc/systemd/system.conf.d/lokalskaerm-watchdog.conf 0644
put_file "$HERE/config/journald.conf" /etc/systemd/journald.conf.d/lokalskaerm.conf 0644
put_file "$HERE/config/unattended-upgrades.conf" \
    /etc/apt/apt.conf.d/52lokalskaerm-unattended-upgrades 0644

# An Xcursor file with one transparent 1x1 image, under every name a compositor or a
# browser asks for. Little-endian: header, one table entry, one image chunk.
THEME="/usr/local/share/icons/lokalskaerm-invisible"
printf 'Xcur\x10\0\0\0\0\0\1\0\1\0\0\0\2\0\xfd\xff\x18\0\0\0\x1c\0\0\0' >"$STAGE/cursor"
printf '\x24\0\0\0\2\0\xfd\xff\x18\0\0\0\1\0\0\0\1\0\0\0\1\0\0\0' >>"$STAGE/cursor"
printf '\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0' >>"$STAGE/cursor"
put_file "$HERE/config/index.theme" "$THEME/index.theme" 0644
put_file "$STAGE/cursor" "$THEME/cursors/default" 0644
put_links "$THEME/cursors" default left_ptr arrow top_left_arrow pointer hand hand1 hand2 pointing_hand text xterm \
    ibeam vertical-text wait watch progress left_ptr_watch half-busy crosshair cross \
    tcross cell move fleur all-scroll grab grabbing openhand closedhand dnd-move \
    dnd-copy dnd-link dnd-none copy alias context-menu help question_arrow \
    not-allowed no-drop crossed_circle forbidden col-resize row-resize sb_h_double_arrow \
    sb_v_double_arrow e-resize w-resize n-resize s-resize ne-resize nw-resize se-resize \
    sw-resize ew-resize ns-resize nesw-resize nwse-resize right_side left_side top_side \
    bottom_side top_right_corner top_left_corner bottom_right_corner bottom_left_corner \
    size_hor size_ver size_bdiag size_fdiag zoom-in zoom-out X_cursor pirate

# The runtime directory /run/user/<uid> stays from boot to shutdown (linger), so the
# player finds the Wayland socket even while the kiosk restarts.
[[ -d "$ROOT/var/lib/systemd/linger" ]] || put_dir /var/lib/systemd/linger 0755
if [[ ! -e "$ROOT/var/lib/systemd/linger/$USER_NAME" ]]; then
    : >"$STAGE/linger"
    put_file "$STAGE/linger" "/var/lib/systemd/linger/$USER_NAME" 0644
fi

# The cache; the token (when given) goes in it, readable by the player's user only.
put_dir "$STATE_DIR" 0700
run chown "$USER_NAME:$USER_NAME" "$ROOT$STATE_DIR"
if [[ -n "$TOKEN" ]]; then
    TOKEN_FILE="$ROOT$STATE_DIR/token"
    if [[ -f "$TOKEN_FILE" && "$(cat "$TOKEN_FILE")" == "$TOKEN" &&
        "$(stat -c %a "$TOKEN_FILE")" == 600 ]]; then
        :
    elif ((DRY_RUN)); then
        echo "would write: $TOKEN_FILE (mode 600, the token is not shown)"
    else
        echo "write: $TOKEN_FILE"
        tmp="$(umask 077 && mktemp "$ROOT$STATE_DIR/.token.XXXXXX")"
        printf '%s\n' "$TOKEN" >"$tmp"
        chmod 600 "$tmp"
        run chown "$USER_NAME:$USER_NAME" "$tmp"
        mv -f "$tmp" "$TOKEN_FILE"
    fi
fi

# --- 5. boot configuration --------------------------------------------------------------

say "boot configuration"
BOOT=""
for dir in /boot/firmware /boot; do
    if [[ -f "$ROOT$dir/config.txt" ]]; then
        BOOT="$dir"
        break
    fi
done
if [[ -n "$BOOT" ]]; then
    put_block "$BOOT/config.txt" "$HERE/config/config.txt.block"
    put_cmdline_option "$BOOT/cmdline.txt" consoleblank= consoleblank=0
    case "$HDMI" in
        none) ;;
        # D: the output stays on when the TV is off or switched on after the Pi.
        auto) put_cmdline_option "$BOOT/cmdline.txt" video=HDMI-A-1: video=HDMI-A-1:D ;;
        *) put_cmdline_option "$BOOT/cmdline.txt" video=HDMI-A-1: "video=HDMI-A-1:${HDMI}D" ;;
    esac
else
    echo "no config.txt in /boot/firmware or /boot: not a Raspberry Pi? boot settings skipped"
fi

# --- 6. services --------------------------------------------------------------------------

say "services"
SYSTEMCTL=(systemctl)
[[ -n "$ROOT" ]] && SYSTEMCTL+=("--root=$ROOT")
[[ -z "$ROOT" ]] && run systemctl daemon-reload
ENABLE=("${UNITS[@]}")
((TIMESYNC)) && ENABLE+=(systemd-timesyncd.service)
run "${SYSTEMCTL[@]}" enable "${ENABLE[@]}"
# Boot to the text console without autologin: the kiosk takes tty1 itself.
if command -v raspi-config >/dev/null 2>&1; then
    run raspi-config nonint do_boot_behaviour B1
fi
if [[ -z "$ROOT" ]]; then
    run loginctl enable-linger "$USER_NAME"
    run systemctl restart lokalskaerm-player.service
    # Started by hand from tty1, the kiosk would end the login this script runs in;
    # a running kiosk (an update) is restarted, a new one starts at the next boot.
    if systemctl is-active --quiet lokalskaerm-kiosk.service 2>/dev/null; then
        run systemctl restart lokalskaerm-kiosk.service
    fi
fi

if ((DRY_RUN)); then
    say "dry run: nothing was changed"
else
    say "done. Reboot now (sudo reboot); the screen then shows its pairing code."
fi
