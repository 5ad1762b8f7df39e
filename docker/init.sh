#!/bin/sh
# The consortium's first member, before the CCF node starts (docker-compose.yml, service `init`).
#
# - member0_cert.pem: the operator profile's certificate when there is one in CLEANROOM_HOME
#   (docker/home, mounted at /home/cleanroom), so the `cleanroom` CLI signs as member0; otherwise
#   a new EC P-384 key and self-signed certificate made here with openssl (for CCF's own tools).
# - member0_enc_pubk.pem: an RSA encryption key pair, which makes member0 a recovery member (CCF
#   encrypts its recovery share to it). Its private half stays in docker/workspace: move it
#   somewhere safe if the ledger matters to you.
# Keeps whatever already exists, so running it again changes nothing.
set -eu
ws=/workspace
profile_cert=/home/cleanroom/profiles/${CLEANROOM_OPERATOR:-operator}/cert.pem

if [ ! -f "$ws/member0_cert.pem" ]; then
  if [ -f "$profile_cert" ]; then
    cp "$profile_cert" "$ws/member0_cert.pem"
    echo "member0 is the profile '${CLEANROOM_OPERATOR:-operator}' of docker/home"
  else
    (umask 077 && openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 \
      -out "$ws/member0_privk.pem")
    openssl req -new -x509 -key "$ws/member0_privk.pem" -out "$ws/member0_cert.pem" \
      -days 365 -subj "/CN=member0"
    echo "made member0's key and certificate with openssl (no operator profile in docker/home)"
  fi
fi

if [ ! -f "$ws/member0_enc_pubk.pem" ]; then
  (umask 077 && openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
    -out "$ws/member0_enc_privk.pem")
  openssl pkey -in "$ws/member0_enc_privk.pem" -pubout -out "$ws/member0_enc_pubk.pem"
  echo "made member0's recovery encryption key"
fi
chmod 0644 "$ws/member0_cert.pem" "$ws/member0_enc_pubk.pem"
