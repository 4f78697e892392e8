import type { RequestHandler } from 'express';
import helmet from 'helmet';

/**
 * The console's Content-Security-Policy: scripts, styles, images and fetches from the bridge
 * itself only; no inline script or style (nor `style` attributes), no eval, no framing, forms
 * post back to the bridge only. Every page is built to work under it.
 */
export const CONSOLE_CSP_DIRECTIVES = {
  defaultSrc: ["'none'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'"],
  connectSrc: ["'self'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
  baseUri: ["'none'"],
};

/**
 * Headers of everything under /console: the strict CSP above, no caching of pages (they show
 * operational data and, once, secrets; assets set their own Cache-Control), and a referrer
 * policy that keeps the Origin of the console's own form posts (helmet's `no-referrer` makes
 * the browser send `Origin: null`) while telling other sites nothing.
 */
export function consoleHeaders(): RequestHandler {
  const csp = helmet.contentSecurityPolicy({ useDefaults: false, directives: CONSOLE_CSP_DIRECTIVES });
  return (req, res, next) => {
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Referrer-Policy', 'same-origin');
    csp(req, res, next);
  };
}
