import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PUBLIC_DIR } from './console-assets';
import { ConsoleAssets } from './console-assets';
import { ConsoleViews, VIEWS_DIR } from './console-views';

describe('console templates', () => {
  const templates = readdirSync(VIEWS_DIR).filter((f) => f.endsWith('.hbs'));

  it.each(templates)('%s has no inline script, style, style attribute or event handler (the CSP refuses them)', (file) => {
    const text = readFileSync(join(VIEWS_DIR, file), 'utf8');
    expect(text).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>/i);
    expect(text).not.toMatch(/<style[\s>]/i);
    expect(text).not.toMatch(/\sstyle\s*=/i);
    expect(text).not.toMatch(/\son[a-z]+\s*=/i);
    expect(text).not.toMatch(/javascript:/i);
  });

  it('uses no unescaped output but the page body in the layout', () => {
    const raw = templates.flatMap((file) =>
      [...readFileSync(join(VIEWS_DIR, file), 'utf8').matchAll(/\{\{\{\s*([\w.]+)\s*\}\}\}/g)].map((m) => `${file}:${m[1]}`),
    );
    expect(raw).toEqual(['layout.hbs:body']);
  });

  it('escapes what it shows: markup in a value arrives as text', () => {
    const sut = new ConsoleViews(new ConsoleAssets());
    const html = sut.render(
      'error',
      { title: '<b>t</b>' },
      { title: 'x', message: `<script>alert(1)</script>" onmouseover='x'`, status: 400, fields: [] },
    );
    expect(html.startsWith('<!doctype html>\n<html')).toBe(true);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;&quot; onmouseover&#x3D;&#x27;x&#x27;');
    expect(html).not.toContain('<script>alert');
    expect(html).toContain('<title>&lt;b&gt;t&lt;/b&gt; · Delivery console</title>');
  });

  it('serves the assets it links (a fixed list, each with a content hash)', () => {
    const assets = new ConsoleAssets();
    for (const file of readdirSync(PUBLIC_DIR)) expect(assets.find(file)).toBeDefined();
    expect(assets.url('console.js')).toMatch(/^\/console\/assets\/console\.js\?v=[0-9a-f]{16}$/);
    expect(assets.find('../console.module.ts')).toBeUndefined();
  });
});
