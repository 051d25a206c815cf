#!/usr/bin/env bash
# Checks deploy/nginx/custos.conf against a real nginx in front of the real `custos` binary
# (docs/deployment.md): the file is rendered with a throwaway certificate, temporary paths and
# free loopback ports, `nginx -t` accepts it, and nginx, run as its own process with its pid,
# logs and temporary files in a temporary folder, proxies HTTPS to `custos serve` on plain HTTP:
# /healthz answers with HSTS and Custos's own headers, plain HTTP is redirected, TLS 1.2 and 1.3
# are accepted and 1.1 refused, a body over the server's limit is refused by nginx while one at
# the limit reaches Custos, and the request id joins both logs. Then once more with the file's
# mTLS lines enabled: only clients with a certificate of the CA get through.
# Needs DATABASE_URL (a role that may create databases), nginx, openssl and curl. Prints one line
# per check and closes with "N passed, M failed".
set -uo pipefail
custos="${1:?usage: nginx-check.sh PATH/TO/custos}"
: "${DATABASE_URL:?DATABASE_URL must point at a PostgreSQL server}"
here="$(cd "$(dirname "$0")" && pwd)"
config="$here/../../deploy/nginx/custos.conf"
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$nginx_bin" ] || { echo "nginx is not installed (./dev test installs it)"; echo "0 passed, 1 failed"; exit 1; }

passed=0; failed=0
check() { # check NAME COMMAND...
    local name=$1; shift
    if "$@"; then passed=$((passed + 1)); echo "ok   $name"
    else failed=$((failed + 1)); echo "FAIL $name"; fi
}

work=$(mktemp -d)
chmod 711 "$work"  # nginx's workers (nobody, when started as root) create their temporary files below it
db="custos_nginx_$RANDOM$RANDOM"
url="${DATABASE_URL%%\?*}"; query="${DATABASE_URL#"$url"}"
check_url="${url%/*}/$db$query"
custos_pid=""; nginx_pid=""; control_pid=""
cleanup() {
    [ -n "$nginx_pid" ] && kill -QUIT "$nginx_pid" 2>/dev/null && wait "$nginx_pid" 2>/dev/null
    [ -n "$control_pid" ] && kill "$control_pid" 2>/dev/null && wait "$control_pid" 2>/dev/null
    [ -n "$custos_pid" ] && kill -TERM "$custos_pid" 2>/dev/null && wait "$custos_pid" 2>/dev/null
    psql "$DATABASE_URL" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1
    rm -rf "$work"
}
trap cleanup EXIT
psql "$DATABASE_URL" -qc "CREATE DATABASE $db" >/dev/null || { echo "cannot create $db"; echo "0 passed, 1 failed"; exit 1; }

taken=" "
free_port() { # a loopback port nothing listens on, distinct from the ones already picked
    local candidate
    for _ in $(seq 1 50); do
        candidate=$((20000 + RANDOM % 20000))
        case "$taken" in *" $candidate "*) continue ;; esac
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$candidate") 2>/dev/null; then taken="$taken$candidate "; echo "$candidate"; return; fi
    done
    return 1
}
custos_port=$(free_port); https_port=$(free_port); http_port=$(free_port); control_port=$(free_port)
base="https://127.0.0.1:$https_port"
pki="$work/pki"
"$here/../smoke/make-test-pki.sh" "$pki" || { echo "cannot make the test certificates"; echo "0 passed, 1 failed"; exit 1; }
mkdir -p "$work/logs" "$work/temp"

# The repository's file with this run's paths and ports; RENDER_MTLS=1 enables its mTLS lines.
render() {
    sed -e "s#/etc/custos/tls/server.pem#$pki/server.pem#" -e "s#/etc/custos/tls/server.key#$pki/server.key#" \
        -e "s#/etc/custos/tls/client-ca.pem#$pki/ca.pem#" -e "s#/var/log/nginx/#$work/logs/#" \
        -e "s#server 127.0.0.1:8080;#server 127.0.0.1:$custos_port;#" \
        -e "s#listen 443 ssl;#listen 127.0.0.1:$https_port ssl;#" -e "s#listen 80;#listen 127.0.0.1:$http_port;#" \
        -e '/listen \[::\]:/d' "$config" |
        if [ "${RENDER_MTLS:-0}" = 1 ]; then sed -e 's/^\([[:space:]]*\)#mtls /\1/'; else cat; fi >"$work/custos.conf"
    # Only the main file a distribution ships around it, kept in the temporary folder; the
    # http-level ssl_protocols is Debian's stock one, which the server block must override.
    cat >"$work/nginx.conf" <<EOF
daemon off;
worker_processes 1;
pid $work/nginx.pid;
error_log $work/logs/error.log notice;
events { worker_connections 64; }
http {
    default_type application/octet-stream;
    ssl_protocols TLSv1 TLSv1.1 TLSv1.2 TLSv1.3;
    client_body_temp_path $work/temp/body;
    proxy_temp_path $work/temp/proxy;
    fastcgi_temp_path $work/temp/fastcgi;
    uwsgi_temp_path $work/temp/uwsgi;
    scgi_temp_path $work/temp/scgi;
    include $work/custos.conf;
}
EOF
}
rendered_completely() { # every production path and port was replaced; the mTLS lines are as asked
    ! grep -qE '/etc/custos|/var/log|:8080|listen (80|443)|\[::\]' "$work/custos.conf" || return 1
    if [ "${RENDER_MTLS:-0}" = 1 ]; then grep -q '^[[:space:]]*ssl_verify_client on;' "$work/custos.conf"
    else ! grep -q '^[[:space:]]*ssl_verify_client' "$work/custos.conf"; fi
}
nginx_test() { "$nginx_bin" -t -q -p "$work" -e "$work/logs/error.log" -c "$work/nginx.conf" >"$work/nginx-t.out" 2>&1; }
start_nginx() { # start_nginx PROBE-CURL-ARGS...
    "$nginx_bin" -p "$work" -e "$work/logs/error.log" -c "$work/nginx.conf" >>"$work/nginx.out" 2>&1 &
    nginx_pid=$!
    for _ in $(seq 1 100); do
        curl -fs --cacert "$pki/ca.pem" "$@" "$base/healthz" >/dev/null 2>&1 && return 0
        kill -0 "$nginx_pid" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}
