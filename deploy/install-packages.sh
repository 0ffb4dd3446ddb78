#!/usr/bin/env bash
# Installs the Debian packages esxbackup needs when the commands they provide are missing.
# Usage: install-packages.sh GROUP...   groups: services, simulator, tools, bench, browser
# As root it installs with apt-get (saying what it installs); otherwise it names what is missing and fails.
set -euo pipefail

declare -A PACKAGES=(
  [services]="postgresql redis-server"
  [simulator]="busybox openssh-client openssh-server sshpass python3 python3-llfuse qemu-utils"
  [tools]="protobuf-compiler qemu-utils"
  [bench]="restic borgbackup time"
  [browser]="chromium"
)
# A command (or file) whose presence means the package is installed.
declare -A PROBE=(
  [postgresql]=/usr/lib/postgresql/15/bin/pg_ctl
  [redis-server]=redis-server
  # Debian's dynamic busybox, not busybox-static: only it leaves an applet out when its link is missing,
  # which the simulator needs to switch applets off per host. The two packages replace each other.
  [busybox]=dpkg:busybox
  [openssh-client]=ssh
  [openssh-server]=/usr/sbin/sshd
  [sshpass]=sshpass
  [python3]=python3
  [python3-llfuse]=dpkg:python3-llfuse
  [qemu-utils]=qemu-img
  [protobuf-compiler]=protoc
  [restic]=restic
  [borgbackup]=borg
  [time]=/usr/bin/time
  [chromium]=/usr/bin/chromium
)

present() {
  local probe=$1
  if [[ $probe == dpkg:* ]]; then
    dpkg-query -W -f='${Status}' "${probe#dpkg:}" 2>/dev/null | grep -q "install ok installed"
  elif [[ $probe == /* ]]; then [ -x "$probe" ]; else command -v "$probe" >/dev/null 2>&1; fi
}

missing=()
for group in "$@"; do
  if [ -z "${PACKAGES[$group]+x}" ]; then
    echo "install-packages.sh: unknown group '$group' (known: ${!PACKAGES[*]})" >&2
    exit 2
  fi
  for package in ${PACKAGES[$group]}; do
    present "${PROBE[$package]}" || missing+=("$package")
  done
done
[ ${#missing[@]} -eq 0 ] && exit 0

# Deduplicate while keeping order.
mapfile -t missing < <(printf '%s\n' "${missing[@]}" | awk '!seen[$0]++')
if [ "$(id -u)" -ne 0 ]; then
  echo "install-packages.sh: missing Debian packages: ${missing[*]} (install them as root: apt-get install ${missing[*]})" >&2
  exit 1
fi
echo "installing Debian packages: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get -o DPkg::Lock::Timeout=600 update -q >/dev/null
apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends "${missing[@]}" >/dev/null
