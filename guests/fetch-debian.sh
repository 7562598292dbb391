#!/usr/bin/env bash
# Fetches Debian stable's riscv64 kernel (linux-image-<version>-riscv64) and busybox-static into
# ${XDG_CACHE_HOME:-~/.cache}/vmtree/debian, for `vmtree image import-deb` (docs/linux.md).
#
# apt runs with a private state (sources list, lists, status, cache in a temporary directory), so
# the host's apt configuration, package lists and installed packages are left alone; only the
# Debian archive keyring of the host is read. Packages already in the cache are not fetched again.
#
#   guests/fetch-debian.sh            # prints the cached .deb paths, one a line
#   MIRROR=http://... guests/fetch-debian.sh
#
# Exit status: 0 with the paths on stdout; 1 with one `fetch-debian: ...` line on stderr when the
# packages cannot be fetched (no apt, no keyring, no network).
set -euo pipefail

cache="${XDG_CACHE_HOME:-$HOME/.cache}/vmtree/debian"
fail() { echo "fetch-debian: $*" >&2; exit 1; }

cached() {
  local k b
  k=$(ls "$cache"/linux-image-[0-9]*-riscv64_*_riscv64.deb 2>/dev/null | grep -v -- '-dbg_' | sort -V | tail -1 || true)
  b=$(ls "$cache"/busybox-static_*_riscv64.deb 2>/dev/null | sort -V | tail -1 || true)
  [ -n "$k" ] && [ -n "$b" ] && [ -s "$k" ] && [ -s "$b" ] || return 1
  printf '%s\n%s\n' "$k" "$b"
}

if cached; then
  exit 0
fi

command -v apt-get >/dev/null && command -v apt-cache >/dev/null \
  || fail "apt-get is not installed; fetch linux-image-*-riscv64 and busybox-static (riscv64) by hand into $cache"
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
[ -r "$keyring" ] || fail "$keyring is missing (install debian-archive-keyring)"
if [ -z "${MIRROR:-}" ]; then
  MIRROR=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
  MIRROR=${MIRROR:-http://deb.debian.org/debian}
fi

D=$(mktemp -d)
trap 'rm -rf "$D"' EXIT
mkdir -p "$D/lists/partial" "$D/cache/archives/partial"
touch "$D/status"
echo "deb [arch=riscv64 signed-by=$keyring] $MIRROR stable main" > "$D/sources.list"
O=(-o "Dir::Etc::SourceList=$D/sources.list" -o Dir::Etc::SourceParts=/dev/null
   -o "Dir::State::Lists=$D/lists" -o "Dir::State::status=$D/status" -o "Dir::Cache=$D/cache"
   -o APT::Architecture=riscv64 -o APT::Architectures=riscv64)

# apt-get update exits 0 even when the mirror cannot be reached; its E: and "W: Failed" lines say so
bad='^(E:|W: (Failed|Some index))'
if ! apt-get "${O[@]}" -qq update > "$D/update.log" 2>&1 || grep -q -E "$bad" "$D/update.log"; then
  fail "cannot read the package lists from $MIRROR ($(grep -m1 -E "$bad" "$D/update.log" || tail -1 "$D/update.log"))"
fi
K=$( (apt-cache "${O[@]}" depends linux-image-riscv64 2>/dev/null || true) \
    | sed -n 's/.*Depends: \(linux-image-[0-9].*-riscv64\).*/\1/p' | head -1)
[ -n "$K" ] || fail "no linux-image-*-riscv64 in $MIRROR stable (linux-image-riscv64 names none)"
mkdir -p "$cache"
(cd "$D/cache/archives/partial" && apt-get "${O[@]}" -qq download "$K" busybox-static) > "$D/download.log" 2>&1 \
  || fail "cannot download $K and busybox-static from $MIRROR ($(grep -m1 -E '^E:' "$D/download.log" || tail -1 "$D/download.log"))"
# Into the cache only when complete: a rename within one file system after the whole download.
for f in "$D"/cache/archives/partial/*.deb; do
  cp "$f" "$cache/.$(basename "$f").tmp"
  mv "$cache/.$(basename "$f").tmp" "$cache/$(basename "$f")"
done
cached || fail "downloaded, but $cache does not hold both packages"