stop_nginx() { # SIGQUIT: graceful; the exit status must be 0 within 10 s
    kill -QUIT "$nginx_pid"
    for _ in $(seq 1 100); do
        kill -0 "$nginx_pid" 2>/dev/null || { wait "$nginx_pid"; local status=$?; nginx_pid=""; return $status; }
        sleep 0.1
    done
    return 1
}
start_custos() {
    DATABASE_URL="$check_url" CUSTOS_HTTP_HOST=127.0.0.1 CUSTOS_HTTP_PORT="$custos_port" CUSTOS_LOG_LEVEL=info \
        CUSTOS_STATE_DIR="$work/state" "$custos" serve >>"$work/custos.log" 2>&1 &
    custos_pid=$!
    for _ in $(seq 1 100); do
        curl -fs "http://127.0.0.1:$custos_port/healthz" >/dev/null 2>&1 && return 0
        kill -0 "$custos_pid" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}
https() { curl -s --cacert "$pki/ca.pem" "$@"; }
status_of() { https -o "$work/body" -w '%{http_code}' "$@"; }
header() { grep -i "^$1:" "$work/headers" | tr -d '\r'; }

check "custos serve on plain HTTP on loopback starts" start_custos
render
check "deploy/nginx/custos.conf renders with this run's paths and ports" rendered_completely
check "nginx -t accepts it" nginx_test
check "nginx starts with it, as its own process" start_nginx

