#!/usr/bin/env bash
# Debian packages that lanshan-aid needs beside its Python dependencies.
#
#   WeasyPrint (notices, decisions):  Pango, HarfBuzz (with its subsetter, or a one-page Chinese
#                                     PDF takes seconds instead of milliseconds), fontconfig
#   Chinese text in PDFs and pages:   fonts-noto-cjk (Noto Serif/Sans CJK SC)
#   Tests reading PDFs back:          poppler-utils (pdftotext, pdftoppm)
#   Browser tests:                    chromium (/usr/bin/chromium, driven by Playwright)
#
# Quiet and quick when everything is installed. As root it installs what is missing; as any
# other user it names the missing packages and the command to run, and exits non-zero.
# SKIP_SYSTEM_DEPS=1 skips the check (for machines that provide these some other way).
set -euo pipefail

PACKAGES=(
  libpango-1.0-0
  libpangoft2-1.0-0
  libharfbuzz0b
  libharfbuzz-subset0
  fontconfig
  fonts-noto-cjk
  poppler-utils
  chromium
)

if [[ "${SKIP_SYSTEM_DEPS:-}" == 1 ]]; then
  exit 0
fi

if ! command -v dpkg-query >/dev/null 2>&1; then
  echo "install-system-deps: this is not a Debian-based system (no dpkg-query)." >&2
  echo "  Install the equivalents of: ${PACKAGES[*]}" >&2
  echo "  then re-run with SKIP_SYSTEM_DEPS=1." >&2
  exit 1
fi

# One dpkg-query call for all packages; unknown packages print nothing on stdout.
installed=$(dpkg-query -W -f='${Package} ${db:Status-Status}\n' "${PACKAGES[@]}" 2>/dev/null || true)
missing=()
for pkg in "${PACKAGES[@]}"; do
  if ! grep -qx "$pkg installed" <<<"$installed"; then
    missing+=("$pkg")
  fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
  exit 0
fi

install_cmd="apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${missing[*]}"

if [[ $(id -u) -ne 0 ]]; then
  echo "install-system-deps: missing Debian packages: ${missing[*]}" >&2
  echo "  Install them as root, then run this again:" >&2
  echo "    sudo sh -c '$install_cmd'" >&2
  exit 1
fi

echo "install-system-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "install-system-deps: done"
