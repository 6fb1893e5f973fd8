# Prosody 0.12 from Debian, configured from the SAME template the tests run
# (test/prosody/prosody.cfg.lua.template), rendered with envsubst at container start.
# Build from the repository root:  docker build -f docker/prosody.Dockerfile .
FROM debian:bookworm-slim
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends prosody gettext-base \
 && rm -rf /var/lib/apt/lists/*
COPY test/prosody/prosody.cfg.lua.template /etc/xft/prosody.cfg.lua.template
COPY docker/render-prosody-config.sh /usr/local/bin/render-prosody-config.sh
# All interfaces inside the container; data in a volume. The template has no TLS and allows PLAIN
# without encryption: publish these ports on a private network or loopback only.
ENV XFT_DIR=/var/lib/xft-prosody XFT_HOST=localhost XFT_INTERFACE=*
# Not root: Debian's `prosody` user owns only the rendered config's directory and the data volume
# (the ports are all above 1024). The template's run_as_root only matters when started as root.
RUN mkdir -p /var/lib/xft-prosody && chown prosody:prosody /etc/xft /var/lib/xft-prosody
USER prosody
VOLUME /var/lib/xft-prosody
EXPOSE 5222 5269 5347
# The component's secret: XFT_COMPONENT_SECRET or XFT_COMPONENT_SECRET_FILE (no default).
# Users: docker compose exec prosody prosodyctl --config /etc/xft/prosody.cfg.lua register alice localhost PASSWORD
CMD ["sh", "-c", "render-prosody-config.sh /etc/xft/prosody.cfg.lua.template /etc/xft/prosody.cfg.lua && exec prosody -F --config /etc/xft/prosody.cfg.lua"]
