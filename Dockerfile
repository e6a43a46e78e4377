# syntax=docker/dockerfile:1
# insole image: `docker build -t insole .` — see docker-compose.yml for a full stack.
# Always run with MONGODB_URI set: the embedded dev MongoDB (Java, tools/) is not in this image.

FROM node:24-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts skips two things we do not want here:
#  - the root `prepare` script, which builds the dev MongoDB jar (needs Maven);
#  - the npm `node` package's preinstall, which downloads a second Node 24 (~125 MB) that the
#    base image already provides; without it node_modules/.bin/node is absent, so npm scripts
#    fall back to the image's /usr/local/bin/node.
# If a dependency that really needs its install script is added, run `npm rebuild <name>` here.
# INSOLE_SKIP_DEV_DB_BUILD keeps `prepare` harmless should --ignore-scripts ever be dropped.
RUN INSOLE_SKIP_DEV_DB_BUILD=1 npm ci --omit=dev --ignore-scripts \
 && npm cache clean --force

FROM node:24-bookworm-slim
ENV NODE_ENV=production \
    PORT=3000
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
# Everything the app needs at run time (src/, views/, config/, bin/, public/ when present);
# .dockerignore keeps out tests, dev data, build output and secrets. Files stay owned by root,
# so the `node` user can read the code but not change it.
COPY . .
# Only data/ is writable: the dev mail log (./data/mail/) is used when SMTP_URL is unset.
RUN install -d -o node -g node /app/data
USER node
EXPOSE 3000
# Node's built-in fetch: the slim image has no curl or wget.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/health/live').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Node 24 strips TypeScript types itself: no build step.
CMD ["node", "src/main.ts"]
