# The API and the worker share one image; docker-compose.yml picks the command.
FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY workflows ./workflows
COPY activities ./activities
COPY bench ./bench
# Compiled JavaScript and a prebuilt workflow bundle: no TypeScript loader and no webpack at run time.
RUN npm run build && npm run build:workflows -- workflows dist/workflow-bundle.js && npm prune --omit=dev

FROM node:22-bookworm-slim
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
ENV NODE_ENV=production HOST=0.0.0.0 WORKFLOW_BUNDLE_PATH=/app/dist/workflow-bundle.js
# glibc gives each thread that allocates (V8's, libuv's, the worker's Rust core and its workflow thread) an
# arena of its own, up to 8 per core, and keeps their freed memory: two arenas cut the worker's peak RSS from
# 249 to 201 MB under the benchmark's load (npm run bench sets the same for the processes it measures).
ENV MALLOC_ARENA_MAX=2
EXPOSE 3000
CMD ["npm", "run", "start:api"]
