// The people's web app (hub/web, built by Vite into hub/web/dist) served by the hub: its hashed
// assets as static files, index.html for any other GET that asks for a page (the app routes in the
// browser), and the Content-Security-Policy it needs: everything from the hub itself, nothing inline,
// nothing from anywhere else (ADR 0021). A hub without a built app says so, in the JSON envelope.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type RequestHandler, type Router } from 'express';
import type { HelmetOptions } from 'helmet';

/** hub/web/dist, from hub/src (tests) and from hub/dist (the program) alike. */
export const WEB_APP_DIR = fileURLToPath(new URL('../../web/dist', import.meta.url));

/**
 * The origin a tile URL template loads from, as a CSP source: `https://{s}.tiles.example.org/{z}/…`
 * gives `https://*.tiles.example.org` (Leaflet's subdomains); null for none.
 */
export function tileOrigin(tileUrl: string | null): string | null {
  const m = tileUrl ? /^(https?:\/\/[^/]+)/.exec(tileUrl) : null;
  return m ? m[1]!.replace(/\{s\}/g, '*') : null;
}

const WEB_APP_DIRECTIVES = {
  defaultSrc: ["'self'"],
  baseUri: ["'self'"],
  connectSrc: ["'self'"],
  fontSrc: ["'self'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
  manifestSrc: ["'self'"],
  mediaSrc: ["'none'"],
  objectSrc: ["'none'"],
  scriptSrc: ["'self'"],
  scriptSrcAttr: ["'none'"],
  styleSrc: ["'self'"],
  workerSrc: ["'none'"],
};

/**
 * What the app needs and no more: scripts, styles, fonts and the API from the hub; images from the
 * hub, data: URLs (QR codes) and the map's tile server when one is configured (ADR 0035); no plugins,
 * no frames, no inline script or style attributes.
 */
export function webAppHelmet(tileUrl: string | null = null): HelmetOptions {
  const tiles = tileOrigin(tileUrl);
  return {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: { ...WEB_APP_DIRECTIVES, imgSrc: ["'self'", 'data:', ...(tiles ? [tiles] : [])] },
    },
  };
}

/** The app's files, and its page for a browser's navigation to any path outside /api. */
export function webApp(dir = WEB_APP_DIR): Router {
  const r = express.Router();
  const index = join(dir, 'index.html');
  // Hashed names never change content: cache them for a year. index.html is always asked again.
  r.use(
    express.static(dir, {
      index: false,
      setHeaders: (res, path) =>
        res.setHeader('cache-control', path.endsWith('.html') ? 'no-cache' : 'public, max-age=31536000, immutable'),
    }),
  );
  const page: RequestHandler = (req, res, next) => {
    // Only a page request: API clients and scripts keep their JSON 404 for an unknown path.
    const wantsPage = (req.method === 'GET' || req.method === 'HEAD') && (req.get('accept') ?? '').includes('text/html');
    if (!wantsPage || req.path.startsWith('/api/') || req.path === '/api') return next();
    if (!existsSync(index)) return next();
    res.setHeader('cache-control', 'no-cache');
    res.sendFile(index, (err) => err && next(err));
  };
  r.use(page);
  return r;
}
