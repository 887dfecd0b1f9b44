#!/usr/bin/env bash
# Build the dqlite servers of the test matrix (1.17.3 LTS, 1.18.6) into a cache
# inside the project, each in its own prefix:
#
#   native/build-servers.sh [SOURCES_DIR] [CACHE_DIR]
#   (defaults: ../shared/dqlite and .cache/dqlite, relative to the project)
#
# SOURCES_DIR holds dqlite-<version>.tar.gz and build-dqlite.sh (read-only is
# fine). A version is rebuilt only when the sha256 of its tarball plus the
# build script differs from the one stamped in CACHE_DIR/<version>/.source-sha256
# (written last, so an interrupted build is redone). Quiet: one line per version built, nothing when cached, the
# tail of the build log on failure. Without the tarballs it says so in one line
# and exits 0, except with CI=true, where their absence fails (exit 1).
set -euo pipefail

project=$(cd "$(dirname "$0")/.." && pwd)
sources=${1:-$project/../shared/dqlite}
cache=${2:-$project/.cache/dqlite}
versions="1.17.3 1.18.6"

ci=0
case "${CI:-}" in 1|true|TRUE|True|yes) ci=1 ;; esac

if [ ! -d "$sources" ] || [ ! -f "$sources/build-dqlite.sh" ]; then
  if [ "$ci" = 1 ]; then
    echo "error: dqlite server sources not found in $sources (CI must test 1.17 and 1.18)" >&2
    exit 1
  fi
  echo "note: no dqlite server sources in $sources: tests on dqlite 1.17/1.18 will skip"
  exit 0
fi

mkdir -p "$cache"
# One after the other, each with make -j$(nproc): running both at once was no
# faster on 2 cores (47 s either way) and would race for dpkg's lock.
build() {
  local version=$1 tarball=$2 prefix=$3 sum=$4
  local log=$cache/build-$version.log start
  start=$(date +%s)
  rm -rf "$prefix"
  # Through bash: a copy of the sources may have lost its execute bits.
  if ! bash "$sources/build-dqlite.sh" "$tarball" "$prefix" >"$log" 2>&1; then
    tail -30 "$log" >&2
    echo "error: building dqlite $version failed (log: ${log#"$project"/})" >&2
    return 1
  fi
  echo "$sum" >"$prefix/.source-sha256"
  echo "built dqlite $version in $(( $(date +%s) - start )) s into ${prefix#"$project"/}"
}

for version in $versions; do
  tarball=$sources/dqlite-$version.tar.gz
  prefix=$cache/$version
  if [ ! -f "$tarball" ]; then
    if [ "$ci" = 1 ]; then
      echo "error: $tarball not found (CI must test dqlite $version)" >&2
      exit 1
    fi
    echo "note: $tarball not found: tests on dqlite $version will skip"
    continue
  fi
  sum=$(cat "$tarball" "$sources/build-dqlite.sh" | sha256sum | cut -d' ' -f1)
  if [ -f "$prefix/.source-sha256" ] && [ "$(cat "$prefix/.source-sha256")" = "$sum" ] \
     && [ -f "$prefix/lib/libdqlite.so.0" ] && [ -f "$prefix/include/dqlite.h" ]; then
    continue
  fi
  build "$version" "$tarball" "$prefix" "$sum" || exit 1
done
