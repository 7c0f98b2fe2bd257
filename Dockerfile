# The API and the worker share one image; docker-compose.yml picks the command.
FROM node:22-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm install --no-audit --no-fund --omit=dev && npm install --no-audit --no-fund tsx
COPY tsconfig.json ./
COPY src ./src
COPY workflows ./workflows
COPY activities ./activities
ENV NODE_ENV=production HOST=0.0.0.0
EXPOSE 3000
CMD ["npm", "run", "api"]
