import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Subscriptions: several endpoints per event. `webhook_subscriptions` holds them, with the
 * built-in one (settings from the environment) as a fixed row; each `webhook_queue` row is now
 * one delivery of an event (`event_id`, what receivers see as X-Webhook-Id) to one subscription.
 * Every existing row becomes a delivery of the built-in subscription with `event_id = id`, so
 * rows in any status, and their BullMQ jobs (job id = row id), carry on after the upgrade.
 * `after_id` chains the deliveries of a `per_entity` subscription for one entity;
 * `webhook_delivery_chains` keeps each chain's tail.
 */
export class Subscriptions1796300000000 implements MigrationInterface {
  name = 'Subscriptions1796300000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "webhook_subscriptions" (
      "id" uuid NOT NULL DEFAULT gen_random_uuid(),
      "name" text NOT NULL,
      "url" text,
      "event_types" text[] NOT NULL,
      "enabled" boolean NOT NULL DEFAULT true,
      "ordering" text NOT NULL DEFAULT 'none' CONSTRAINT "chk_webhook_subscriptions_ordering" CHECK ("ordering" IN ('none', 'per_entity')),
      "headers" jsonb NOT NULL DEFAULT '{}'::jsonb,
      "description" text,
      "secret_enc" text,
      "previous_secret_enc" text,
      "previous_secret_expires_at" TIMESTAMP WITH TIME ZONE,
      "built_in" boolean NOT NULL DEFAULT false,
      "url_overrides" jsonb NOT NULL DEFAULT '{}'::jsonb,
      "disabled_reason" text,
      "disabled_at" TIMESTAMP WITH TIME ZONE,
      "failing_since" TIMESTAMP WITH TIME ZONE,
      "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
      "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
      "deleted_at" TIMESTAMP WITH TIME ZONE,
      CONSTRAINT "pk_webhook_subscriptions" PRIMARY KEY ("id"),
      CONSTRAINT "chk_webhook_subscriptions_secret" CHECK ("built_in" OR "secret_enc" IS NOT NULL),
      CONSTRAINT "chk_webhook_subscriptions_url" CHECK ("built_in" OR "url" IS NOT NULL))`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX "uq_webhook_subscriptions_name" ON "webhook_subscriptions" ("name") WHERE "deleted_at" IS NULL`,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "uq_webhook_subscriptions_built_in" ON "webhook_subscriptions" ("built_in") WHERE "built_in"`,
    );
    // The built-in subscription; its URL, overrides and event types are written from the environment at every start.
    await queryRunner.query(
      `INSERT INTO "webhook_subscriptions" ("id", "name", "url", "event_types", "built_in", "description")
        VALUES ('00000000-0000-4000-8000-000000000000', 'built-in', NULL, '{*}', true, 'N8N_BASE_URL, N8N_WEBHOOK_URL_<EVENT>, N8N_DISABLED_EVENTS and WEBHOOK_SECRET')`,
    );

    await queryRunner.query(`ALTER TABLE "webhook_queue" ADD "event_id" uuid`);
    await queryRunner.query(
      `ALTER TABLE "webhook_queue" ADD "subscription_id" uuid NOT NULL DEFAULT '00000000-0000-4000-8000-000000000000'`,
    );
    await queryRunner.query(`ALTER TABLE "webhook_queue" ADD "after_id" uuid`);
    await queryRunner.query(`UPDATE "webhook_queue" SET "event_id" = "id"`);
    await queryRunner.query(`ALTER TABLE "webhook_queue" ALTER COLUMN "event_id" SET NOT NULL`);
    await queryRunner.query(
      `ALTER TABLE "webhook_queue" ADD CONSTRAINT "fk_webhook_queue_subscription" FOREIGN KEY ("subscription_id") REFERENCES "webhook_subscriptions"("id") ON DELETE RESTRICT`,
    );
    await queryRunner.query(`CREATE INDEX "idx_webhook_queue_event" ON "webhook_queue" ("event_id")`);
    await queryRunner.query(`CREATE INDEX "idx_webhook_queue_subscription_created" ON "webhook_queue" ("subscription_id", "created_at")`);
    await queryRunner.query(`CREATE INDEX "idx_webhook_queue_after" ON "webhook_queue" ("after_id") WHERE "after_id" IS NOT NULL`);

    await queryRunner.query(`CREATE TABLE "webhook_delivery_chains" (
      "subscription_id" uuid NOT NULL,
      "entity_type" text NOT NULL,
      "entity_id" text NOT NULL,
      "tail_id" uuid NOT NULL,
      "prev_tail_id" uuid,
      "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
      CONSTRAINT "pk_webhook_delivery_chains" PRIMARY KEY ("subscription_id", "entity_type", "entity_id"),
      CONSTRAINT "fk_webhook_delivery_chains_subscription" FOREIGN KEY ("subscription_id") REFERENCES "webhook_subscriptions"("id") ON DELETE CASCADE)`);
    await queryRunner.query(`CREATE INDEX "idx_webhook_delivery_chains_updated" ON "webhook_delivery_chains" ("updated_at")`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    // Deliveries of other subscriptions have no place in the old model: only the built-in one's are kept.
    await queryRunner.query(`DROP TABLE "webhook_delivery_chains"`);
    await queryRunner.query(`DELETE FROM "webhook_queue" WHERE "subscription_id" <> '00000000-0000-4000-8000-000000000000'`);
    await queryRunner.query(`DROP INDEX "idx_webhook_queue_after"`);
    await queryRunner.query(`DROP INDEX "idx_webhook_queue_subscription_created"`);
    await queryRunner.query(`DROP INDEX "idx_webhook_queue_event"`);
    await queryRunner.query(`ALTER TABLE "webhook_queue" DROP CONSTRAINT "fk_webhook_queue_subscription"`);
    await queryRunner.query(`ALTER TABLE "webhook_queue" DROP COLUMN "after_id"`);
    await queryRunner.query(`ALTER TABLE "webhook_queue" DROP COLUMN "subscription_id"`);
    await queryRunner.query(`ALTER TABLE "webhook_queue" DROP COLUMN "event_id"`);
    await queryRunner.query(`DROP TABLE "webhook_subscriptions"`);
  }
}
