import fs from 'node:fs';
import path from 'node:path';
import { apiRoutes } from './api/app';
import { API_INFO, buildOpenApiDocument } from './api/openapi';

export const OPENAPI_FILE = path.resolve(__dirname, '..', 'openapi.json');

/** The document as the running API serves it at /openapi.json. */
export function currentOpenApiText(): string {
  return `${JSON.stringify(buildOpenApiDocument(apiRoutes({} as never), API_INFO), null, 2)}\n`;
}

// `npm run openapi` writes openapi.json at the root, for readers of the repository and for tools.
if (require.main === module) {
  fs.writeFileSync(OPENAPI_FILE, currentOpenApiText());
  process.stdout.write(`wrote ${OPENAPI_FILE}\n`);
}
