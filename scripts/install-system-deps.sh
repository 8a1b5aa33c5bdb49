#!/usr/bin/env bash
# Installs the Debian packages kiln and its tests use. Idempotent: packages already
# present are left alone and apt is not even asked. Run as root (or with sudo).
set -euo pipefail

packages=(
  bubblewrap       # build sandbox (network off)
  runc             # runtime tests of images
  skopeo           # interoperability tests: copy/inspect through kiln's registry
  umoci            # unpack images for runtime tests
  docker-registry  # the reference distribution registry, a peer in tests
  mmdebstrap       # build environments (Debian root filesystems for the sandbox)
  ca-certificates
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-system-deps: all ${#packages[@]} packages present"
  exit 0
fi

sudo=()
if [ "$(id -u)" -ne 0 ]; then sudo=(sudo); fi
echo "install-system-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-system-deps: done"
