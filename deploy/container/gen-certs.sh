#!/usr/bin/env bash
# Makes what compose.yaml mounts, in the directory given (default: this
# one): certs/ with a CA and, for each of n1 n2 n3, an API certificate
# (what clients see) and a peer certificate (raft and node to node), and
# burndown.env with a random admin token shared by the three nodes.
#   deploy/container/gen-certs.sh [DIR]
# Needs bash and OpenSSL 1.1.1 or later. Keep certs/ca-key.pem offline in
# real use; it is left here so the script can be re-run to add a node.
set -euo pipefail
dir="${1:-$(cd "$(dirname "$0")" && pwd)}"
mkdir -p "$dir/certs"
cd "$dir/certs"
[ -f ca.pem ] || openssl req -x509 -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 -days 3650 \
  -subj "/CN=burndown compose CA" -keyout ca-key.pem -out ca.pem 2>/dev/null

# cert NAME SANS USAGES
cert() {
  openssl req -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
    -subj "/CN=$1" -keyout "$1-key.pem" -out "$1.csr" 2>/dev/null
  openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 365 -out "$1.pem" \
    -extfile <(printf "subjectAltName=%s\nextendedKeyUsage=%s\nkeyUsage=digitalSignature\n" "$2" "$3") 2>/dev/null
  rm "$1.csr"
}
# compose.yaml's nodes listen on the host's loopback (raft advertises an IP,
# which the peer certificate must name). On machines of their own, name
# each node's own host name and IP here instead.
for n in 1 2 3; do
  sans="DNS:localhost,IP:127.0.0.1"
  cert "n$n-api" "$sans" serverAuth
  cert "n$n-peer" "$sans" serverAuth,clientAuth
done

# The nodes run as uid 65532: each must be able to read its keys.
chmod 0644 ca.pem n?-api.pem n?-peer.pem
chmod 0600 ca-key.pem n?-*-key.pem
if [ "$(id -u)" -eq 0 ]; then
  chown 65532:65532 n?-*-key.pem
elif ! { command -v podman >/dev/null && podman unshare chown 65532:65532 n?-*-key.pem; }; then
  chmod 0644 n?-*-key.pem
  echo "warning: keys made readable by everyone so uid 65532 in the containers can read them: for a trial only" >&2
fi

cd "$dir"
if [ ! -f burndown.env ]; then
  umask 077
  printf 'BURNDOWN_API_TOKEN=%s\n' "$(openssl rand -hex 24)" > burndown.env
fi
echo "certificates in $dir/certs, the admin token in $dir/burndown.env"
