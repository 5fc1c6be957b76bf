#!/usr/bin/env bash
# schemathesis from outside (issue 11, acceptance 8): the CLI against a served, production-like
# instance (JIEBANG_ENV=prod, PostgreSQL), with every check (`--checks all`), once anonymously
# and once as an administrator. Nothing of the in-suite run (tests/contract/test_schemathesis.py)
# configures it: no per-operation expected statuses, no seeded resources, no custom checks;
# schemathesis.toml only keeps the stateful phase on the contract's own links.
#
# Run from the repository root, with the project's .venv (pip install -e '.[dev]'):
#
#   contract/fuzz_external.sh [extra `schemathesis run` options...]
#
# It creates a throwaway database jiebang_fuzz_<random> on FUZZ_PG, serves the API on a free
# loopback port, creates an administrator, runs both passes and, on exit (also on failure or
# Ctrl-C), stops the server and drops the database. Every request carries
# `Accept-Language: en`, so that problems can be sorted by their English messages.
#
# After the passes, every failing check in the NDJSON reports (not only the one schemathesis
# prints per operation and failure signature) is sorted into FINDING or expected, in
# <report dir>/classified.txt. Expected is what the in-suite run allows of schema-valid data
# (`valid_data_codes`): a problem code the operation documents for that status other than
# VALIDATION_FAILED (412 VERSION_CONFLICT for a stale If-Match, 415 for sniffed content, 422
# RULE_VIOLATION), or VALIDATION_FAILED for a reason INEXPRESSIBLE lists -- never a refusal of
# the document's own example (examples phase) that is not about state.
#
# Exit status: 0 when neither pass found a failure, 1 when one did (or a pass ran out of time),
# 2 on a set-up error. With FUZZ_STRICT=0, only FINDINGs (and interrupted passes) give 1.
#
# Knobs (environment):
#   FUZZ_PG              the server's maintenance URL (postgresql://postgres@127.0.0.1:5432/postgres)
#   FUZZ_MAX_EXAMPLES    examples per operation and phase                 (10)
#   FUZZ_PASS_TIMEOUT    seconds after which a pass is interrupted         (1200)
#   FUZZ_WORKERS         schemathesis workers                              (1)
#   FUZZ_SEED            schemathesis seed                                 (random; printed)
#   FUZZ_PASSES          which passes, comma-separated                     (anonymous,admin)
#   FUZZ_REPORT_DIR      reports, server log, classified.txt               (a new temp dir, kept)
#   FUZZ_CONFIG          schemathesis config file                          (./schemathesis.toml)
#   FUZZ_STRICT          1: any schemathesis failure fails; 0: FINDINGs only  (1)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
VENV=${VENV:-$ROOT/.venv}
PY=$VENV/bin/python
ST=$VENV/bin/schemathesis
API=$VENV/bin/jiebang-api
for tool in "$PY" "$ST" "$API"; do
    [[ -x $tool ]] || { echo "missing $tool: pip install -e '.[dev]' into $VENV" >&2; exit 2; }
done
command -v curl >/dev/null || { echo "curl is needed" >&2; exit 2; }
command -v timeout >/dev/null || { echo "timeout (coreutils) is needed" >&2; exit 2; }

