#!/usr/bin/env bash
# Seeds kiln's source cache with pristine upstream tarballs (and their upstream
# signatures) from the Debian archive, which keeps both for most packages:
#   pool/main/h/hello/hello_2.10.orig.tar.gz + hello_2.10.orig.tar.gz.asc
# and ships the upstream signing key in the Debian packaging as
# debian/upstream/signing-key.asc, which is written out as a key file to pin.
#
# The deb-src entries are derived from this machine's own apt sources (same archive
# URLs, suites, components and Signed-By keyrings as its `deb` entries); no mirror
# host is written here. apt runs against a private list and cache directory, so the
# system's apt state is not touched. apt verifies every downloaded file against the
# archive's signed Sources index before kiln ever sees it.
#
# usage: scripts/seed-sources-from-debian.sh [--state DIR] [--keys-dir DIR] PACKAGE[=VERSION]...
#   --state DIR     kiln state directory (default: $KILN_STATE or .kiln)
#   --keys-dir DIR  where upstream signing keys are written (default: ./keys)
# environment: KILN   the kiln command (default: Node 24 from node_modules on src/cli/main.ts)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
state="${KILN_STATE:-.kiln}"
keys_dir="keys"
packages=()
while [ $# -gt 0 ]; do
  case "$1" in
    --state) state="$2"; shift 2 ;;
    --keys-dir) keys_dir="$2"; shift 2 ;;
    -h|--help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "seed-sources: unknown option $1" >&2; exit 2 ;;
    *) packages+=("$1"); shift ;;
  esac
done
if [ ${#packages[@]} -eq 0 ]; then
  echo "usage: $0 [--state DIR] [--keys-dir DIR] PACKAGE[=VERSION]..." >&2
  exit 2
fi

if [ -n "${KILN:-}" ]; then
  read -r -a kiln <<<"$KILN"
elif [ -x "$root/node_modules/.bin/node" ]; then
  kiln=("$root/node_modules/.bin/node" "$root/src/cli/main.ts")
else
  kiln=(node "$root/src/cli/main.ts")
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/sources.list.d" "$work/lists/partial" "$work/cache/archives/partial" "$work/download"

# --- deb-src entries from the machine's deb entries ----------------------------
# deb822 (.sources): each enabled paragraph whose Types include `deb`, as deb-src.
shopt -s nullglob
n=0
for f in /etc/apt/sources.list.d/*.sources; do
  awk -v RS= -v ORS='\n\n' '
    {
      keep = 0; out = ""
      n = split($0, line, "\n")
      for (i = 1; i <= n; i++) {
        if (line[i] ~ /^[Ee]nabled:[ \t]*no/) { keep = 0; break }
        if (line[i] ~ /^Types:/ && (" " substr(line[i], 7) " ") ~ /[ \t]deb[ \t]/) { line[i] = "Types: deb-src"; keep = 1 }
        out = out (i > 1 ? "\n" : "") line[i]
      }
      if (keep) print out
    }' "$f" >"$work/sources.list.d/from-$(basename "$f" .sources).sources"
  n=$((n + 1))
done
# one-line format (.list): `deb [options] URI SUITE COMPONENT...` becomes deb-src.
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
  [ -f "$f" ] || continue
  sed -n 's/^[[:space:]]*deb[[:space:]]/deb-src /p' "$f" >"$work/sources.list.d/from-$(basename "$f" .list).list"
  n=$((n + 1))
done
if ! grep -qs 'deb-src' "$work"/sources.list.d/*; then
  echo "seed-sources: found no deb entries in /etc/apt to derive deb-src entries from" >&2
  exit 1
fi

apt_opts=(
  -o "Dir::Etc::SourceList=/dev/null"
  -o "Dir::Etc::SourceParts=$work/sources.list.d"
  -o "Dir::State::Lists=$work/lists"
  -o "Dir::Cache=$work/cache"
  -o "Debug::NoLocking=1"
)
# as root, apt would hand downloads to the _apt user, who cannot write our temp dir
if [ "$(id -u)" -eq 0 ]; then apt_opts+=(-o "APT::Sandbox::User=root"); fi

echo "seed-sources: apt-get update (deb-src, private lists)"
if ! apt-get -q "${apt_opts[@]}" update >"$work/update.log" 2>&1; then
  # a third-party repository without Sources should not stop the Debian ones
  echo "seed-sources: warning: apt-get update reported errors:" >&2
  grep -E '^(E|W):' "$work/update.log" >&2 || tail -5 "$work/update.log" >&2
fi

mkdir -p "$keys_dir"
status=0
for pkg in "${packages[@]}"; do
  dir="$work/download/${pkg//[^A-Za-z0-9.+=-]/_}"
  mkdir -p "$dir"
  # where each file lives in the archive, remembered in the cache record (asked before
  # the download: apt leaves files already present out of the list)
  (cd "$dir" && apt-get -q "${apt_opts[@]}" source --print-uris "$pkg" 2>/dev/null) |
    sed -n "s/^'\([^']*\)' \([^ ]*\) .*/\2 \1/p" >"$dir.uris" || true
  echo "seed-sources: $pkg: apt-get source --download-only"
  if ! (cd "$dir" && apt-get -q "${apt_opts[@]}" source --download-only "$pkg" >"$dir.log" 2>&1); then
    echo "seed-sources: $pkg: apt-get source failed:" >&2
    tail -5 "$dir.log" >&2
    status=1
    continue
  fi

  found=0
  for orig in "$dir"/*.orig.tar.* "$dir"/*.orig-*.tar.*; do
    case "$orig" in *.asc|*.sig) continue ;; esac
    name="$(basename "$orig")"
    args=(source add "$orig" --state "$state")
    uri="$(awk -v n="$name" '$1 == n { print $2 }' "$dir.uris")"
    [ -n "$uri" ] && args+=(--uri "$uri")
    if [ -f "$orig.asc" ]; then args+=(--signature "$orig.asc"); fi
    echo "seed-sources: $pkg: kiln ${args[*]}"
    "${kiln[@]}" "${args[@]}"
    found=1
  done
  if [ "$found" -eq 0 ]; then
    echo "seed-sources: $pkg: no .orig tarball (a native package?); nothing added" >&2
    status=1
  fi

  # the upstream signing key Debian verified the .asc with, to pin beside a recipe
  for debian_tar in "$dir"/*.debian.tar.*; do
    src="${pkg%%=*}"
    for member in debian/upstream/signing-key.asc debian/upstream/signing-key.pgp; do
      if tar -xOf "$debian_tar" "$member" >"$work/key" 2>/dev/null && [ -s "$work/key" ]; then
        out="$keys_dir/$src-upstream-signing-key.${member##*.}"
        cp "$work/key" "$out"
        echo "seed-sources: $pkg: upstream signing key from $(basename "$debian_tar"):$member -> $out"
      fi
    done
  done
done
exit "$status"
