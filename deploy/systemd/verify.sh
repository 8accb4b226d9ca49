#!/usr/bin/env bash
# Checks burndown.service with `systemd-analyze verify` against a binary
# built from this checkout (the unit's /usr/local/bin/burndown need not be
# installed). verify exits 0 on unknown keys and bad values and only prints
# them, so any output fails. Run by .ci/run.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
(cd "$here/../.." && CGO_ENABLED=0 go build -o "$tmp/burndown" ./cmd/burndown)
sed "s#/usr/local/bin/burndown#$tmp/burndown#g" "$here/burndown.service" > "$tmp/burndown.service"
out="$(systemd-analyze verify "$tmp/burndown.service" 2>&1)" || { echo "$out"; exit 1; }
[ -z "$out" ] || { echo "systemd-analyze verify burndown.service:"; echo "$out"; exit 1; }
echo "burndown.service: systemd-analyze verify found nothing"
