#!/bin/sh
# Installs Prosody from Debian when it is missing (the tests and the demo start their own
# throwaway instance from test/prosody/; they never use /etc/prosody). Needs root for apt.
set -e
if command -v prosody >/dev/null 2>&1 && command -v prosodyctl >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" != 0 ]; then
  echo "Prosody is not installed: run 'apt-get install -y prosody' as root first." >&2
  exit 1
fi
echo "Installing Prosody from Debian..." >&2
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq prosody >/dev/null
# the package starts a system Prosody on the standard ports; ours use their own ports, but a
# stray system server is not wanted on a test machine
(service prosody stop || pkill -x prosody || true) >/dev/null 2>&1
