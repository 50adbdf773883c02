#!/usr/bin/env bash
# Conformance of the running server to its own OpenAPI document, tested by an outsider:
# schemathesis (PyPI) with every check, once per role, each with a token of that role and the
# operations that role may call. Fails on any failure, and unless at least MIN_CASES cases
# were generated in all.
#
#   tests/schemathesis/run.sh [path/to/oip]      (default: target/debug/oip)
#
# SCHEMATHESIS: the schemathesis command (default: `schemathesis` on PATH).
# Reports (JSON, one per role) go to target/schemathesis/.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
bin="${1:-$root/target/debug/oip}"
st="${SCHEMATHESIS:-schemathesis}"
min_cases="${MIN_CASES:-1000}"
out="$root/target/schemathesis"
rm -rf "$out" && mkdir -p "$out"

port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
url="http://127.0.0.1:$port"
admin="schemathesis-admin-$RANDOM$RANDOM"
# The server keeps its own SQLite database in a fresh data directory: a DATABASE_URL in the
# environment (CI exports one for the integration tests) names a database that may hold an
# earlier run's admin, and then the bootstrap token would not be created.
# The rate limits are off: schemathesis sends thousands of requests per token and presents
# invalid tokens on purpose (its ignored_auth check); the limits have their own tests.
# The server's own code logs at debug level: the log is checked at the end for identity numbers.
env -u DATABASE_URL RUST_LOG="info,oip_server=debug" OIP_BOOTSTRAP_TOKEN="$admin" OIP_TOKEN_REQUESTS_PER_SECOND=0 \
    OIP_AUTH_FAILURES_PER_MINUTE=0 "$bin" serve --bind "127.0.0.1:$port" --data-dir "$out/data" \
    > "$out/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 1 120); do
    curl -fs "$url/readyz" > /dev/null 2>&1 && break
    sleep 0.5
done
curl -fs "$url/readyz" > /dev/null

post() {
    curl -fs -X POST "$url$1" -H "Authorization: Bearer $admin" \
        -H 'Content-Type: application/json' -d "$2" \
        | python3 -c "import json, sys; print(json.load(sys.stdin)['$3'])"
}
# A person's token: a user first (name, employee id, role, regions), then a token they hold.
person() {
    local user
    user="$(post /v1/users "{\"name\":\"Schemathesis $1\",\"employee_id\":\"ST-$1\",\"role\":\"$1\",\"regions\":$2}" id)"
    post /v1/tokens "{\"user_id\":\"$user\",\"label\":\"schemathesis\"}" token
}
declare -A tokens=(
    [platform]="$(post /v1/tokens '{"role":"platform","platform":"meituan"}' token)"
    [adjuster]="$(person adjuster '["CN-SC","CN-BJ"]')"
    [policy_admin]="$(person policy_admin '["CN-SC"]')"
    [auditor]="$(person auditor '[]')"
    [payments_officer]="$(person payments_officer '["CN-SC","CN-BJ"]')"
    [admin]="$admin"
)
# A claim to read, review and appeal: the example, submitted by the platform.
curl -fs -X POST "$url/v1/claims" -H "Authorization: Bearer ${tokens[platform]}" \
    -H 'Idempotency-Key: schemathesis-seed' -H 'Content-Type: application/json' \
    --data @"$root/docs/claim-example.json" > /dev/null

