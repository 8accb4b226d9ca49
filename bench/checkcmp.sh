#!/usr/bin/env bash
# checkcmp.sh compares GET /v1/entitlements/check served over HTTP by two
# burndown binaries in one session: both serve side by side on loopback with
# the same catalog (one customer, a prepaid contract), and wrk alternates
# between them, ROUNDS rounds of SECONDS each. It prints each round's
# requests per second, each side's median, and the median of the per-round
# ratios B/A, which is steadier than either median on a noisy machine.
#
#   bench/checkcmp.sh BIN_A BIN_B [ROUNDS] [SECONDS]
#
# Build the binaries with `go build -o /tmp/a ./cmd/burndown` at each
# revision. Needs wrk, curl and jq; stops both servers when it ends.
set -euo pipefail

bin_a=${1:?burndown binary A}
bin_b=${2:?burndown binary B}
rounds=${3:-12}
seconds=${4:-4}
token=checkcmp-token

setup() { # base URL -> the check URL of its one customer
  local B=$1 H="Authorization: Bearer $token" M P RC C
  M=$(curl -sf -H "$H" "$B/v1/billable-metrics/create" -d '{"name":"api_calls","event_type_filter":{"in_values":["api_call"]},"aggregation_type":"COUNT"}' | jq -r .data.id)
  P=$(curl -sf -H "$H" "$B/v1/contract-pricing/products/create" -d "{\"name\":\"API\",\"type\":\"USAGE\",\"billable_metric_id\":\"$M\"}" | jq -r .data.id)
  RC=$(curl -sf -H "$H" "$B/v1/contract-pricing/rate-cards/create" -d '{"name":"P"}' | jq -r .data.id)
  curl -sf -H "$H" "$B/v1/contract-pricing/rate-cards/addRate" -d "{\"rate_card_id\":\"$RC\",\"product_id\":\"$P\",\"starting_at\":\"2026-01-01T00:00:00Z\",\"entitled\":true,\"rate_type\":\"FLAT\",\"price\":1}" >/dev/null
  C=$(curl -sf -H "$H" "$B/v1/customers" -d '{"name":"E","ingest_aliases":["e"]}' | jq -r .data.id)
  curl -sf -H "$H" "$B/v1/contracts/create" -d "{\"customer_id\":\"$C\",\"rate_card_id\":\"$RC\",\"starting_at\":\"2026-01-01T00:00:00Z\",\"prepaid_only\":true,\"commits\":[{\"type\":\"PREPAID\",\"product_id\":\"$P\",\"access_schedule\":{\"schedule_items\":[{\"amount\":2000,\"starting_at\":\"2026-01-01T00:00:00Z\",\"ending_before\":\"2030-01-01T00:00:00Z\"}]}}]}" >/dev/null
  echo "$B/v1/entitlements/check?customer_id=e&product_id=$P"
}

dir=$(mktemp -d)
"$bin_a" serve --data-dir "$dir/a" --http-addr 127.0.0.1:18081 --raft-addr 127.0.0.1:18301 --api-token "$token" >"$dir/a.log" 2>&1 &
pid_a=$!
"$bin_b" serve --data-dir "$dir/b" --http-addr 127.0.0.1:18082 --raft-addr 127.0.0.1:18302 --api-token "$token" >"$dir/b.log" 2>&1 &
pid_b=$!
trap 'kill $pid_a $pid_b 2>/dev/null; wait 2>/dev/null; rm -rf "$dir"' EXIT
for port in 18081 18082; do
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.1; done
done
url_a=$(setup http://127.0.0.1:18081)
url_b=$(setup http://127.0.0.1:18082)
out=$(mktemp)
for i in $(seq "$rounds"); do
  a=$(wrk -t1 -c16 -d"${seconds}s" -H "Authorization: Bearer $token" "$url_a" | awk '/Requests\/sec/{print $2}')
  b=$(wrk -t1 -c16 -d"${seconds}s" -H "Authorization: Bearer $token" "$url_b" | awk '/Requests\/sec/{print $2}')
  echo "round $i: A $a  B $b" | tee -a "$out"
done
median() { sort -n | awk '{v[NR]=$1} END{print (NR%2)?v[(NR+1)/2]:(v[NR/2]+v[NR/2+1])/2}'; }
echo "median A: $(awk '{print $4}' "$out" | median) req/s"
echo "median B: $(awk '{print $6}' "$out" | median) req/s"
echo "median ratio B/A: $(awk '{print $6/$4}' "$out" | median)"
rm -f "$out"
