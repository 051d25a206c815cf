#!/usr/bin/env bash
# Makes a throwaway PKI for the TLS checks in FOLDER (created, mode 0700), valid for two days:
#   ca.pem, ca.key                 a CA
#   server.pem, server.key         a server certificate of that CA for localhost and 127.0.0.1
#   client.pem, client.key         a client certificate of that CA (clientAuth)
#   stranger.pem, stranger.key     a client certificate of another CA (other-ca.pem)
#   other.key                      a key that belongs to no certificate
# Nothing it makes is ever committed; the callers remove FOLDER when they finish.
set -euo pipefail
dir="${1:?usage: make-test-pki.sh FOLDER}"
mkdir -p "$dir"; chmod 700 "$dir"; cd "$dir"
key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
ca() { # ca NAME SUBJECT
    key "$1.key"
    openssl req -x509 -new -key "$1.key" -out "$1.pem" -days 2 -subj "$2" \
        -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
}
leaf() { # leaf NAME CA SUBJECT EXTENSIONS
    key "$1.key"
    openssl req -new -key "$1.key" -out "$1.csr" -subj "$3" 2>/dev/null
    printf '%s\n' "$4" >"$1.ext"
    openssl x509 -req -in "$1.csr" -CA "$2.pem" -CAkey "$2.key" -set_serial "0x$(openssl rand -hex 8)" -days 2 \
        -extfile "$1.ext" -out "$1.pem" 2>/dev/null
    rm -f "$1.csr" "$1.ext"
}
ca ca "/CN=Custos Test CA"
ca other-ca "/CN=Custos Other Test CA"
leaf server ca "/CN=localhost" "subjectAltName=DNS:localhost,IP:127.0.0.1
extendedKeyUsage=serverAuth"
leaf client ca "/CN=custos-test-client" "extendedKeyUsage=clientAuth"
leaf stranger other-ca "/CN=custos-stranger" "extendedKeyUsage=clientAuth"
key other.key
chmod 600 ./*.key
