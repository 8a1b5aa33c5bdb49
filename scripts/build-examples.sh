#!/usr/bin/env bash
# Builds the example images from source: GNU hello and mini_httpd, each as a
# production image and a -dev image (with a busybox shell), step by step with the
# `kiln` commands, into OCI layouts. The factory does the same (and publishes) with
# `npx kiln serve --config examples/kiln.yaml`; this script shows the steps one by one.
#
#   1. seed    the source cache with the pristine upstream tarballs (and hello's upstream
#              signature) from the Debian archive (scripts/seed-sources-from-debian.sh);
#              skipped when the cache already holds both tarballs
#   2. key     reuse the first <state>/keys/*.rsa, else generate one (kiln keys generate)
#   3. build   examples/recipes/*.yaml from source into the APK repository (network off);
#              a package already in the repository is not rebuilt unless --rebuild
#   4. import  the runtime from Debian: libc6, libcrypt1, busybox-static (with their
#              dependencies) as signed APKs (kiln package import-deb --with-deps)
#   5. images  examples/catalog/*.apko.yaml into OCI layouts <out>/<name>:<version>[-dev],
#              signed, with SBOMs and provenance attached (key: <state>/keys/kiln-image.key)
#   6. push    with --registry, each image and its tags to REGISTRY/<name>:<tag> (kiln copy)
#
# usage: scripts/build-examples.sh [--state DIR] [--repo DIR] [--out DIR] [--registry HOST[:PORT][/PREFIX]] [--rebuild]
#   --state DIR     kiln state: source cache, keys, apt indexes, logs (default: $KILN_STATE or ./.kiln of the checkout)
#   --repo DIR      the APK repository (default: examples/.build/repo of the checkout)
#   --out DIR       where the OCI layouts go (default: examples/.build/images)
#   --registry REF  also push the images there, e.g. 127.0.0.1:5000/examples
#   --rebuild       build the packages again even when the repository has them
# environment: KILN_ENV_CACHE  a shared cache of build environments (default: <state>/environments)
# Run it as root on Debian with the set-up done (scripts/install-system-deps.sh && npm ci).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
state="${KILN_STATE:-$root/.kiln}"
repo="$root/examples/.build/repo"
out="$root/examples/.build/images"
registry=""
rebuild=0
while [ $# -gt 0 ]; do
  case "$1" in
    --state) state="$2"; shift 2 ;;
    --repo) repo="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --registry) registry="${2%/}"; shift 2 ;;
    --rebuild) rebuild=1; shift ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) echo "build-examples: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
# paths given relative to where the script was started; then work from the checkout
state="$(realpath -m "$state")"
repo="$(realpath -m "$repo")"
out="$(realpath -m "$out")"
cd "$root"

arch=x86_64
recipes=(busybox-applets hello mini-httpd)
# the recipes whose upstream tarballs are seeded from Debian (busybox-applets has no sources)
seeded=(hello mini-httpd)
# Debian packages imported as the images' runtime: the C library (libc6 brings
# libgcc-s1 and gcc-12-base), libcrypt1 for mini_httpd, and busybox-static for -dev
runtime=(libc6 libcrypt1 busybox-static)
# image config -> layout name and tag
images=(
  "hello.apko.yaml hello 2.10"
  "hello-dev.apko.yaml hello 2.10-dev"
  "mini-httpd.apko.yaml mini-httpd 1.30"
  "mini-httpd-dev.apko.yaml mini-httpd 1.30-dev"
)

started=$SECONDS
step() { printf '\n==> [%ss] %s\n' "$((SECONDS - started))" "$*" >&2; }
kiln() { npx --no-install kiln "$@"; }