check "HTTPS GET /healthz through nginx is 200 from Custos" bash -c "
    [ \"\$(curl -s --cacert '$pki/ca.pem' -D '$work/headers' -o '$work/body' -w '%{http_code}' '$base/healthz')\" = 200 ] &&
    grep -q '\"status\":\"ok\"' '$work/body'"
check "... with Strict-Transport-Security: max-age=31536000, once" \
    test "$(header strict-transport-security)" = "Strict-Transport-Security: max-age=31536000"
check "... and Custos's own headers (nosniff, no-store), without nginx's version" bash -c "
    grep -qi '^x-content-type-options: nosniff' '$work/headers' && grep -qi '^cache-control: no-store' '$work/headers' &&
    ! grep -qi '^server: nginx/' '$work/headers'"
check "errors carry HSTS too (a 404 from Custos)" bash -c "
    curl -s --cacert '$pki/ca.pem' -D - -o /dev/null '$base/no-such-route' | grep -qi '^strict-transport-security: max-age=31536000'"
in_both_logs() { # in_both_logs ID: nginx's access line and Custos's request line carry it
    grep -q "request_id=$1 " "$work/logs/custos.access.log" && grep -q "\"request_id\":\"$1\"" "$work/custos.log"
}
nginx_request_id() {
    local id; id=$(header x-request-id | cut -d' ' -f2)
    [ "${#id}" = 32 ] && in_both_logs "$id"
}
check "a request id nginx made is echoed by Custos and in both access logs" nginx_request_id
check "a client's request id goes through unchanged, to both logs" bash -c "
    curl -s --cacert '$pki/ca.pem' -D - -o /dev/null -H 'X-Request-ID: nginx-check-42' '$base/healthz' | grep -qi '^x-request-id: nginx-check-42'"
check "... (both logs)" in_both_logs nginx-check-42
check "plain HTTP is redirected to HTTPS (301)" bash -c "
    [ \"\$(curl -s -o /dev/null -w '%{http_code} %{redirect_url}' -H 'Host: localhost' 'http://127.0.0.1:$http_port/healthz')\" = '301 https://localhost/healthz' ]"
check "TLS 1.2 is accepted" test "$(https --tlsv1.2 --tls-max 1.2 -o /dev/null -w '%{http_code}' "$base/healthz")" = 200
check "TLS 1.3 is accepted" test "$(https --tlsv1.3 -o /dev/null -w '%{http_code}' "$base/healthz")" = 200
# A control first: the client does speak TLS 1.1 (security level 0) to a server that allows it.
tls11() { openssl s_client -connect "127.0.0.1:$1" -tls1_1 -cipher 'DEFAULT:@SECLEVEL=0' </dev/null >"$work/tls11.out" 2>&1; }
tls11_control() {
    openssl s_server -accept "127.0.0.1:$control_port" -cert "$pki/server.pem" -key "$pki/server.key" -tls1_1 \
        -cipher 'DEFAULT:@SECLEVEL=0' -www >/dev/null 2>&1 &
    control_pid=$!
    for _ in $(seq 1 50); do (exec 3<>"/dev/tcp/127.0.0.1/$control_port") 2>/dev/null && break; sleep 0.1; done
    tls11 "$control_port" && grep -q 'Protocol *: TLSv1.1' "$work/tls11.out"
    local status=$?
    kill "$control_pid" 2>/dev/null; wait "$control_pid" 2>/dev/null; control_pid=""
    return $status
}
tls11_refused() { ! tls11 "$https_port" && grep -q 'alert protocol version' "$work/tls11.out"; }
check "control: the TLS 1.1 client gets TLS 1.1 from a server that allows it" tls11_control
check "TLS 1.1 is refused by nginx (alert protocol_version), although the http block allows it" tls11_refused

limit=1048576
head -c $((2 * 1024 * 1024)) /dev/zero | tr '\0' ' ' >"$work/big"
head -c "$limit" /dev/zero | tr '\0' ' ' >"$work/at-limit"
check "a 2 MiB body is refused by nginx with 413 problem+json" bash -c "
    [ \"\$(curl -s --cacert '$pki/ca.pem' -D '$work/headers' -o '$work/body' -w '%{http_code}' -X POST '$base/v1/transactions' \
        -H 'Content-Type: application/json' --data-binary @'$work/big')\" = 413 ] &&
    grep -q 'urn:custos:problem:body-too-large' '$work/body' && grep -qi '^content-type: application/problem+json' '$work/headers'"
check "... with HSTS, and it never reached Custos" bash -c "
    grep -qi '^strict-transport-security: max-age=31536000' '$work/headers' &&
    ! curl -s 'http://127.0.0.1:$custos_port/metrics' | grep -q 'status=\"413\"'"
check "a body of exactly the limit reaches Custos (401 without a token, not 413)" bash -c "
    [ \"\$(curl -s --cacert '$pki/ca.pem' -o '$work/body' -w '%{http_code}' -X POST '$base/v1/transactions' \
        -H 'Content-Type: application/json' --data-binary @'$work/at-limit')\" = 401 ] &&
    grep -q 'urn:custos:problem:unauthenticated' '$work/body'"
check "nginx stops gracefully (SIGQUIT, status 0)" stop_nginx

# --- mTLS at the proxy: the same file with its "#mtls" lines enabled.
RENDER_MTLS=1 render
client=(--cert "$pki/client.pem" --key "$pki/client.key")
mtls_rendered() { RENDER_MTLS=1 rendered_completely && nginx_test; }
check "with its mTLS lines enabled, the file renders and nginx -t accepts it" mtls_rendered
check "nginx starts with mTLS" start_nginx "${client[@]}"
check "mTLS: a client certificate of the CA gets 200 from Custos, verification SUCCESS logged" bash -c "
    [ \"\$(curl -s --cacert '$pki/ca.pem' --cert '$pki/client.pem' --key '$pki/client.key' -o /dev/null -w '%{http_code}' \
        -H 'X-Request-ID: mtls-ok' '$base/healthz')\" = 200 ] &&
    grep -q 'request_id=mtls-ok .*client_verify=SUCCESS' '$work/logs/custos.access.log'"
check "mTLS: without a client certificate nginx answers 400 and Custos is not asked" bash -c "
    [ \"\$(curl -s --cacert '$pki/ca.pem' -o /dev/null -w '%{http_code}' -H 'X-Request-ID: mtls-none' '$base/healthz')\" = 400 ] &&
    ! grep -q '\"request_id\":\"mtls-none\"' '$work/custos.log'"
check "mTLS: a certificate of another CA is refused" bash -c "
    [ \"\$(curl -s --cacert '$pki/ca.pem' --cert '$pki/stranger.pem' --key '$pki/stranger.key' -o /dev/null -w '%{http_code}' \
        '$base/healthz')\" = 400 ]"
check "nginx stops gracefully again" stop_nginx
stop_custos() { # SIGTERM, then the exit status must be 0 within 10 s
    kill -TERM "$custos_pid"
    for _ in $(seq 1 100); do
        kill -0 "$custos_pid" 2>/dev/null || { wait "$custos_pid"; local status=$?; custos_pid=""; return $status; }
        sleep 0.1
    done
    return 1
}
check "custos stops on SIGTERM with status 0" stop_custos

if [ "$failed" -gt 0 ]; then
    echo "--- nginx error log"; tail -n 20 "$work/logs/error.log" 2>/dev/null; cat "$work/nginx-t.out" 2>/dev/null
    echo "--- custos log"; tail -n 20 "$work/custos.log"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
