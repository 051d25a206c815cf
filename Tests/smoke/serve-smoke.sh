#!/usr/bin/env bash
# End-to-end check of the real `custos` binary over a real socket and a real PostgreSQL:
# an empty database is migrated at start (as the owner; the server runs as a member of
# custos_app), the health endpoints answer, a transaction round-trips, bad requests write
# nothing, SIGTERM stops the server cleanly, and a restarted server still has the data. The
# audit log the server wrote is exported and verified, its key rotated, and it survives a
# SIGKILL during concurrent appends; then a copy of it is tampered with once per way of
# tampering, and each is refused. Field encryption: planted values stay out of the tables and the
# log, and the key operations work while the server runs. Policy decisions: the bundle in
# policies/ (or $CUSTOS_SMOKE_POLICIES) is activated at start, a held transaction's decision is
# fetched and replayed, and a broken policy file is refused with its file:line:col. Last, TLS:
# the binary serves HTTPS (1.2 and 1.3, not 1.1) with HSTS, and with a client CA only clients
# holding one of its certificates get in; bad TLS files stop it with one line. Needs DATABASE_URL
# (a superuser, or a role that may create databases and roles) and openssl. Prints one line per
# check and closes with "N passed, M failed".
set -uo pipefail
custos="${1:?usage: serve-smoke.sh PATH/TO/custos}"
: "${DATABASE_URL:?DATABASE_URL must point at a PostgreSQL server}"

passed=0; failed=0
check() { # check NAME COMMAND...
    local name=$1; shift
    if "$@"; then passed=$((passed + 1)); echo "ok   $name"
    else failed=$((failed + 1)); echo "FAIL $name"; fi
}

work=$(mktemp -d)
db="custos_smoke_$RANDOM$RANDOM"
url="${DATABASE_URL%%\?*}"; query="${DATABASE_URL#"$url"}"
smoke_url="${url%/*}/$db$query"
# The server connects as a throwaway member of the application role custos_app, as in
# production; migrations run as the owner (DATABASE_URL's role).
app_role="custos_smoke_$RANDOM$RANDOM"
app_password="smoke$RANDOM$RANDOM$RANDOM"
app_url=$(printf '%s' "$smoke_url" | sed -E "s#^(postgres(ql)?://)[^@]*@#\1$app_role:$app_password@#")
server_pid=""
cleanup() {
    [ -n "$server_pid" ] && kill -TERM "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
    psql "$DATABASE_URL" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "DROP ROLE IF EXISTS $app_role" >/dev/null 2>&1
    rm -rf "$work"
}
trap cleanup EXIT
psql "$DATABASE_URL" -qc "CREATE DATABASE $db" \
    -c "DO \$\$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'custos_app') THEN CREATE ROLE custos_app NOLOGIN; END IF; END \$\$" \
    -c "CREATE ROLE $app_role LOGIN INHERIT PASSWORD '$app_password' IN ROLE custos_app" >/dev/null \
    || { echo "cannot create $db and $app_role"; echo "0 passed, 1 failed"; exit 1; }