FUZZ_PG=${FUZZ_PG:-postgresql://postgres@127.0.0.1:5432/postgres}
MAX_EXAMPLES=${FUZZ_MAX_EXAMPLES:-10}
PASS_TIMEOUT=${FUZZ_PASS_TIMEOUT:-1200}
WORKERS=${FUZZ_WORKERS:-1}
PASSES=${FUZZ_PASSES:-anonymous,admin}
CONFIG=${FUZZ_CONFIG:-$ROOT/schemathesis.toml}
STRICT=${FUZZ_STRICT:-1}
REPORT_DIR=${FUZZ_REPORT_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/jiebang-fuzz-report.XXXXXX")}
mkdir -p "$REPORT_DIR"
REPORT_DIR=$(cd "$REPORT_DIR" && pwd)
EXTRA=("$@")

SUFFIX=$("$PY" -c 'import secrets; print(secrets.token_hex(6))')
DB=jiebang_fuzz_$SUFFIX
WORK=$(mktemp -d "${TMPDIR:-/tmp}/jiebang-fuzz.XXXXXX")
SERVER_PID=""
DB_CREATED=""

# One SQL statement on the PostgreSQL server's maintenance database (asyncpg, a dependency of
# the service: no psql needed). The only database named is the one generated above.
pg() {
    "$PY" - "$FUZZ_PG" "$1" <<'PYTHON'
import asyncio
import sys

import asyncpg


async def main(url: str, sql: str) -> None:
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


asyncio.run(main(sys.argv[1], sys.argv[2]))
PYTHON
}

cleanup() {
    local status=$?
    set +e
    if [[ -n $SERVER_PID ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID"
        for _ in $(seq 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.2; done
        kill -0 "$SERVER_PID" 2>/dev/null && kill -KILL "$SERVER_PID"
        wait "$SERVER_PID" 2>/dev/null
    fi
    if [[ -n $DB_CREATED ]]; then
        pg "DROP DATABASE IF EXISTS \"$DB\" WITH (FORCE)" && echo "dropped database $DB"
    fi
    rm -rf "$WORK"
    echo "reports and server log: $REPORT_DIR"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

pg "CREATE DATABASE \"$DB\""
DB_CREATED=1
echo "created database $DB"

PG_SERVER=${FUZZ_PG#*://}
PG_SERVER=${PG_SERVER%%/*} # user[:password]@host:port
PORT=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
BASE=http://127.0.0.1:$PORT

# Production-like: prod (no sandbox clock, no debug), PostgreSQL, a real secret. Only the
# sign-in and registration throttles are opened up (so that the fuzzer is not answered 429),
# and tokens outlive a pass.
export JIEBANG_ENV=prod
export JIEBANG_DEBUG=false
JIEBANG_JWT_SECRET=$("$PY" -c 'import secrets; print(secrets.token_urlsafe(48))')
export JIEBANG_JWT_SECRET
export JIEBANG_DATABASE_URL=postgresql+asyncpg://$PG_SERVER/$DB
export JIEBANG_STORAGE_DIR=$WORK/files
export JIEBANG_ACCESS_TOKEN_TTL_SECONDS=86400
export JIEBANG_LOGIN_FAILURE_LIMIT=100000/minute
export JIEBANG_LOGIN_ADDRESS_LIMIT=100000/minute
export JIEBANG_REGISTRATION_LIMIT=100000/minute
export JIEBANG_OBJECTION_LIMIT=100000/minute
# Webhook URLs: IP addresses only, so that no made-up host name is sent to a DNS resolver.
export JIEBANG_WEBHOOK_RESOLVE_NAMES=false
unset JIEBANG_RATE_LIMIT_STORAGE_URL JIEBANG_METRICS_TOKEN JIEBANG_DOCS_PUBLIC \
    JIEBANG_TRUSTED_PROXIES JIEBANG_JWT_ALGORITHM
cd "$WORK" # no .env of the checkout may change any of this

"$API" serve --host 127.0.0.1 --port "$PORT" >"$REPORT_DIR/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 300); do
    curl -fsS -o /dev/null "$BASE/readyz" 2>/dev/null && break
    kill -0 "$SERVER_PID" 2>/dev/null || { echo "server died; see $REPORT_DIR/server.log" >&2; exit 2; }
    sleep 0.2
done
curl -fsS -o /dev/null "$BASE/readyz" || { echo "server not ready" >&2; exit 2; }
echo "serving $BASE (database $DB)"
curl -fsS -o "$REPORT_DIR/openapi.json" "$BASE/openapi.json"

ADMIN=fuzz-admin-$SUFFIX
ADMIN_PASSWORD=$("$PY" -c 'import secrets; print(secrets.token_urlsafe(24))')
printf '%s\n' "$ADMIN_PASSWORD" | "$API" create-admin --username "$ADMIN" --password-stdin
token() {
    curl -fsS "$BASE/api/v1/auth/token" \
        --data-urlencode grant_type=password \
        --data-urlencode "username=$ADMIN" \
        --data-urlencode "password=$ADMIN_PASSWORD" |
        "$PY" -c 'import json, sys; print(json.load(sys.stdin)["access_token"])'
}
cd "$ROOT"

SEED_ARGS=()
[[ -n ${FUZZ_SEED:-} ]] && SEED_ARGS=(--seed "$FUZZ_SEED")

failed=0      # a pass reported failures
interrupted=0 # a pass ran out of time or broke down
: >"$REPORT_DIR/durations.txt"
run_pass() {
    local name=$1 started=$SECONDS status=0
    shift
    echo "=== pass: $name (examples $MAX_EXAMPLES, at most ${PASS_TIMEOUT}s) ==="
    # SIGINT first: schemathesis stops and still writes its reports; KILL 30 s later. It runs
    # in the report directory, where it keeps its crash files (.schemathesis/), not the checkout.
    (cd "$REPORT_DIR" && exec timeout --signal=INT --kill-after=30 "$PASS_TIMEOUT" \
        "$ST" --config-file "$CONFIG" --no-color run "$BASE/openapi.json" \
        --checks all \
        --max-examples "$MAX_EXAMPLES" \
        --workers "$WORKERS" \
        --generation-database none \
        --report junit,ndjson,har \
        --report-dir "$REPORT_DIR/$name" \
        -H "Accept-Language: en" \
        "${SEED_ARGS[@]}" "$@" "${EXTRA[@]}") \
        >"$REPORT_DIR/$name.txt" 2>&1 || status=$?
    local took=$((SECONDS - started))
    sed -n '/^=* SUMMARY =*$/,$p' "$REPORT_DIR/$name.txt"
    case $status in
        0) echo "--- $name: no failures (${took}s)" ;;
        1) echo "--- $name: failures, exit 1 (${took}s)"; failed=1 ;;
        124 | 137) echo "--- $name: interrupted after ${took}s (timeout)"; interrupted=1 ;;
        *) echo "--- $name: schemathesis broke down, exit $status (${took}s)"; interrupted=1 ;;
    esac
    echo "$name ${took}s exit=$status" >>"$REPORT_DIR/durations.txt"
}

IFS=, read -ra SELECTED <<<"$PASSES"
for pass in "${SELECTED[@]}"; do
    case $pass in
        anonymous) run_pass anonymous ;;
        admin) run_pass admin -H "Authorization: Bearer $(token)" ;;
        *) echo "unknown pass $pass" >&2; exit 2 ;;
    esac
done

classified=0
shopt -s nullglob
reports=("$REPORT_DIR"/*/ndjson-*.ndjson)
if ((${#reports[@]})); then
    "$PY" - "$ROOT" "$REPORT_DIR/openapi.json" "${reports[@]}" \
        >"$REPORT_DIR/classified.txt" <<'PYTHON' || classified=$?
"""Sort every failing check of schemathesis NDJSON reports into FINDINGs and expected refusals."""
import base64
import json
import sys
from pathlib import Path

root, document_path, *reports = sys.argv[1:]
sys.path[:0] = [f"{root}/tests", f"{root}/tests/contract"]
from contract_guard import documented_codes  # noqa: E402
from test_schemathesis import _inexpressible  # noqa: E402  (INEXPRESSIBLE: one source of truth)

document = json.loads(Path(document_path).read_text(encoding="utf-8"))
operations = {
    f"{method.upper()} {path}": op
    for path, item in document["paths"].items()
    for method, op in item.items()
    if isinstance(op, dict) and "operationId" in op
}


def answer(interaction):
    response = (interaction or {}).get("response") or {}
    content = response.get("content") or {}
    if "$base64" in content:
        raw = base64.b64decode(content["$base64"])
    else:
        raw = str(content.get("text") or content.get("body") or "").encode()
    try:
        body = json.loads(raw)
    except ValueError:
        body = None
    return response.get("status_code"), body, raw[:160].decode("utf-8", "replace")


ACROSS_REQUESTS = {"VERSION_CONFLICT", "IDEMPOTENCY_KEY_REUSED", "IDEMPOTENCY_IN_FLIGHT"}


def why_expected(phase, failure, op, status, problem):
    """Why this is a refusal the service means to make; None for a finding."""
    if failure.get("type") != "RejectedPositiveData" or not isinstance(problem, dict) or not op:
        return None
    code, documented = problem.get("code"), op["responses"].get(str(status))
    if status == 400 or documented is None or code not in documented_codes(documented):
        return None
    if code == "VALIDATION_FAILED":
        return "INEXPRESSIBLE" if _inexpressible(op["operationId"], problem) else None
    # The document's own example, refused for what it is, is a finding; but a stale version
    # and a reused Idempotency-Key are about the requests before it (every example shares the
    # header's example key), not about the example.
    if phase == "examples" and code not in ACROSS_REQUESTS:
        return None
    return f"documented {code} (valid_data_codes)"


findings, expected, seen = 0, 0, set()
for report in reports:
    who = Path(report).parent.name
    for line in Path(report).read_text(encoding="utf-8").splitlines():
        scenario = json.loads(line).get("ScenarioFinished")
        if not scenario:
            continue
        recorder = scenario["recorder"]
        for case_id, checks in (recorder.get("checks") or {}).items():
            for check in checks:
                if check["status"] != "failure":
                    continue
                failure = (check.get("failure_info") or {}).get("failure") or {}
                label = failure.get("operation") or recorder.get("label", "?")
                status, problem, raw = answer((recorder.get("interactions") or {}).get(case_id))
                reason = why_expected(
                    scenario["phase"], failure, operations.get(label), status, problem
                )
                if isinstance(problem, dict) and "code" in problem:
                    said = [
                        v.get("message_en") or v.get("message")
                        for v in problem.get("violations") or []
                    ]
                    detail = f"{problem['code']}: {'; '.join(filter(None, said)) or problem.get('detail')}"
                else:
                    detail = raw if status and status >= 400 else ""
                key = (who, label, check["name"], status, detail, reason)
                if key in seen:
                    continue
                seen.add(key)
                if reason:
                    expected += 1
                else:
                    findings += 1
                print(
                    f"{'expected' if reason else 'FINDING':8} {who}/{scenario['phase']} {label} "
                    f"{failure.get('code', '')} {check['name']} -> {status} {detail[:150]}"
                    + (f" [{reason}]" if reason else "")
                )
print(f"{findings} finding(s), {expected} expected refusal(s)")
sys.exit(1 if findings else 0)
PYTHON
    echo "=== every failing check, sorted ($REPORT_DIR/classified.txt) ==="
    cat "$REPORT_DIR/classified.txt"
fi
echo "=== durations ==="
cat "$REPORT_DIR/durations.txt"
((interrupted)) && exit 1
[[ $STRICT == 1 ]] && exit "$failed"
((classified)) && exit 1
exit 0
