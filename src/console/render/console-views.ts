import { Injectable } from '@nestjs/common';
import Handlebars from 'handlebars';
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { ConsoleAssets } from './console-assets';

export const VIEWS_DIR = join(__dirname, '..', 'views');

/** The console's pages, one template each in src/console/views. */
export type PageName =
  | 'sign-in'
  | 'overview'
  | 'deliveries'
  | 'journey'
  | 'callbacks'
  | 'subscriptions'
  | 'subscription-form'
  | 'subscription-secret'
  | 'subscription-test'
  | 'error';

export type NavKey = 'overview' | 'deliveries' | 'callbacks' | 'subscriptions';

/** What the layout shows around a page. */
export interface PageFrame {
  title: string;
  /** The signed-in operator (no navigation, search or sign-out without one). */
  user?: string;
  csrf?: string;
  nav?: NavKey;
  /** A fixed message chosen by the server (never text from the request). */
  notice?: string;
  /** The search box's value. */
  query?: string;
}

const NAV: { key: NavKey; href: string; label: string }[] = [
  { key: 'overview', href: '/console', label: 'Overview' },
  { key: 'deliveries', href: '/console/deliveries', label: 'Deliveries' },
  { key: 'callbacks', href: '/console/callbacks', label: 'Callbacks' },
  { key: 'subscriptions', href: '/console/subscriptions', label: 'Subscriptions' },
];

/**
 * Renders the console's Handlebars templates (compiled once at start-up): a page inside the
 * layout. Every `{{value}}` is HTML-escaped by Handlebars; the page's own HTML is the only thing
 * the layout inserts unescaped. View models come from the presenters, already formatted: the
 * templates hold no logic beyond `if`, `unless` and `each`; no helper or partial is registered
 * (Prettier formats them with its Glimmer parser, which has no partials).
 */
@Injectable()
export class ConsoleViews {
  private readonly hbs = Handlebars.create();
  private readonly layout: Handlebars.TemplateDelegate;
  private readonly pages = new Map<string, Handlebars.TemplateDelegate>();

  constructor(private readonly assets: ConsoleAssets) {
    const options: CompileOptions = { knownHelpersOnly: true, preventIndent: true };
    for (const file of readdirSync(VIEWS_DIR).filter((f) => f.endsWith('.hbs')))
      this.pages.set(basename(file, '.hbs'), this.hbs.compile(readFileSync(join(VIEWS_DIR, file), 'utf8'), options));
    const layout = this.pages.get('layout');
    if (!layout) throw new Error(`No layout.hbs in ${VIEWS_DIR}`);
    this.layout = layout;
  }

  render(page: PageName, frame: PageFrame, model: object): string {
    const template = this.pages.get(page);
    if (!template) throw new Error(`No console template ${page}.hbs`);
    // The doctype is written here: Prettier's Glimmer parser drops it from layout.hbs.
    return `<!doctype html>\n${this.layout({
      ...frame,
      signedIn: frame.user !== undefined,
      nav: NAV.map((item) => ({ ...item, current: item.key === frame.nav ? 'page' : 'false' })),
      assets: { css: this.assets.url('console.css'), js: this.assets.url('console.js'), icon: this.assets.url('favicon.svg') },
      body: template(model),
    })}`;
  }
}
