#!/usr/bin/env bash
# Installs the Debian packages the test suite needs (Dovecot for IMAP tests, Chromium for browser tests, Redis and
# iproute2 for the cluster test)
# and makes sure PostgreSQL is running. Idempotent: does nothing that is already done.
# `setup-system.sh screenshots` also installs a Chinese font (1.6 MB), without which Chromium draws the
# Chinese screenshots' text as empty boxes; the tests do not need it.
set -euo pipefail

need=()
command -v dovecot >/dev/null 2>&1 || need+=(dovecot-imapd)
[ -x /usr/bin/chromium ] || need+=(chromium)
command -v msgfmt >/dev/null 2>&1 || need+=(gettext)
# The cluster test (make test-cluster): its own Redis, network namespaces and veth pairs.
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
command -v ip >/dev/null 2>&1 || need+=(iproute2)
if [ "${1:-}" = "screenshots" ]; then
  fc-list :lang=zh 2>/dev/null | grep -q . || need+=(fonts-wqy-microhei)
fi
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "Installing Debian packages: ${need[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

if command -v pg_isready >/dev/null 2>&1 && ! pg_isready -q -h 127.0.0.1 -p 5432; then
  echo "Starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start
  for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
fi
