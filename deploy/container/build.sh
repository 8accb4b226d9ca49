#!/usr/bin/env bash
# Builds the Burndown image from this checkout without pulling anything:
#   deploy/container/build.sh [TAG]      (default TAG: localhost/burndown:latest)
# Needs Go and podman (or BUILDER=docker / BUILDER=buildah).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
tag="${1:-localhost/burndown:latest}"
builder="${BUILDER:-podman}"
ctx="$(mktemp -d)"
trap 'rm -rf "$ctx"' EXIT

# A static binary: no libc in the image to link against.
(cd "$root" && CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o "$ctx/burndown" ./cmd/burndown)
cp /etc/ssl/certs/ca-certificates.crt "$ctx/ca-certificates.crt"
mkdir "$ctx/data"
cp "$here/Containerfile" "$ctx/Containerfile"
"$builder" build --network=none -f "$ctx/Containerfile" -t "$tag" "$ctx"