# What each role may call (operation ids); the others answer it 403 by design. A
# policy_admin manages one region, so the rollback of a region (any code in its path) is the
# admin's to test.
declare -A ops=(
    [platform]="submit_claim get_claim list_claims list_decisions supplement_claim submit_appraisal submit_bill replay_decision evaluate appeal_claim list_reviews list_events claim_notice list_regions list_region_policies healthz readyz metrics"
    [adjuster]="get_claim list_claims list_decisions replay_decision evaluate review_claim submit_appraisal submit_bill list_reviews review_queue claim_notice claim_worker list_regions list_region_policies"
    [policy_admin]="list_regions list_region_policies upload_policy get_policy start_shadow get_shadow shadow_chart approve_policy activate_policy redecide get_job list_keys evaluate"
    [auditor]="list_users get_user user_tokens list_tokens audit_trail get_claim list_claims list_decisions claim_worker get_policy get_shadow get_job list_keys list_regions list_payment_runs get_payment_run region_outlay claim_schedule"
    [payments_officer]="start_payment_run list_payment_runs get_payment_run payment_run_lines release_payment_run payment_returns payment_run_csv payment_run_json region_outlay claim_schedule get_claim list_claims"
    [admin]="add_user list_users get_user disable_user user_tokens issue_token list_tokens revoke_token add_key approve_key list_keys revoke_key set_webhook audit_trail get_claim list_claims claim_worker get_policy rollback_region"
)
status=0
for role in platform adjuster policy_admin auditor payments_officer admin; do
    include=()
    for op in ${ops[$role]}; do include+=(--include-operation-id "$op"); done
    echo "== $role"
    if ! "$st" --config-file "$here/schemathesis.toml" run "$url/openapi.json" --checks all \
        -H "Authorization: Bearer ${tokens[$role]}" "${include[@]}" \
        --report json --report-json-path "$out/$role.json" > "$out/$role.txt" 2>&1; then
        status=1
        tail -n 40 "$out/$role.txt"
    fi
    grep -E "generated|failures?,|passed" "$out/$role.txt" | tail -n 2
done
python3 - "$out" "$min_cases" <<'PY'
import json, pathlib, sys
out, need = pathlib.Path(sys.argv[1]), int(sys.argv[2])
total = failures = 0
for f in sorted(out.glob("*.json")):
    r = json.loads(f.read_text())
    total += r["test_cases"]["generated"]
    failures += r["test_cases"]["unique_failures"]
    print(f"{f.stem}: {r['test_cases']['generated']} cases, {r['test_cases']['unique_failures']} failures")
print(f"all roles: {total} cases generated, {failures} failures")
sys.exit(0 if total >= need and failures == 0 else 1)
PY
[ $? -eq 0 ] || status=1

# The metrics after all that traffic, read by the Prometheus project's own OpenMetrics parser
# (strict: HELP, TYPE, _total suffixes, escaping, # EOF), from the same virtual environment as
# schemathesis when it has one.
py="$(dirname "$(command -v "$st")")/python3"
[ -x "$py" ] || py=python3
if ! curl -fs "$url/metrics" | "$py" -c '
import sys
from prometheus_client.openmetrics.parser import text_string_to_metric_families
families = list(text_string_to_metric_families(sys.stdin.read()))
samples = sum(len(f.samples) for f in families)
untyped = [f.name for f in families if f.type == "unknown" or not f.documentation]
assert families and not untyped, untyped
print(f"metrics: {len(families)} families, {samples} samples, parsed as OpenMetrics")
'; then
    echo "metrics: not valid OpenMetrics"
    status=1
fi

# Nothing personal reaches the log: after every role's traffic (thousands of generated claims,
# supplements and evaluations, each with an identity number), the server's log holds no
# identity number, neither the seed claim's nor any other of the GB 11643 shape.
kill $server 2>/dev/null || true
wait $server 2>/dev/null || true
python3 - "$out/server.log" "$root/docs/claim-example.json" <<'PY'
import json, pathlib, re, sys
log = pathlib.Path(sys.argv[1]).read_text(errors="replace")
seed = json.loads(pathlib.Path(sys.argv[2]).read_text())["worker"]["id_number"]
shape = re.compile(r"(?<![0-9A-Za-z_])[1-9][0-9]{5}(?:19|20)[0-9]{9}[0-9Xx](?![0-9A-Za-z_])")
found = sorted(set(shape.findall(log)))
lines = log.count("\n")
if seed in log or found:
    print(f"server log: identity numbers found: {found or [seed]}")
    sys.exit(1)
print(f"server log: {lines} lines, no identity number")
PY
[ $? -eq 0 ] || status=1
exit $status
