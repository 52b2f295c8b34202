import type { Express } from 'express';

interface Layer {
  route?: { path: string | string[]; methods: Record<string, boolean> };
  handle?: { stack?: Layer[] };
  rawPath?: string | string[] | RegExp;
}

/** `/ask/:id` -> `/ask/{id}` (OpenAPI's path template). */
const toOpenApiPath = (p: string) => p.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

/**
 * The (method, path) pairs an Express 5 app answers, found by walking its router (router 2's layers keep the
 * path they were mounted at as `rawPath`). Sub-trees under `skip` (Bull Board's own UI) are left out.
 */
export function listRoutes(app: Express, skip: string[] = []): { method: string; path: string }[] {
  const out: { method: string; path: string }[] = [];
  const walk = (stack: Layer[], prefix: string) => {
    for (const layer of stack) {
      if (layer.route) {
        const paths = Array.isArray(layer.route.path) ? layer.route.path : [layer.route.path];
        for (const p of paths) {
          const full = `${prefix}${p}` || '/';
          for (const [m, on] of Object.entries(layer.route.methods)) {
            if (on && m !== '_all') out.push({ method: m, path: toOpenApiPath(full) });
          }
        }
      } else if (layer.handle?.stack) {
        const raw = typeof layer.rawPath === 'string' ? layer.rawPath : '/';
        const mount = raw === '/' ? prefix : `${prefix}${raw}`;
        if (skip.some((s) => mount.startsWith(s))) continue;
        walk(layer.handle.stack, mount);
      }
    }
  };
  walk((app as unknown as { router: { stack: Layer[] } }).router.stack, '');
  return out;
}