# the field `key:` of the recipe's top-level `package:` block
recipe_field() {
  awk -v key="$2" '
    /^package:/ { inpkg = 1; next }
    /^[^ #]/ { inpkg = 0 }
    inpkg && $1 == key ":" { v = $2; gsub(/"/, "", v); print v; exit }' "$1"
}
# the `expected-sha256:` of the recipe's fetch step
recipe_sha256() { awk '$1 == "expected-sha256:" { print $2; exit }' "$1"; }

# --- 1. seed ----------------------------------------------------------------------
step "1/6 seed the source cache from the Debian archive ($state/sources)"
missing=()
for r in "${seeded[@]}"; do
  sha="$(recipe_sha256 "examples/recipes/$r.yaml")"
  if [ -f "$state/sources/sha256/$sha" ]; then
    echo "seed: $r: sha256:$sha is in the cache" >&2
  else
    missing+=("$r")
  fi
done
if [ ${#missing[@]} -gt 0 ]; then
  bash scripts/seed-sources-from-debian.sh --state "$state" --keys-dir "$state/upstream-keys" "${missing[@]}"
  # the recipe verifies with the key committed beside it; say so if Debian's differs
  got="$state/upstream-keys/hello-upstream-signing-key.asc"
  pinned="examples/recipes/keys/hello-upstream-signing-key.asc"
  if [ -f "$got" ] && ! cmp -s "$got" "$pinned"; then
    echo "seed: note: Debian's hello signing key ($got) differs from the pinned $pinned; the build verifies with the pinned one" >&2
  fi
fi

# --- 2. key -----------------------------------------------------------------------
step "2/6 signing key ($state/keys)"
key="$(find "$state/keys" -maxdepth 1 -name '*.rsa' 2>/dev/null | LC_ALL=C sort | head -n 1 || true)"
if [ -z "$key" ]; then
  kiln keys generate --state "$state" >&2
  key="$(find "$state/keys" -maxdepth 1 -name '*.rsa' | LC_ALL=C sort | head -n 1)"
else
  echo "key: reusing $key" >&2
fi
if [ ! -f "$key.pub" ]; then
  echo "build-examples: $key has no public key $key.pub beside it" >&2
  exit 1
fi

# a repository signed by another key (state removed, repo kept) cannot be added to
index="$repo/$arch/APKINDEX.tar.gz"
if [ -f "$index" ] && ! tar -tzf "$index" 2>/dev/null | grep -qxF ".SIGN.RSA.$(basename "$key").pub"; then
  echo "build-examples: $index is signed by another key than $key; remove $repo (or use the state that signed it)" >&2
  exit 1
fi

# --- 3. build from source ---------------------------------------------------------
step "3/6 build the packages from source into $repo"
for r in "${recipes[@]}"; do
  recipe="examples/recipes/$r.yaml"
  name="$(recipe_field "$recipe" name)"
  version="$(recipe_field "$recipe" version)"
  epoch="$(recipe_field "$recipe" epoch)"
  apk="$repo/$arch/$name-$version-r${epoch:-0}.apk"
  if [ "$rebuild" -eq 0 ] && [ -f "$apk" ]; then
    echo "build: $name-$version-r${epoch:-0} is in the repository ($apk); --rebuild builds it again" >&2
    continue
  fi
  echo "build: $recipe" >&2
  kiln package build "$recipe" --repo "$repo" --state "$state" --key "$key" --arch "$arch"
done

# --- 4. import the runtime from Debian --------------------------------------------
step "4/6 import the runtime from Debian: ${runtime[*]} (with dependencies)"
kiln package import-deb "${runtime[@]}" --with-deps --repo "$repo" --state "$state" --key "$key" --arch "$arch"

# --- 5. images --------------------------------------------------------------------
step "5/6 assemble the images into $out"
mkdir -p "$out"
built=()
# each name's layout is assembled afresh beside the old one and swapped in when all its
# tags are built: a rerun gives the same image digests without piling up signatures
names=()
for i in "${images[@]}"; do
  read -r _ name _ <<<"$i"
  case " ${names[*]-} " in *" $name "*) ;; *) names+=("$name") ;; esac
done
for name in "${names[@]}"; do
  staging="$out/.$name.new"
  rm -rf "$staging"
  for i in "${images[@]}"; do
    read -r config n tag <<<"$i"
    [ "$n" = "$name" ] || continue
    echo "image: examples/catalog/$config -> oci:$out/$name:$tag" >&2
    # --state: the image signing key (SBOMs, provenance, signatures) is <state>/keys/kiln-image.key
    kiln image build "examples/catalog/$config" --repo "$repo" --keyring "$key.pub" --arch "$arch" --state "$state" --output "oci:$staging:$tag"
    built+=("$name:$tag")
  done
  rm -rf "$out/$name"
  mv "$staging" "$out/$name"
done

# --- 6. push ----------------------------------------------------------------------
if [ -n "$registry" ]; then
  step "6/6 push to $registry"
  for b in "${built[@]}"; do
    echo "push: oci:$out/$b -> $registry/$b (with its referrers and cosign .sig/.att tags)" >&2
    kiln copy --quiet "oci:$out/$b" "$registry/$b"
  done
else
  step "6/6 push: skipped (no --registry)"
fi

step "done: $((SECONDS - started)) s"
cat >&2 <<EOF
images (OCI layouts; per-platform tags end in -amd64):
$(for b in "${built[@]}"; do echo "  oci:$out/$b"; done)
run one (as root; see README.md, "Build the examples"):
  umoci unpack --image $out/hello:2.10-amd64 /tmp/hello-bundle
  runc run --bundle /tmp/hello-bundle hello
EOF