port=""
for _ in $(seq 1 50); do
    candidate=$((20000 + RANDOM % 20000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$candidate") 2>/dev/null; then port=$candidate; break; fi
done
base="http://127.0.0.1:$port"
policies="${CUSTOS_SMOKE_POLICIES:-policies}"

start_server() { # the rate limit is raised: the crash check reads back every acknowledged row at full speed
    DATABASE_URL="$app_url" CUSTOS_MIGRATION_DATABASE_URL="$smoke_url" CUSTOS_LOG_LEVEL=warning \
        CUSTOS_RATE_LIMIT_PER_SECOND=100000 CUSTOS_RATE_LIMIT_BURST=100000 \
        "$custos" serve --port "$port" --policies "$policies" >>"$work/server.log" 2>&1 &
    server_pid=$!
    for _ in $(seq 1 100); do
        curl -fs "$base/healthz" >/dev/null 2>&1 && return 0
        kill -0 "$server_pid" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}
stop_server() { # SIGTERM, then the exit status must be 0 within 10 s
    kill -TERM "$server_pid"
    for _ in $(seq 1 100); do
        kill -0 "$server_pid" 2>/dev/null || { wait "$server_pid"; local status=$?; server_pid=""; return $status; }
        sleep 0.1
    done
    return 1
}
status_of() { curl -s -o "$work/body" -w '%{http_code}' "$@"; }
post() { status_of -X POST "$base/v1/transactions" -H "Authorization: Bearer ${2:-$token}" -H 'Content-Type: application/json' --data-binary "$1"; }
rows() { psql "$smoke_url" -tAc "SELECT count(*) FROM transactions"; }
# The transaction's own id in a response (its decision has an id too; keys are sorted, so the
# transaction's is the one followed by "kind").
txn_ids() { grep -o '"id":"[0-9a-f-]*","kind"' "$@" | cut -d'"' -f4; }

valid='{"account_id":"ACC-001","counterparty_account":"DE89370400440532013000","amount_minor":12345,"currency":"EUR","direction":"debit","kind":"transfer","occurred_at":"2026-11-24T09:30:00.123456Z","reference":"invoice 42"}'

check "server starts on an empty database" start_server
# Two tenants, a client of each and a token for it: every /v1 call carries a bearer token, and the
# tenant is the token's (docs/api-security.md).
make_tenant() { DATABASE_URL="$app_url" "$custos" tenants create "$1" | sed -n 's/^created tenant \([0-9a-f-]*\) .*/\1/p'; }
make_token() { # make_token TENANT [SCOPES]: a new client with the API's scopes (or SCOPES), and a token for it
    local out id secret
    out=$(DATABASE_URL="$app_url" "$custos" clients create --tenant "$1" --scopes "${2:-transactions:write transactions:read audit:read}" 2>/dev/null) || return 1
    id=$(printf '%s\n' "$out" | sed -n 's/^client_id //p')
    secret=$(printf '%s\n' "$out" | sed -n 's/^client_secret //p')
    curl -s -u "$id:$secret" -d grant_type=client_credentials "$base/oauth/token" | sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p'
}
tenant=$(make_tenant "Smoke Tenant A"); other=$(make_tenant "Smoke Tenant B")
token=$(make_token "$tenant"); other_token=$(make_token "$other")
check "two tenants, a client of each, and a token for each" test -n "$tenant" -a -n "$other" -a -n "$token" -a -n "$other_token"
check "a /v1 call without a token is 401 with a Bearer challenge" bash -c "
    curl -s -D '$work/noauth.h' -o '$work/noauth' '$base/v1/transactions/00000000-0000-4000-8000-000000000000' &&
    grep -q '^HTTP/1.1 401' '$work/noauth.h' && grep -qi '^www-authenticate: Bearer' '$work/noauth.h' &&
    grep -q 'urn:custos:problem:unauthenticated' '$work/noauth'"
check "GET /healthz is 200" test "$(status_of "$base/healthz")" = 200
check "GET /readyz is 200 and ready (migrated at start)" \
    bash -c "[ \"\$(curl -s -o '$work/ready' -w '%{http_code}' '$base/readyz')\" = 200 ] && grep -q '\"status\":\"ready\"' '$work/ready'"
check "POST /v1/transactions is 201" test "$(post "$valid")" = 201
id=$(txn_ids "$work/body"); cp "$work/body" "$work/created"
check "GET /v1/transactions/{id} returns what was stored" \
    bash -c "[ \"\$(curl -s -o '$work/got' -w '%{http_code}' -H 'Authorization: Bearer $token' '$base/v1/transactions/$id')\" = 200 ] && cmp -s '$work/got' '$work/created'"
check "another tenant gets 404" test "$(status_of -H "Authorization: Bearer $other_token" "$base/v1/transactions/$id")" = 404
invalid='{"account_id":"ACC-001","counterparty_account":"X","amount_minor":0,"currency":"eur","direction":"up","kind":"cash","occurred_at":"2026-11-24T09:30:00Z"}'
check "three invalid fields give one 422" test "$(post "$invalid")" = 422
check "... listing all three" test "$(grep -o '"field"' "$work/body" | wc -l)" = 3
head -c $((2 * 1024 * 1024)) /dev/zero | tr '\0' ' ' > "$work/big"
check "a 2 MiB body gives 413" test "$(status_of -X POST "$base/v1/transactions" -H "Authorization: Bearer $token" -H 'Content-Type: application/json' --data-binary @"$work/big")" = 413
check "... and problem+json" grep -q 'urn:custos:problem:body-too-large' "$work/body"
check "only the valid transaction was written" test "$(rows)" = 1
check "the server's role sees no audit row without a scope (row-level security)" \
    test "$(psql "$app_url" -tAc 'SELECT count(*) FROM audit_entries')" = 0
check "the server's role may insert but not change audit rows" bash -c "
    test \"\$(psql '$app_url' -qtA -c \"SET custos.system = 'on'\" -c 'SELECT count(*) FROM audit_entries')\" -ge 1 &&
    ! psql '$app_url' -qc 'UPDATE audit_entries SET idx = idx' >/dev/null 2>&1 &&
    ! psql '$app_url' -qc 'ALTER TABLE audit_entries DISABLE TRIGGER USER' >/dev/null 2>&1"
printf '%064d\n' 7 >"$work/production.key"; chmod 600 "$work/production.key"
check "in production the server refuses to run as the tables' owner" bash -c "
    ! CUSTOS_ENVIRONMENT=production CUSTOS_AUDIT_KEY_FILE='$work/production.key' CUSTOS_ROOT_KEY_FILE='$work/production.key' \
        DATABASE_URL='$smoke_url' \
        '$custos' serve --port $((port + 1)) >'$work/owner.log' 2>&1 &&
    grep -q 'may update, delete or truncate audit tables' '$work/owner.log'"
check "GET /metrics counts the requests" \
    bash -c "curl -s '$base/metrics' | grep -q 'custos_http_requests_total{route=\"/v1/transactions\",method=\"POST\",status=\"201\"} 1'"
check "SIGTERM stops the server with status 0" stop_server
check "the server restarts" start_server
check "the transaction survives the restart" \
    bash -c "curl -s -H 'Authorization: Bearer $token' '$base/v1/transactions/$id' | cmp -s - '$work/created'"
check "SIGTERM stops it again" stop_server

# --- Audit log: written by the server, exported, verified; then tampered with once.
key=$(DATABASE_URL="$smoke_url" "$custos" audit key --tenant "$tenant")
audit_verify() { DATABASE_URL="$smoke_url" "$custos" audit verify --key "$key" "$@" >"$work/verify.out" 2>&1; }
check "the server starts again" start_server
sleep 1.2  # the checkpoint service signs within a second
check "custos audit export writes a tlog-tiles export" \
    bash -c "DATABASE_URL='$smoke_url' '$custos' audit export --tenant $tenant '$work/export' >/dev/null && test -f '$work/export/checkpoint' && test -f '$work/export/manifest.json'"
check "custos audit verify accepts the export" audit_verify --export "$work/export"
check "GET /v1/audit/checkpoint serves a checkpoint signed by that key" \
    bash -c "curl -s -H 'Authorization: Bearer $token' '$base/v1/audit/checkpoint' | grep -q '^— custos.localhost/audit/$tenant '"

check "custos audit proof writes a tlog-proof that custos audit verify-proof accepts" bash -c "
    DATABASE_URL='$smoke_url' '$custos' audit proof --tenant $tenant --index 1 --output '$work/entry1.tlog-proof' &&
    '$custos' audit verify-proof '$work/entry1.tlog-proof' --key '$key' \
        --leaf-hash \$(curl -s -H 'Authorization: Bearer $token' '$base/v1/audit/entries?start=1&limit=1' | sed 's/.*\"leaf_hash\":\"\([^\"]*\)\".*/\\1/') >/dev/null"

# --- Key rotation while the server runs: both keys sign the covering checkpoint; an export
# made after a zero-hour overlap verifies with the new key alone and not with the old one.
check "custos audit rotate-key announces key version 2" bash -c "
    DATABASE_URL='$smoke_url' '$custos' audit rotate-key --tenant $tenant --overlap-hours 0 >'$work/rotate.out' &&
    grep -q ': key version 2: ' '$work/rotate.out'"
new_key=$(sed 's/.*: key version 2: //' "$work/rotate.out")
check "GET /v1/audit/keys lists both keys" \
    bash -c "curl -s -H 'Authorization: Bearer $token' '$base/v1/audit/keys' | grep -q '\"version\":2'"
curl -s -X POST "$base/v1/transactions" -H "Authorization: Bearer $token" -H 'Content-Type: application/json' --data-binary "$valid" >/dev/null
sleep 1.2
check "after the rotation an export verifies with the new key" bash -c "
    DATABASE_URL='$smoke_url' '$custos' audit export --tenant $tenant '$work/export2' >/dev/null &&
    DATABASE_URL='$smoke_url' '$custos' audit verify --key '$new_key' --export '$work/export2' >/dev/null"
check "... and no longer with the old key alone" bash -c "! '$custos' audit verify --key '$key' --export '$work/export2' >/dev/null 2>&1"
key="$new_key"

# --- Crash safety: SIGKILL during concurrent appends; every acknowledged request survives.
for writer in $(seq 1 8); do
    ( for n in $(seq 1 40); do
        curl -s --max-time 5 -o "$work/ack.$writer.$n" -w '%{http_code}\n' -X POST "$base/v1/transactions" \
            -H "Authorization: Bearer $token" -H 'Content-Type: application/json' --data-binary "$valid" >"$work/status.$writer.$n" 2>/dev/null
      done ) &
done
sleep 0.7
kill -KILL "$server_pid"; wait "$server_pid" 2>/dev/null; server_pid=""
wait  # the writers fail fast once the server is gone
acked=$(grep -l '^201$' "$work"/status.* 2>/dev/null | sed 's/status/ack/' | xargs -r cat | txn_ids)
check "some requests were acknowledged before the kill" test -n "$acked"
check "the server restarts after SIGKILL" start_server
missing=0
for id in $acked; do
    [ "$(status_of -H "Authorization: Bearer $token" "$base/v1/transactions/$id")" = 200 ] || missing=$((missing + 1))
    n=$(psql "$smoke_url" -tAc "SELECT count(*) FROM audit_entries WHERE position(convert_to('$id','UTF8') in leaf) > 0
        AND position(convert_to('transaction.recorded','UTF8') in leaf) > 0")
    [ "$n" = 1 ] || missing=$((missing + 1))
done
check "every acknowledged transaction ($(echo "$acked" | wc -w)) is stored with its audit entry" test "$missing" = 0
check "rows and successful transaction.recorded entries match one to one" test "$(rows)" = \
    "$(psql "$smoke_url" -tAc "SELECT count(*) FROM audit_entries WHERE position(convert_to('transaction.recorded','UTF8') in leaf) > 0
        AND position(convert_to('\"outcome\":\"success\"','UTF8') in leaf) > 0")"
sleep 1.2
check "the log verifies after the crash" audit_verify --tenant "$tenant"

# --- Field encryption (docs/encryption.md): planted values never reach the tables or the server's
# log; the key operations run with the application's role while the server runs.
canary_account="CANARY4111111111111111"; canary_name="Canary Quetzalcoatl"
canary='{"account_id":"ACC-CANARY","counterparty_account":"'$canary_account'","counterparty_name":"'$canary_name'","amount_minor":500,"currency":"EUR","direction":"debit","kind":"card","occurred_at":"2026-11-24T09:30:00Z"}'
check "a transaction with planted values is 201, the account masked" bash -c "
    [ \"\$(curl -s -o '$work/canary' -w '%{http_code}' -X POST '$base/v1/transactions' -H 'Authorization: Bearer $token' \
        -H 'Content-Type: application/json' --data-binary '$canary')\" = 201 ] && grep -q '\"counterparty_account\":\"\*\*\*\*1111\"' '$work/canary'"
canary_id=$(txn_ids "$work/canary")
check "GET /v1/transactions?counterparty_account= finds it through the blind index" bash -c "
    curl -s -H 'Authorization: Bearer $token' '$base/v1/transactions?counterparty_account=$canary_account' | grep -q '\"id\":\"$canary_id\"'"
hex() { printf '%s' "$1" | od -An -tx1 | tr -d ' \n'; }
raw_dump() { # every table of the database, as text (bytea as hex), lower-cased
    for table in $(psql "$smoke_url" -tAc "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"); do
        psql "$smoke_url" -tAc "SELECT t::text FROM \"$table\" t"
    done | tr 'A-Z' 'a-z'
}
raw_dump >"$work/raw.txt"
check "a raw SELECT of every table shows no planted value (as text or bytes)" bash -c "
    test -s '$work/raw.txt' && ! grep -qiF -e '$canary_account' -e 'quetzalcoatl' -e '$(hex "$canary_account")' -e '$(hex "$canary_name")' '$work/raw.txt'"
check "... nor does the server's log" bash -c "! grep -qiF -e '$canary_account' -e 'quetzalcoatl' '$work/server.log'"
keys() { DATABASE_URL="$app_url" "$custos" keys "$@"; }
check "custos keys status lists the tenant's keys (as the application role)" bash -c "
    DATABASE_URL='$app_url' '$custos' keys status --tenant $tenant --each >'$work/status.out' && grep -q 'kek v1 active' '$work/status.out' &&
    grep -q 'data keys v1 active: 2 keys' '$work/status.out' && test \$(grep -c '^  key .* v1 active (kek v1): [0-9]* rows' '$work/status.out') = 2"
check "custos keys rotate makes KEK version 2" bash -c "
    DATABASE_URL='$app_url' '$custos' keys rotate --tenant $tenant >'$work/keys.out' && grep -q 'key-encryption key 1 -> 2' '$work/keys.out'"
check "custos keys reencrypt moves every row, progress on stderr, and retires the old keys" bash -c "
    DATABASE_URL='$app_url' '$custos' keys reencrypt --tenant $tenant --batch 50 >'$work/keys.out' 2>'$work/keys.err' &&
    grep -q 'rows re-encrypted, 2 data keys retired' '$work/keys.out' && grep -q '^re-encrypted [0-9]* rows' '$work/keys.err' &&
    test \"\$(psql '$smoke_url' -tAc \"SELECT count(*) FROM transactions t JOIN data_keys k ON k.id = t.data_key_id WHERE k.status <> 'active'\")\" = 0"
check "... and the rows still read back" bash -c "
    curl -s -H 'Authorization: Bearer $token' '$base/v1/transactions/$canary_id' | grep -q '\"counterparty_name\":\"$canary_name\"'"
check "custos keys shred erases the subject's fields" bash -c "
    DATABASE_URL='$app_url' '$custos' keys shred --tenant $tenant --subject ACC-CANARY >'$work/keys.out' &&
    grep -q '2 data keys destroyed; 1 rows now read as erased' '$work/keys.out' &&
    curl -s -H 'Authorization: Bearer $token' '$base/v1/transactions/$canary_id' | grep -q '\"erased\":\[\"counterparty_account\",\"counterparty_name\"\]'"
check "... and the blind index no longer finds them" bash -c "
    curl -s -H 'Authorization: Bearer $token' '$base/v1/transactions?counterparty_account=$canary_account' | grep -q '\"items\":\[\]'"
check "bad keys input: a non-zero exit and a first line that says why" bash -c "
    ! DATABASE_URL='$app_url' '$custos' keys shred --tenant not-a-uuid --subject X 2>'$work/e1' && head -1 '$work/e1' | grep -q 'tenant must be a UUID' &&
    ! DATABASE_URL='$app_url' '$custos' keys reencrypt --tenant $tenant --batch 0 2>'$work/e1' && head -1 '$work/e1' | grep -q 'batch must be 1 to' &&
    ! DATABASE_URL='$app_url' '$custos' keys shred --tenant $tenant --subject ACC-CANARY >/dev/null 2>'$work/e2' &&
    test \$(wc -l <'$work/e2') = 1 && grep -q 'no live data key' '$work/e2'"
check "custos keys init writes a 0600 key file once and prints its fingerprint" bash -c "
    DATABASE_URL='$app_url' '$custos' keys init --file '$work/keys/root.key' | grep -q '^root key [0-9a-f]\{16\} written' &&
    test \"\$(stat -c %a '$work/keys/root.key')\" = 600 &&
    ! DATABASE_URL='$app_url' '$custos' keys init --file '$work/keys/root.key' >/dev/null 2>&1"
check "in production the documented development root key is refused" bash -c "
    ! CUSTOS_ENVIRONMENT=production CUSTOS_AUDIT_KEY_FILE='$work/production.key' CUSTOS_ROOT_KEY=$(hex 'custos development root key v1!!') \
        DATABASE_URL='$app_url' '$custos' serve --port $((port + 2)) >'$work/devkey.log' 2>&1 && grep -q 'development key' '$work/devkey.log'"
# --- Policy decisions (docs/policies.md): the server activated the bundle at start; a cash deposit
# just under the CTR threshold is held, its decision is served and replays to the same result.
structuring='{"account_id":"ACC-CASH","counterparty_account":"ACC-TELLER-1","amount_minor":950000,"currency":"USD","direction":"credit","kind":"cash","occurred_at":"2026-11-24T09:30:00Z"}'
check "a cash deposit just under USD 10,000 is 201 and held, naming the rule" bash -c "
    [ \"\$(curl -s -o '$work/held' -w '%{http_code}' -X POST '$base/v1/transactions' -H 'Authorization: Bearer $token' \
        -H 'Content-Type: application/json' --data-binary '$structuring')\" = 201 ] &&
    grep -q '\"status\":\"held\"' '$work/held' && grep -q '\"rule\":\"just-under-ctr\"' '$work/held'"
held_id=$(txn_ids "$work/held")
check "GET …/decision serves the trace, the bundle hash and no salt" bash -c "
    curl -s -H 'Authorization: Bearer $token' '$base/v1/transactions/$held_id/decision' >'$work/decision' &&
    grep -q '\"outcome\":\"review\"' '$work/decision' && grep -q '\"bundle_hash\":\"[0-9a-f]\{64\}\"' '$work/decision' &&
    grep -q '\"rule\":\"aggregate-reaches-ctr\"' '$work/decision' && ! grep -q 'input_salt' '$work/decision'"
check "GET …/decision/replay gives the same result" bash -c "
    curl -s -H 'Authorization: Bearer $token' '$base/v1/transactions/$held_id/decision/replay' | grep -q '\"matches\":true'"
check "custos policy replay agrees, as the application role" bash -c "
    DATABASE_URL='$app_url' '$custos' policy replay --tenant $tenant --transaction $held_id >'$work/replay.out' &&
    grep -q 'replay matches the recorded decision' '$work/replay.out'"
sanctioned='{"account_id":"ACC-SANCT","counterparty_account":"ACC-OUT-1","counterparty_name":"desmond farrow QUILLANE","amount_minor":1000,"currency":"EUR","direction":"debit","kind":"transfer","occurred_at":"2026-11-24T09:30:00Z"}'
check "a payment to a listed name (another order and case) is held by sanctions screening" bash -c "
    curl -s -X POST '$base/v1/transactions' -H 'Authorization: Bearer $token' -H 'Content-Type: application/json' \
        --data-binary '$sanctioned' >'$work/sanctioned' &&
    grep -q '\"status\":\"held\"' '$work/sanctioned' && grep -q '\"rule\":\"listed-name\"' '$work/sanctioned'"
# --- Money safety of the API (docs/api-security.md), through the server's row-level-secured role.
keyed() { # keyed KEY BODY: POST /v1/transactions with an Idempotency-Key; headers in $work/keyed.h
    curl -s -D "$work/keyed.h" -o "$work/body" -w '%{http_code}' -X POST "$base/v1/transactions" -H "Authorization: Bearer $token" \
        -H 'Content-Type: application/json' -H "Idempotency-Key: $1" --data-binary "$2"
}
idem_body='{"account_id":"ACC-IDEM","counterparty_account":"ACC-PAYEE-9","amount_minor":4200,"currency":"EUR","direction":"debit","kind":"transfer","occurred_at":"2026-11-24T09:30:00Z"}'
before=$(rows)
check "a keyed POST is 201" test "$(keyed pay-smoke-1 "$idem_body")" = 201
cp "$work/body" "$work/keyed.first"
check "its retry with the same key and body replays the first answer, booking nothing" bash -c "
    [ \"\$(curl -s -D '$work/keyed2.h' -o '$work/keyed.second' -w '%{http_code}' -X POST '$base/v1/transactions' \
        -H 'Authorization: Bearer $token' -H 'Content-Type: application/json' -H 'Idempotency-Key: pay-smoke-1' \
        --data-binary '$idem_body')\" = 201 ] && grep -qi '^idempotency-replayed: true' '$work/keyed2.h' &&
    cmp -s '$work/keyed.first' '$work/keyed.second' && [ \"\$(psql '$smoke_url' -tAc 'SELECT count(*) FROM transactions')\" = $((before + 1)) ]"
check "the same key with another body is 422 idempotency-key-reused" bash -c "
    [ \"\$(curl -s -o '$work/reused' -w '%{http_code}' -X POST '$base/v1/transactions' -H 'Authorization: Bearer $token' \
        -H 'Content-Type: application/json' -H 'Idempotency-Key: pay-smoke-1' --data-binary '${idem_body/4200/4201}')\" = 422 ] &&
    grep -q 'urn:custos:problem:idempotency-key-reused' '$work/reused'"
check "the key is kept as digests only" test "$(psql "$smoke_url" -tAc "SELECT count(*) FROM idempotency_keys WHERE encode(key_sha256, 'escape') LIKE '%pay-smoke%'")" = 0
maker=$(make_token "$tenant" "transactions:write transactions:read reviews:decide")
checker=$(make_token "$tenant" "transactions:read reviews:decide")
review() { # review TOKEN ID DECISION: POST /v1/reviews/ID
    curl -s -o "$work/review" -w '%{http_code}' -X POST "$base/v1/reviews/$2" -H "Authorization: Bearer $1" \
        -H 'Content-Type: application/json' --data-binary "{\"decision\":\"$3\",\"reason\":\"smoke check\"}"
}
post "$structuring" "$maker" >/dev/null; made=$(txn_ids "$work/body")
check "a held transaction is in the review queue" bash -c "
    curl -s -H 'Authorization: Bearer $checker' '$base/v1/reviews?limit=100' | grep -q '\"id\":\"$made\"'"
check "its maker cannot approve it (403 maker-cannot-decide)" bash -c "
    [ \"\$(curl -s -o '$work/own' -w '%{http_code}' -X POST '$base/v1/reviews/$made' -H 'Authorization: Bearer $maker' \
        -H 'Content-Type: application/json' --data-binary '{\"decision\":\"approve\",\"reason\":\"mine\"}')\" = 403 ] &&
    grep -q 'maker-cannot-decide' '$work/own'"
approved=$(review "$checker" "$made" approve)
check "... the approval is 201 and the transaction posted" bash -c "
    [ '$approved' = 201 ] && curl -s -H 'Authorization: Bearer $token' '$base/v1/transactions/$made' | grep -q '\"status\":\"posted\"'"
check "a second decision is 409 review-already-decided" test "$(review "$checker" "$made" reject)" = 409
other_checker=$(make_token "$other" "reviews:decide")
check "another tenant's checker gets 404" test "$(review "$other_checker" "$made" approve)" = 404
check "pages of GET /v1/transactions follow next_cursor" bash -c "
    cursor=\$(curl -s -H 'Authorization: Bearer $token' '$base/v1/transactions?limit=1' | sed -n 's/.*\"next_cursor\":\"\([^\"]*\)\".*/\\1/p') &&
    [ -n \"\$cursor\" ] && curl -s -H 'Authorization: Bearer $token' \"$base/v1/transactions?limit=1&cursor=\$cursor\" | grep -q '\"items\":\[{'"
# --- Tenants and API clients (docs/api-security.md), as the application role.
tenant_and_client() {
    DATABASE_URL="$app_url" "$custos" tenants create 'Smoke Bank AG' >"$work/tenant.out" || return 1
    local smoke_tenant secret id
    smoke_tenant=$(sed -n 's/^created tenant \([0-9a-f-]*\) .*/\1/p' "$work/tenant.out")
    DATABASE_URL="$app_url" "$custos" clients create --tenant "$smoke_tenant" --scopes 'transactions:write transactions:read' \
        --roles maker >"$work/client.out" 2>/dev/null || return 1
    secret=$(sed -n 's/^client_secret //p' "$work/client.out")
    id=$(sed -n 's/^client_id //p' "$work/client.out")
    [ ${#secret} = 46 ] || return 1
    # The stored client's hash is Argon2id and does not contain the secret; the secret is in no audit entry.
    [ "$(psql "$smoke_url" -Atc "SELECT count(*) FROM api_clients WHERE id = '$id'
        AND starts_with(secret_hash, chr(36) || 'argon2id' || chr(36)) AND strpos(secret_hash, '$secret') = 0")" = 1 ] || return 1
    ! psql "$smoke_url" -Atc "SELECT encode(leaf, 'escape') FROM audit_entries" | grep -qF "$secret"
}
check "custos tenants create and clients create: the secret printed once, only its Argon2id hash stored" tenant_and_client
client_id=$(sed -n 's/^client_id //p' "$work/client.out")
client_secret=$(sed -n 's/^client_secret //p' "$work/client.out")
token_grant() {
    [ "$(curl -s -o "$work/token.json" -w '%{http_code}' -u "$client_id:$client_secret" -d grant_type=client_credentials \
        "$base/oauth/token")" = 200 ] || return 1
    grep -q '"token_type":"Bearer"' "$work/token.json" && grep -q '"access_token":"[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*"' "$work/token.json" &&
        curl -s "$base/.well-known/jwks.json" | grep -q '"crv":"Ed25519"'
}
check "POST /oauth/token (client credentials, HTTP Basic) issues a JWT; /.well-known/jwks.json publishes the Ed25519 key" token_grant
revoke_twice() {
    DATABASE_URL="$app_url" "$custos" clients revoke "$client_id" >/dev/null || return 1
    ! DATABASE_URL="$app_url" "$custos" clients revoke "$client_id" >/dev/null 2>"$work/revoke.err" || return 1
    [ "$(wc -l <"$work/revoke.err")" = 1 ] && grep -q 'already revoked' "$work/revoke.err"
}
check "custos clients revoke: once; a second time is one clear line and a non-zero exit" revoke_twice
check "... and the revoked client gets 401 invalid_client at the token endpoint" bash -c "
    [ \"\$(curl -s -o '$work/revoked.json' -w '%{http_code}' -u '$client_id:$client_secret' -d grant_type=client_credentials \
        '$base/oauth/token')\" = 401 ] && grep -q '\"error\":\"invalid_client\"' '$work/revoked.json'"
check "custos policy activate of the running bundle changes nothing" bash -c "
    DATABASE_URL='$app_url' '$custos' policy activate '$policies' >'$work/activate.out' && grep -q 'is already the active one' '$work/activate.out'"
mkdir -p "$work/broken"; cp "$policies"/velocity.yaml "$work/broken/"
sed -i 's/features.count_1h >= 5/features.count_1h >= /' "$work/broken/velocity.yaml"
broken_line=$(grep -n 'features.count_1h >= $' "$work/broken/velocity.yaml" | cut -d: -f1)
check "a broken policy file: exit 2 and file:line:col with a caret" bash -c "
    '$custos' policy check '$work/broken' >/dev/null 2>'$work/broken.err'; test \$? = 2 &&
    head -1 '$work/broken.err' | grep -q '^$work/broken/velocity.yaml:$broken_line:[0-9]*: ' && grep -q '\^' '$work/broken.err'"
check "... and a server given it does not start" bash -c "
    ! DATABASE_URL='$app_url' '$custos' serve --port $((port + 3)) --policies '$work/broken' >'$work/broken-serve.log' 2>&1 &&
    grep -q 'velocity.yaml:$broken_line:' '$work/broken-serve.log'"

sleep 1.2
check "the tenant log still verifies after rotation, re-encryption and shredding" audit_verify --tenant "$tenant"
system_key=$(DATABASE_URL="$smoke_url" "$custos" audit key --system)
check "... and so does the system log that records the key operations" bash -c "
    DATABASE_URL='$smoke_url' '$custos' audit export --system '$work/system-export' >/dev/null &&
    '$custos' audit verify --export '$work/system-export' --key '$system_key' >/dev/null &&
    test \"\$(psql '$smoke_url' -tAc \"SELECT count(*) FROM audit_entries WHERE origin = 'custos.localhost/audit/system'
        AND position(convert_to('keys.','UTF8') in leaf) > 0\")\" -ge 5"

check "SIGTERM stops the server" stop_server

# --- Tampering with the log the server wrote, once per way, each on a fresh copy of the database,
# as a superuser would (triggers disabled): `custos audit verify` must refuse it and say where.
origin_a="custos.localhost/audit/$tenant"
origin_b="custos.localhost/audit/$other"
printf '%064d\n' 9 >"$work/foreign.key"; chmod 600 "$work/foreign.key"
tamper_case() { # tamper_case NAME EXPECTED SQL [COMMAND-AFTER-SQL [TENANT KEY]]
    local name=$1 expected=$2 sql=$3 after=${4:-} log_tenant=${5:-$tenant} log_key=${6:-$key}
    local copy="${db}_t$RANDOM"
    local copy_url="${url%/*}/$copy$query"
    psql "$DATABASE_URL" -qc "CREATE DATABASE $copy TEMPLATE $db" >/dev/null || { check "$name: copy" false; return; }
    # ALL: the superuser also silences the foreign keys (a key rotation refers to its entry).
    psql "$copy_url" -q -c "ALTER TABLE audit_entries DISABLE TRIGGER ALL" -c "ALTER TABLE audit_checkpoints DISABLE TRIGGER ALL" \
        -c "ALTER TABLE audit_tree_nodes DISABLE TRIGGER ALL" -c "$sql" >/dev/null 2>&1
    [ -n "$after" ] && DATABASE_URL="$copy_url" bash -c "$after" >/dev/null 2>&1
    check "tampered ($name) is rejected, naming $expected" bash -c "
        ! DATABASE_URL='$copy_url' '$custos' audit verify --tenant $log_tenant --key '$log_key' >'$work/tampered.out' 2>&1 &&
        grep -q '$expected' '$work/tampered.out'"
    psql "$DATABASE_URL" -qc "DROP DATABASE IF EXISTS $copy WITH (FORCE)" >/dev/null 2>&1
}
check "the untampered log verifies" audit_verify --tenant "$tenant"
tamper_case "one payload byte changed" "entry 2" \
    "UPDATE audit_entries SET leaf = set_byte(leaf, length(leaf) - 2, get_byte(leaf, length(leaf) - 2) # 1) WHERE origin = '$origin_a' AND idx = 2"
tamper_case "an entry deleted" "entry 4" "DELETE FROM audit_entries WHERE origin = '$origin_a' AND idx = 4"
tamper_case "two entries swapped" "entry 2" "
    UPDATE audit_entries SET idx = 1000000 WHERE origin = '$origin_a' AND idx = 2;
    UPDATE audit_entries SET idx = 2 WHERE origin = '$origin_a' AND idx = 5;
    UPDATE audit_entries SET idx = 5 WHERE origin = '$origin_a' AND idx = 1000000"
tamper_case "the tail truncated" "entry 7" "DELETE FROM audit_entries WHERE origin = '$origin_a' AND idx >= 7"
tamper_case "a forged entry" "entry 6" "
    UPDATE audit_entries SET leaf = overlay(leaf placing convert_to('intruder__', 'UTF8')
        from position(convert_to('"resource"', 'UTF8') in leaf) for 10) WHERE origin = '$origin_a' AND idx = 6"
tamper_case "an entry moved to another tenant's log" "entry 5" \
    "UPDATE audit_entries SET origin = '$origin_b', idx = 1000 WHERE origin = '$origin_a' AND idx = 5"
tamper_case "a checkpoint replaced" "does not verify" \
    "ALTER TABLE audit_checkpoints DROP CONSTRAINT audit_checkpoints_size_is_the_notes; UPDATE audit_checkpoints SET note = regexp_replace(note, chr(10) || '([0-9]+)' || chr(10), chr(10) || '1\1' || chr(10)) WHERE origin = '$origin_a'"
# Re-signed: the other tenant's log (no key rotation in it, which a foreign signer would refuse)
# loses its checkpoints and stored nodes and is signed anew with another root key.
key_b=$(DATABASE_URL="$smoke_url" "$custos" audit key --tenant "$other")
tamper_case "the log re-signed with a foreign key" "no signature by a trusted key" \
    "DELETE FROM audit_checkpoints WHERE origin = '$origin_b'; DELETE FROM audit_tree_nodes WHERE origin = '$origin_b'" \
    "CUSTOS_AUDIT_KEY_FILE='$work/foreign.key' '$custos' audit export --tenant $other '$work/foreign-export'" "$other" "$key_b"

# --- TLS (docs/deployment.md): the same binary on HTTPS, with a throwaway CA, server and client
# certificates made here. TLS 1.2 and 1.3 are accepted, 1.1 refused by the server, every answer
# carries HSTS; with a client CA, only clients with a certificate of that CA get in. Bad TLS
# input stops start-up with one line that repeats no key.
pki="$work/pki"
check "a throwaway CA, server and client certificates (openssl)" "$(dirname "$0")/make-test-pki.sh" "$pki"
tls_base="https://127.0.0.1:$port"
start_tls_server() { # start_tls_server PROBE-CURL-ARGS... : the server reads its TLS settings from $tls_env
    env DATABASE_URL="$app_url" CUSTOS_LOG_LEVEL=warning $tls_env "$custos" serve --port "$port" >>"$work/server.log" 2>&1 &
    server_pid=$!
    for _ in $(seq 1 100); do
        curl -fs --cacert "$pki/ca.pem" "$@" "$tls_base/healthz" >/dev/null 2>&1 && return 0
        kill -0 "$server_pid" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}
https() { curl -s --cacert "$pki/ca.pem" "$@"; }
tls_env="CUSTOS_TLS_CERT_FILE=$pki/server.pem CUSTOS_TLS_KEY_FILE=$pki/server.key"
check "plain HTTP answers carry no Strict-Transport-Security" bash -c "! grep -qi '^strict-transport-security' '$work/noauth.h'"
check "serve with CUSTOS_TLS_CERT_FILE and CUSTOS_TLS_KEY_FILE starts on HTTPS" start_tls_server
check "HTTPS GET /healthz is 200 with Strict-Transport-Security: max-age=31536000" bash -c "
    [ \"\$(curl -s --cacert '$pki/ca.pem' -D '$work/tls.h' -o /dev/null -w '%{http_code}' '$tls_base/healthz')\" = 200 ] &&
    grep -qi '^strict-transport-security: max-age=31536000' '$work/tls.h'"
check "... and so are errors: a 404 and a 401 carry it too" bash -c "
    curl -s --cacert '$pki/ca.pem' -D - -o /dev/null '$tls_base/no-such-route' | grep -qi '^strict-transport-security: max-age=31536000' &&
    curl -s --cacert '$pki/ca.pem' -D - -o /dev/null '$tls_base/v1/transactions' | grep -qi '^strict-transport-security: max-age=31536000'"
check "TLS 1.2 is accepted" test "$(https --tlsv1.2 --tls-max 1.2 -o /dev/null -w '%{http_code}' "$tls_base/healthz")" = 200
check "TLS 1.3 is accepted" test "$(https --tlsv1.3 -o /dev/null -w '%{http_code}' "$tls_base/healthz")" = 200
check "TLS 1.2 with a CBC suite is refused (ECDHE-ECDSA-AES128-SHA), with an AEAD one accepted" bash -c "
    ! curl -fs --cacert '$pki/ca.pem' --tlsv1.2 --tls-max 1.2 --ciphers ECDHE-ECDSA-AES128-SHA '$tls_base/healthz' >/dev/null 2>&1 &&
    curl -fs --cacert '$pki/ca.pem' --tlsv1.2 --tls-max 1.2 --ciphers ECDHE-ECDSA-CHACHA20-POLY1305 '$tls_base/healthz' >/dev/null"
# The client is allowed TLS 1.1 (security level 0), so only the server can refuse it: alert 70.
check "TLS 1.1 is refused by the server (alert protocol_version)" bash -c "
    ! openssl s_client -connect 127.0.0.1:$port -tls1_1 -cipher 'DEFAULT:@SECLEVEL=0' </dev/null >'$work/tls11.out' 2>&1 &&
    grep -q 'alert protocol version' '$work/tls11.out'"
check "plain HTTP on the HTTPS port gets no answer" bash -c "! curl -fs --max-time 5 'http://127.0.0.1:$port/healthz' >/dev/null 2>&1"
tls_token_and_read() { # a new client, a token over HTTPS, and the held transaction read with it
    local out client secret tls_token
    out=$(DATABASE_URL="$app_url" "$custos" clients create --tenant "$tenant" --scopes "transactions:read" 2>/dev/null) || return 1
    client=$(printf '%s\n' "$out" | sed -n 's/^client_id //p'); secret=$(printf '%s\n' "$out" | sed -n 's/^client_secret //p')
    tls_token=$(https -u "$client:$secret" -d grant_type=client_credentials "$tls_base/oauth/token" | sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p')
    [ -n "$tls_token" ] && [ "$(https -o "$work/tls-read" -w '%{http_code}' -H "Authorization: Bearer $tls_token" \
        "$tls_base/v1/transactions/$held_id")" = 200 ] && grep -q "\"id\":\"$held_id\",\"kind\"" "$work/tls-read"
}
check "over HTTPS: a token from POST /oauth/token reads a transaction" tls_token_and_read
check "SIGTERM stops the HTTPS server with status 0" stop_server

tls_env="CUSTOS_TLS_CERT_FILE=$pki/server.pem CUSTOS_TLS_KEY_FILE=$pki/server.key CUSTOS_TLS_CLIENT_CA_FILE=$pki/ca.pem CUSTOS_HSTS_MAX_AGE_SECONDS=600"
client_cert=(--cert "$pki/client.pem" --key "$pki/client.key")
check "with CUSTOS_TLS_CLIENT_CA_FILE (mTLS) it starts" start_tls_server "${client_cert[@]}"
check "mTLS: a client certificate of the CA gets 200, with HSTS max-age=600" bash -c "
    [ \"\$(curl -s --cacert '$pki/ca.pem' --cert '$pki/client.pem' --key '$pki/client.key' -D '$work/mtls.h' -o /dev/null \
        -w '%{http_code}' '$tls_base/healthz')\" = 200 ] && grep -qi '^strict-transport-security: max-age=600' '$work/mtls.h'"
check "mTLS: without a client certificate the request fails" bash -c "! curl -fs --cacert '$pki/ca.pem' '$tls_base/healthz' >/dev/null 2>&1"
check "mTLS: a certificate of another CA is refused" bash -c "
    ! curl -fs --cacert '$pki/ca.pem' --cert '$pki/stranger.pem' --key '$pki/stranger.key' '$tls_base/healthz' >/dev/null 2>&1"
check "mTLS: TLS 1.2 with the client certificate is accepted" \
    test "$(https --tlsv1.2 --tls-max 1.2 "${client_cert[@]}" -o /dev/null -w '%{http_code}' "$tls_base/healthz")" = 200
check "SIGTERM stops the mTLS server with status 0" stop_server

tls_refusal() { # tls_refusal EXPECTED ENV-AND-ARGS...: exit 1, one line naming the problem, no key material
    local expected=$1; shift
    env DATABASE_URL="$app_url" "$@" >"$work/tls-bad.out" 2>&1; local status=$?
    [ "$status" = 1 ] && [ "$(wc -l <"$work/tls-bad.out")" = 1 ] && grep -qF -- "$expected" "$work/tls-bad.out" &&
        ! grep -q 'PRIVATE KEY' "$work/tls-bad.out" &&
        ! grep -hv -e '-----' -e '^$' "$pki/server.key" "$pki/other.key" | grep -qF -f - "$work/tls-bad.out"
}
serve_bad=("$custos" serve --port $((port + 4)))
check "--tls-cert without --tls-key: exit 1 and one line" \
    tls_refusal "must be given with --tls-cert" "${serve_bad[@]}" --tls-cert "$pki/server.pem"
check "CUSTOS_TLS_KEY_FILE without a certificate: exit 1 and one line" \
    tls_refusal "must be given with --tls-key" CUSTOS_TLS_KEY_FILE="$pki/server.key" "${serve_bad[@]}"
check "a missing certificate file: exit 1 and one line" \
    tls_refusal "$pki/missing.pem cannot be read" "${serve_bad[@]}" --tls-cert "$pki/missing.pem" --tls-key "$pki/server.key"
check "a key file given as the certificate: exit 1, one line, the key not repeated" \
    tls_refusal "holds no PEM certificate" "${serve_bad[@]}" --tls-cert "$pki/server.key" --tls-key "$pki/server.key"
check "a key that is not the certificate's: exit 1, one line, the key not repeated" \
    tls_refusal "does not match the certificate" "${serve_bad[@]}" --tls-cert "$pki/server.pem" --tls-key "$pki/other.key"
check "the flag wins over the variable: --tls-key replaces CUSTOS_TLS_KEY_FILE" \
    tls_refusal "$pki/other.key does not match" CUSTOS_TLS_CERT_FILE="$pki/server.pem" CUSTOS_TLS_KEY_FILE="$pki/server.key" \
    "${serve_bad[@]}" --tls-key "$pki/other.key"

if [ "$failed" -gt 0 ]; then echo "--- server log"; tail -n 40 "$work/server.log"; fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
