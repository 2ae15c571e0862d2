#!/usr/bin/env bash
# Remove what install.sh installed. The apt packages stay (other things may use them).
#
#   sudo ./uninstall.sh            services, units, scripts, config, boot settings, venv
#   sudo ./uninstall.sh --purge    also the cache (/var/lib/lokalskaerm, the token) and the user
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly HERE
# shellcheck source=SCRIPTDIR/common.sh
. "$HERE/common.sh"
readonly UNITS=(lokalskaerm-kiosk.service lokalskaerm-player.service)

usage() {
    cat <<'EOF'
Usage: uninstall.sh [--purge] [--user NAME] [--root DIR] [--dry-run]

  --purge       also delete the cache with the screen's token, and the user
  --user NAME   the user install.sh made (default: lokalskaerm)
  --root DIR    uninstall below DIR instead of / (for tests; commands still run)
  --dry-run     print every action, change nothing
EOF
}

ROOT=""
DRY_RUN=0
PURGE=0
USER_NAME="lokalskaerm"
while [[ $# -gt 0 ]]; do
    case "$1" in
        --purge) PURGE=1; shift ;;
        --dry-run) DRY_RUN=1; shift ;;
        --user) need_value "$@"; USER_NAME="$2"; shift 2 ;;
        --user=*) USER_NAME="${1#*=}"; shift ;;
        --root) need_value "$@"; ROOT="$2"; shift 2 ;;
        --root=*) ROOT="${1#*=}"; shift ;;
        -h | --help) usage; exit 0 ;;
        *) usage >&2; die "unknown argument '$1'" ;;
    esac
done
check_root_and_user "$@"

remove() {
    local path="$ROOT$1"
    [[ -e "$path" || -L "$path" ]] || return 0
    if ((DRY_RUN)); then
        echo "would remove: $path"
    else
        echo "remove: $path"
        rm -rf -- "$path"
    fi
}

# Directories we made, removed only when nothing else is in them.
remove_empty_dir() {
    local path="$ROOT$1"
    [[ -d "$path" ]] || return 0
    [[ -z "$(ls -A "$path")" ]] || return 0
    if ((DRY_RUN)); then
        echo "would remove empty directory: $path"
    else
        rmdir -- "$path"
    fi
}

STAGE="$(mktemp -d)"
trap 'rm -rf "$STAGE"' EXIT

replace_file() {
    local staged="$1" dest="$ROOT$2"
    cmp -s "$staged" "$dest" && return 0
    if ((DRY_RUN)); then
        echo "would rewrite: $dest"
    else
        echo "rewrite: $dest"
        chmod "$(stat -c %a "$dest")" "$staged"
        mv -f "$staged" "$dest"
    fi
}

say "services"
SYSTEMCTL=(systemctl)
[[ -n "$ROOT" ]] && SYSTEMCTL+=("--root=$ROOT")
if [[ -z "$ROOT" ]]; then
    run systemctl disable --now "${UNITS[@]}" || true
else
    run "${SYSTEMCTL[@]}" disable "${UNITS[@]}"
fi

say "files"
for unit in "${UNITS[@]}"; do
    remove "/etc/systemd/system/$unit"
done
remove /usr/local/bin/lokalskaerm-display
remove /usr/local/bin/lokalskaerm-kiosk
remove /usr/local/share/icons/lokalskaerm-invisible
remove /etc/systemd/system.conf.d/lokalskaerm-watchdog.conf
remove /etc/systemd/journald.conf.d/lokalskaerm.conf
remove /etc/apt/apt.conf.d/52lokalskaerm-unattended-upgrades
remove /etc/lokalskaerm/labwc
remove /etc/lokalskaerm/player.env
remove /opt/lokalskaerm/venv
remove "/var/lib/systemd/linger/$USER_NAME"
if [[ -z "$ROOT" ]]; then
    run loginctl disable-linger "$USER_NAME" || true
fi

say "boot configuration"
for dir in /boot/firmware /boot; do
    config="$dir/config.txt"
    if [[ -f "$ROOT$config" ]] && grep -qxF "$MARK_BEGIN" "$ROOT$config"; then
        awk -v b="$MARK_BEGIN" -v e="$MARK_END" '
            $0 == b { skip = 1; next }
            $0 == e { skip = 0; next }
            !skip' "$ROOT$config" >"$STAGE/config.txt"
        replace_file "$STAGE/config.txt" "$config"
    fi
    cmdline="$dir/cmdline.txt"
    added="/etc/lokalskaerm/cmdline-added"
    if [[ -f "$ROOT$cmdline" && -f "$ROOT$added" ]]; then
        read -r -a words <"$ROOT$cmdline"
        kept=()
        for word in "${words[@]}"; do
            grep -qxF -- "$word" "$ROOT$added" || kept+=("$word")
        done
        printf '%s\n' "${kept[*]}" >"$STAGE/cmdline.txt"
        replace_file "$STAGE/cmdline.txt" "$cmdline"
    fi
done
remove /etc/lokalskaerm/cmdline-added

if ((PURGE)); then
    say "cache and user (--purge)"
    remove /var/lib/lokalskaerm
    if id -u "$USER_NAME" >/dev/null 2>&1; then
        run userdel "$USER_NAME"
    fi
fi

remove_empty_dir /etc/lokalskaerm
remove_empty_dir /opt/lokalskaerm
remove_empty_dir /etc/systemd/system.conf.d
remove_empty_dir /etc/systemd/journald.conf.d
[[ -z "$ROOT" ]] && run systemctl daemon-reload
if ((DRY_RUN)); then
    say "dry run: nothing was changed"
else
    say "done. The packages (labwc, chromium, …) stay; reboot to get the login prompt back on tty1."
fi
