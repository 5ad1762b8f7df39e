#!/bin/sh
# Turns the freshly started CCF node into a cleanroom consortium (docker-compose.yml, service
# `deploy`), as the operator profile of docker/home: record the node in the profile (pinning its
# service certificate), activate the membership (state digest ack), then propose the governance
# bundle and open the service. Each step is idempotent, so it can be run again.
set -eu
cli="node /cleanroom/dist/cli/main.js"
operator="${CLEANROOM_OPERATOR:-operator}"

$cli consortium create --profile "$operator" \
  --endpoint https://127.0.0.1:8000 --service-cert /cleanroom/docker/workspace/service_cert.pem
$cli member activate --profile "$operator"
$cli consortium deploy --profile "$operator" --bundle /deploy/bundle.json --open
