# The offline store component (XEP-0114), built from this repository.
# Build from the repository root:  docker build -f docker/component.Dockerfile .
FROM node:20-bookworm
WORKDIR /app
COPY . .
RUN npm ci && npm run build
# XFT_COMPONENT_JID      the component's domain, e.g. files.localhost (a Component entry on the server)
# XFT_COMPONENT_SECRET   its password on the server (Prosody component_secret / ejabberd password)
# XFT_COMPONENT_SERVICE  xmpp://HOST:PORT of the server's component port (5347 here)
# XFT_DB                 SQLite database path; the uploads are stored beside it
ENV XFT_DB=/data/xft.db
VOLUME /data
CMD ["npx", "xft-component"]
