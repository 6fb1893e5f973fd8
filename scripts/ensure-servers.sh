#!/bin/sh
# Installs what the tests need from Debian when it is missing: Prosody and ejabberd (the tests,
# the demo and the benchmark start their own throwaway instances from test/prosody/ and
# test/ejabberd/; they never use /etc/prosody or /etc/ejabberd), python3-slixmpp, the
# independent client of the preferences interop test (Debian's is importable only from
# /usr/bin/python3), and Libervia (libervia-backend, libervia-cli, dbus-run-session), the real
# client of test/src/interop/libervia.test.ts (~90 packages, ~45 s here). Needs root for apt. Fast when nothing is missing: no apt at all.
set -e
MISSING=""
{ command -v prosody && command -v prosodyctl; } >/dev/null 2>&1 || MISSING="prosody"
command -v ejabberdctl >/dev/null 2>&1 || MISSING="$MISSING ejabberd"
/usr/bin/python3 -c 'import slixmpp' >/dev/null 2>&1 || MISSING="$MISSING python3-slixmpp"
command -v ip >/dev/null 2>&1 || MISSING="$MISSING iproute2"   # test hosts in network namespaces (tls.test.ts)
command -v libervia-backend >/dev/null 2>&1 || MISSING="$MISSING libervia-backend"
command -v libervia-cli >/dev/null 2>&1 || MISSING="$MISSING libervia-cli"
command -v dbus-run-session >/dev/null 2>&1 || MISSING="$MISSING dbus-daemon"
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
# The packages start system daemons on the standard ports (unless policy-rc.d forbids it); ours
# use their own ports, but stray system servers are not wanted on a test machine. Only the
# daemons this install started are stopped: test servers of a run in progress are left alone.
case " $MISSING " in
  *" prosody "*)
    (service prosody stop || pkill -x -u prosody prosody || true) >/dev/null 2>&1 ;;
esac
case " $MISSING " in
  *" ejabberd "*)
    # the system node is ejabberd@localhost with /etc/ejabberd: `ejabberdctl stop` reaches only it
    (service ejabberd stop || ejabberdctl stop || true) >/dev/null 2>&1
    # its epmd (user ejabberd) outlives it; the test harness never starts one (ERL_DIST_PORT)
    pkill -x -u ejabberd epmd >/dev/null 2>&1 || true ;;
esac
