#!/usr/bin/env bash
# Installs the Debian packages esxbackup needs for the given purposes, from the one list
# deploy/debian-packages.txt (which says what each purpose needs and why).
#
#   install-packages.sh [--check] PURPOSE...
#   install-packages.sh --list PURPOSE...      prints the packages of the purposes, one a line
#
# Purposes: build, services, simulator, tests, quickstart, bench, bench-peers, browser.
# As root it installs what is missing with apt-get (saying what it installs); otherwise it names what is
# missing and fails. --check only reports: it names what is missing (exit 1) or says all is there (exit 0)
# and never installs.
set -euo pipefail
list=$(cd "$(dirname "$0")" && pwd)/debian-packages.txt

mode=install
case ${1:-} in
  --check) mode=check; shift ;;
  --list) mode=list; shift ;;
esac
if [ $# -eq 0 ]; then
  sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
fi

# package -> its purposes (",build,tests,") and its probe (the first thing it provides).
declare -A PURPOSES=() PROBE=()
order=()
while read -r package purposes probe _; do
  [ -z "$package" ] || [[ $package == \#* ]] && continue
  PURPOSES[$package]=",$purposes,"
  PROBE[$package]=$probe
  order+=("$package")
done <"$list"

present() {
  local probe=$1
  if [[ $probe == dpkg:* ]]; then
    dpkg-query -W -f='${Status}' "${probe#dpkg:}" 2>/dev/null | grep -q "install ok installed"
  elif [[ $probe == /* ]]; then [ -e "$probe" ]; else command -v "$probe" >/dev/null 2>&1; fi
}

wanted=()
for purpose in "$@"; do
  found=0
  for package in "${order[@]}"; do
    if [[ ${PURPOSES[$package]} == *",$purpose,"* ]]; then
      wanted+=("$package")
      found=1
    fi
  done
  if [ "$found" -eq 0 ]; then
    known=$(printf '%s\n' "${PURPOSES[@]}" | tr ',' '\n' | awk 'NF && !seen[$0]++' | paste -sd' ')
    echo "install-packages.sh: unknown purpose '$purpose' (known: $known)" >&2
    exit 2
  fi
done
mapfile -t wanted < <(printf '%s\n' "${wanted[@]}" | awk '!seen[$0]++')

if [ "$mode" = list ]; then
  printf '%s\n' "${wanted[@]}"
  exit 0
fi

missing=()
for package in "${wanted[@]}"; do
  present "${PROBE[$package]}" || missing+=("$package")
done

if [ "$mode" = check ]; then
  if [ ${#missing[@]} -eq 0 ]; then
    echo "all Debian packages for $* are installed (${wanted[*]})"
    exit 0
  fi
  echo "missing Debian packages for $*: ${missing[*]}" >&2
  exit 1
fi
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "install-packages.sh: missing Debian packages: ${missing[*]} (install them as root: apt-get install --no-install-recommends ${missing[*]})" >&2
  exit 1
fi
echo "installing Debian packages: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get -o DPkg::Lock::Timeout=600 update -q >/dev/null
apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends "${missing[@]}" >/dev/null
