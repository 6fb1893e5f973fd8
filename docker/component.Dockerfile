# The offline store component (XEP-0114), built from this repository.
# Build from the repository root:  docker build -f docker/component.Dockerfile .
FROM node:20-bookworm
WORKDIR /app
# .dockerignore keeps local databases, stored files and secrets out of the build context
COPY . .
RUN npm ci && npm run build \
 && mkdir -p /data && chown node:node /data
# XFT_COMPONENT_JID          the component's domain, e.g. files.localhost (a Component entry on the server)
# XFT_COMPONENT_SECRET_FILE  a file holding its password on the server (a docker secret), or
# XFT_COMPONENT_SECRET       the password itself (docker-compose.yml: from the operator's env file).
#                            No default: without one, or with the placeholder CHANGE-ME, it exits 2.
# XFT_COMPONENT_SERVICE      xmpp://HOST:PORT of the server's component port (5347 here)
# XFT_DB                     SQLite database path; the uploads are stored beside it
ENV XFT_DB=/data/xft.db
# Not root: the image's `node` user (uid 1000) owns only /data, where the store writes.
USER node
VOLUME /data
CMD ["npx", "xft-component"]
