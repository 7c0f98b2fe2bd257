import fs from 'node:fs';
import path from 'node:path';
import Router from '@koa/router';

// The renderer is served from the installed swagger-ui-dist package: nothing is loaded from a CDN.
const ASSETS: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'application/javascript; charset=utf-8',
  'swagger-ui-standalone-preset.js': 'application/javascript; charset=utf-8',
};

const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>API reference</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css"></head>
<body><div id="docs"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/assets/docs-init.js"></script>
</body></html>`;

const INIT = `window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#docs', deepLinking: true, tryItOutEnabled: false });`;

/** GET /openapi.json and the rendered reference at GET /docs. */
export function createDocsRouter(document: object): Router {
  // Only the folder: the package's main module would load its whole browser bundle into this process.
  const assetDir = (require('swagger-ui-dist/absolute-path.js') as () => string)();
  const json = JSON.stringify(document);
  const router = new Router();
  router.get('/openapi.json', (ctx) => {
    ctx.type = 'application/json';
    ctx.body = json;
  });
  router.get('/docs', (ctx) => {
    ctx.type = 'text/html; charset=utf-8';
    ctx.body = PAGE;
  });
  router.get('/docs/assets/docs-init.js', (ctx) => {
    ctx.type = 'application/javascript; charset=utf-8';
    ctx.body = INIT;
  });
  router.get('/docs/assets/:file', (ctx) => {
    const type = ASSETS[ctx.params.file];
    if (!type) return;
    ctx.type = type;
    ctx.set('cache-control', 'public, max-age=3600');
    ctx.body = fs.createReadStream(path.join(assetDir, ctx.params.file));
  });
  return router;
}
