#!/bin/sh
# Installs Prosody from Debian when it is missing (the tests and the demo start their own
# throwaway instance from test/prosody/; they never use /etc/prosody), and python3-slixmpp, the
# independent client of the preferences interop test (Debian's is importable only from
# /usr/bin/python3). Needs root for apt.
set -e
MISSING=""
{ command -v prosody && command -v prosodyctl; } >/dev/null 2>&1 || MISSING="prosody"
/usr/bin/python3 -c 'import slixmpp' >/dev/null 2>&1 || MISSING="$MISSING python3-slixmpp"
MISSING="${MISSING# }"
if [ -z "$MISSING" ]; then exit 0; fi
if [ "$(id -u)" != 0 ]; then
  echo "Missing $MISSING: run 'apt-get install -y $MISSING' as root first." >&2
  exit 1
fi
echo "Installing $MISSING from Debian..." >&2
apt-get update -qq
# shellcheck disable=SC2086 # one word per package
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $MISSING >/dev/null
case "$MISSING" in
  prosody*)
    # the package starts a system Prosody on the standard ports; ours use their own ports, but a
    # stray system server is not wanted on a test machine
    (service prosody stop || pkill -x prosody || true) >/dev/null 2>&1 ;;
esac
