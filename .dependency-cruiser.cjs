/**
 * The layers of src/, bottom first: a folder may import its own folder and folders of its own or
 * lower layers, never a higher one; and no cycle may run between folders (which, with the layer
 * rule, can only happen between folders that share a layer).
 *
 *   events                               the event catalogue, envelope, target URLs, payload shapes (imports nothing)
 *   config                               environment → validated AppConfig
 *   database, redis                      connections and raw-query helpers (the data source files: see COMPOSITION)
 *   common                               errors, filters, guards, HTTP body, batching, logging, throttling
 *   domain, queue, circuit-breaker,      lead-gen tables + admin REST API; BullMQ queue; per-target circuits;
 *   subscriptions                        where events go: webhook_subscriptions, secrets at rest, the built-in one
 *   outbox, metrics, health              webhook_queue + its repository; Prometheus; health indicators
 *   audit                                webhook_logs, retry history
 *   triggers, security                   where events are born (subscribers, TriggerService); signing/verifying
 *   alerts                               workflow_error events about the bridge itself
 *   delivery, webhook-responses          the two directions: sending to n8n, n8n's callbacks
 *   operations                           running the pipeline: admin queue API, Bull Board, retention
 *   console                              the delivery console at /console: server-rendered pages over operations' services
 *   app                                  the roots: AppModule, ApiModule, WorkerModule, HTTP setup (+ src/main.ts)
 *
 * Change the order here (LAYERS) and only here: the rules below are generated from it.
 * Run: npx depcruise --config .dependency-cruiser.cjs src
 */
const LAYERS = [
  ['events'],
  ['config'],
  ['database', 'redis'],
  ['common'],
  ['domain', 'queue', 'circuit-breaker', 'subscriptions'],
  ['outbox', 'metrics', 'health'],
  ['audit'],
  ['triggers', 'security'],
  ['alerts'],
  ['delivery', 'webhook-responses'],
  ['operations'],
  ['console'],
  ['app'],
];

/**
 * Composition files: the TypeORM data source must list every entity and migration of the app, so
 * these import upwards by design. They are left out of the graph (not cruised, not checked).
 */
const COMPOSITION = ['^src/database/entities\\.ts$', '^src/database/data-source\\.ts$', '^src/database/data-source-options\\.ts$'];

const folders = (layers) => layers.flat();
const anyOf = (names) => `^src/(${names.join('|')})/`;

const layerRules = LAYERS.slice(0, -1).map((layer, index) => ({
  name: `layer:${layer.join('+')}`,
  severity: 'error',
  comment: `${layer.join(', ')} may not import a higher layer (${folders(LAYERS.slice(index + 1)).join(', ')}) nor src/main.ts: see the layer list at the top of .dependency-cruiser.cjs`,
  from: { path: anyOf(layer) },
  to: { path: [anyOf(folders(LAYERS.slice(index + 1))), '^src/[^/]+\\.ts$'] },
}));

module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: 'layer:unknown-folder',
      severity: 'error',
      comment: 'Every folder of src/ has a place in LAYERS (.dependency-cruiser.cjs): add the new one there',
      from: { path: '^src/[^/]+/', pathNot: anyOf(folders(LAYERS)) },
      to: {},
    },
    {
      name: 'no-folder-cycles',
      severity: 'error',
      comment:
        'Feature folders must not depend on each other in a circle (e.g. delivery → alerts → delivery): move the shared part down a layer',
      // Folder-level graph (scope: folder); only cycles that leave the feature folder count, so
      // domain/leads ↔ domain/common inside `domain` is not one. With the layer rules, such a cycle
      // can only run between folders of one layer.
      scope: 'folder',
      from: { path: '^src/([^/]+)' },
      to: { path: '^src/', pathNot: '^src/$1(/|$)', circular: true },
    },
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Modules must not import each other in a circle',
      from: { path: '^src/' },
      to: { circular: true },
    },
  ],
  options: {
    includeOnly: '^src/',
    exclude: { path: COMPOSITION },
    doNotFollow: { path: 'node_modules' },
    // Type-only imports count: a type from a higher layer is an upward dependency too.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
