#!/usr/bin/env bash
# Builds the image and runs compose.yaml's three TLS nodes with podman, then
# checks them from the host: /healthz on each, one leader and three members
# seen through every node over HTTPS with the CA, a write through a
# follower (forwarded to the leader over mutual TLS), and the image's user.
# Run by .ci/run; `deploy/container/smoke.sh` by hand.
#
# The nodes are started with `podman run`, one per compose service, with
# that service's environment read from compose.yaml: Debian 12's
# podman-compose (1.0.3) adds a compose network to every container, which
# podman refuses together with network_mode: host.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
tag=localhost/burndown:smoke
work="$(mktemp -d)"
names=()
cleanup() {
  local rc=$?
  for n in "${names[@]}"; do
    [ "$rc" = 0 ] || { echo "--- logs of $n"; podman logs "$n" 2>&1 | tail -20; }
    podman rm -f -t 15 "$n" >/dev/null 2>&1 || true
    podman volume rm -f "$n-data" >/dev/null 2>&1 || true
  done
  rm -rf "$work"
  return "$rc"
}
trap cleanup EXIT

"$here/build.sh" "$tag" >/dev/null
user="$(podman image inspect --format '{{.Config.User}}' "$tag")"
[ "$user" = "65532:65532" ] || { echo "image user $user, want 65532:65532"; exit 1; }

# Some hosts cannot run crun's defaults (raising RLIMIT_NOFILE/NPROC without
# CAP_SYS_RESOURCE, or cgroups v1 beside a v2 hierarchy with controllers):
# retry with lower limits and runc, and say so.
probe() { podman run --rm --network=none --entrypoint /usr/local/bin/burndown "$tag" version 2>&1; }
if ! out="$(probe)"; then
  echo "podman run with the host's defaults failed: $out"
  printf '[containers]\ndefault_ulimits = ["nofile=4096:4096", "nproc=4096:4096"]\n[engine]\nruntime = "%s"\n' \
    "$(command -v runc >/dev/null && echo runc || echo crun)" > "$work/containers.conf"
  export CONTAINERS_CONF="$work/containers.conf"
  echo "retrying with $(tr '\n' ' ' < "$CONTAINERS_CONF")"
  out="$(probe)"
fi
echo "the image runs: $out"

"$here/gen-certs.sh" "$work" >/dev/null
token="$(sed -n 's/^BURNDOWN_API_TOKEN=//p' "$work/burndown.env")"

# service_env SERVICE: the "KEY=value" lines of the service's environment.
service_env() {
  awk -v svc="  $1:" '
    $0 == svc { in_svc = 1; next }
    in_svc && /^  [a-z0-9]+:$/ { in_svc = 0 }
    in_svc && /^    environment:/ { in_env = 1; next }
    in_env && /^      [A-Z_]+:/ { k = $1; sub(":", "", k); v = $2; gsub("\"", "", v); print k "=" v; next }
    in_env { in_env = 0 }' "$here/compose.yaml"
}

for n in n1 n2 n3; do
  env_args=()
  while IFS= read -r kv; do env_args+=(-e "$kv"); done < <(service_env "$n")
  [ "${#env_args[@]}" -gt 8 ] || { echo "compose.yaml: no environment read for $n"; exit 1; }
  names+=("burndown-smoke-$n")
  podman run -d --name "burndown-smoke-$n" --network host --env-file "$work/burndown.env" "${env_args[@]}" \
    -v "burndown-smoke-$n-data:/data" -v "$work/certs:/certs:ro" "$tag" >/dev/null
  [ "$n" = n1 ] && sleep 2
done

api() { curl -sS --fail-with-body -m 5 --cacert "$work/certs/ca.pem" -H "Authorization: Bearer $token" "$@"; }
for port in 8441 8442 8443; do
  for i in $(seq 1 60); do
    status="$(api "https://localhost:$port/v1/cluster/status" 2>/dev/null || true)"
    members="$(jq -r '.nodes | length' <<<"$status" 2>/dev/null || echo 0)"
    leader="$(jq -r '.leader_id // empty' <<<"$status" 2>/dev/null || true)"
    [ "$members" = 3 ] && [ -n "$leader" ] && break
    sleep 0.5
  done
  [ "$members" = 3 ] && [ -n "$leader" ] || { echo "node on $port: members $members, leader '$leader': $status"; false; }
  [[ "$(api "https://localhost:$port/healthz")" == *ok* ]] || { echo "node on $port: /healthz not ok"; false; }
  echo "node on $port: healthy, 3 members, leader $leader"
done
api -X POST -H 'Content-Type: application/json' -d '{"name":"Smoke"}' https://localhost:8443/v1/customers | jq -e '.data.id' >/dev/null
echo "a write through n3 was applied; the containers run as $user"
