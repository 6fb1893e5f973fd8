#!/bin/sh
# Renders test/prosody/prosody.cfg.lua.template (the file the tests run) with envsubst, naming
# the placeholders explicitly so that nothing else in the file is touched. Usage:
#   render-prosody-config.sh TEMPLATE OUTPUT
# Environment: XFT_DIR, XFT_HOST, XFT_INTERFACE, XFT_C2S_PORT, XFT_S2S_PORT, XFT_COMPONENT_PORT,
# XFT_HTTP_PORT, XFT_PROSODY_LOG_LEVEL, XFT_COMPONENT_DOMAIN, XFT_COMPONENT_SECRET or
# XFT_COMPONENT_SECRET_FILE (a file holding it, e.g. a docker secret; required: no default secret),
# optional XFT_EXTRA_MODULES, XFT_DISABLED_MODULES, XFT_EXTRA_GLOBALS (Lua, see the template).
set -eu
if [ -n "${XFT_COMPONENT_SECRET_FILE:-}" ]; then
  # $(...) drops the trailing newline, as xft-component does
  XFT_COMPONENT_SECRET=$(cat "$XFT_COMPONENT_SECRET_FILE")
fi
: "${XFT_COMPONENT_SECRET:?set XFT_COMPONENT_SECRET or XFT_COMPONENT_SECRET_FILE, the component's password}"
case "$XFT_COMPONENT_SECRET" in [Cc][Hh][Aa][Nn][Gg][Ee]-[Mm][Ee]|[Cc][Hh][Aa][Nn][Gg][Ee][Mm][Ee])
  echo "XFT_COMPONENT_SECRET is the placeholder CHANGE-ME: set a long random secret (openssl rand -hex 16)" >&2; exit 2;;
esac
export XFT_DIR="${XFT_DIR:-/var/lib/xft-prosody}" XFT_HOST="${XFT_HOST:-localhost}"
export XFT_INTERFACE="${XFT_INTERFACE:-*}" XFT_C2S_PORT="${XFT_C2S_PORT:-5222}"
export XFT_S2S_PORT="${XFT_S2S_PORT:-5269}" XFT_COMPONENT_PORT="${XFT_COMPONENT_PORT:-5347}"
export XFT_HTTP_PORT="${XFT_HTTP_PORT:-5280}" XFT_PROSODY_LOG_LEVEL="${XFT_PROSODY_LOG_LEVEL:-info}"
export XFT_EXTRA_MODULES="${XFT_EXTRA_MODULES:-}"
export XFT_DISABLED_MODULES="${XFT_DISABLED_MODULES:-}" XFT_EXTRA_GLOBALS="${XFT_EXTRA_GLOBALS:-}"
domain="${XFT_COMPONENT_DOMAIN:-files.$XFT_HOST}"
case "$domain$XFT_COMPONENT_SECRET" in *'"'*|*'\'*) echo "no \" or \\ in the component domain or secret" >&2; exit 2;; esac
XFT_COMPONENTS=$(printf 'Component "%s"\n  component_secret = "%s"\n' "$domain" "$XFT_COMPONENT_SECRET")
export XFT_COMPONENTS
mkdir -p "$XFT_DIR/data" "$XFT_DIR/certs"
envsubst '${XFT_DIR} ${XFT_HOST} ${XFT_PROSODY_LOG_LEVEL} ${XFT_INTERFACE} ${XFT_C2S_PORT} ${XFT_S2S_PORT} ${XFT_COMPONENT_PORT} ${XFT_HTTP_PORT} ${XFT_EXTRA_MODULES} ${XFT_DISABLED_MODULES} ${XFT_EXTRA_GLOBALS} ${XFT_COMPONENTS}' \
  < "$1" > "$2"
