import { MigrationInterface, QueryRunner } from 'typeorm';

/** Domain tables (leads, demos, videos, outreach emails, workflow executions), the outbox and the audit trail. */

export class InitialSchema1795913224737 implements MigrationInterface {
  name = 'InitialSchema1795913224737';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TYPE "public"."delivery_status" AS ENUM('pending', 'queued', 'sending', 'sent', 'retrying', 'failed', 'cancelled')`,
    );
    await queryRunner.query(
      `CREATE TABLE "webhook_queue" ("id" uuid NOT NULL, "event_type" text NOT NULL, "priority" smallint NOT NULL, "entity_type" text NOT NULL, "entity_id" text NOT NULL, "payload" jsonb NOT NULL, "target_url" text NOT NULL, "status" "public"."delivery_status" NOT NULL DEFAULT 'pending', "attempts" integer NOT NULL DEFAULT '0', "max_attempts" integer NOT NULL, "last_error" text, "last_status_code" integer, "next_retry_at" TIMESTAMP WITH TIME ZONE, "published_at" TIMESTAMP WITH TIME ZONE, "sent_at" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_2ad30426734781ed42fad2fd75b" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX "idx_webhook_queue_entity" ON "webhook_queue"  ("entity_type", "entity_id") `);
    await queryRunner.query(`CREATE INDEX "idx_webhook_queue_status_created" ON "webhook_queue"  ("status", "created_at") `);
    await queryRunner.query(`CREATE INDEX "idx_webhook_queue_unpublished" ON "webhook_queue"  ("created_at") WHERE status = 'pending'`);
    await queryRunner.query(
      `CREATE TABLE "webhook_retry_history" ("id" BIGSERIAL NOT NULL, "delivery_id" uuid NOT NULL, "attempt" integer NOT NULL, "outcome" text NOT NULL, "status_code" integer, "error" text, "duration_ms" integer NOT NULL, "scheduled_delay_ms" integer, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_65f4e7f517657b46f685528f40f" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX "idx_webhook_retry_history_delivery" ON "webhook_retry_history"  ("delivery_id", "attempt") `);
    await queryRunner.query(
      `CREATE TABLE "webhook_logs" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "direction" text NOT NULL, "delivery_id" text, "event_type" text, "entity_type" text, "entity_id" text, "endpoint" text NOT NULL, "method" text NOT NULL DEFAULT 'POST', "attempt" integer, "request_headers" jsonb NOT NULL DEFAULT '{}'::jsonb, "request_body" text, "response_status" integer, "response_body" text, "duration_ms" integer, "outcome" text NOT NULL, "reason" text, "source_ip" text, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_c41f6cdf59cdfe3704807650896" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX "idx_webhook_logs_direction_created" ON "webhook_logs"  ("direction", "created_at") `);
    await queryRunner.query(`CREATE INDEX "idx_webhook_logs_delivery" ON "webhook_logs"  ("delivery_id") `);
    await queryRunner.query(
      `CREATE TYPE "public"."lead_status" AS ENUM('new', 'qualified', 'disqualified', 'contacted', 'responded', 'converted', 'error')`,
    );
    await queryRunner.query(
      `CREATE TABLE "leads" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "title" text NOT NULL, "url" text NOT NULL, "email" text, "phone" text, "city" text, "category" text, "source" text, "score" integer, "status" "public"."lead_status" NOT NULL DEFAULT 'new', "metadata" jsonb NOT NULL DEFAULT '{}'::jsonb, CONSTRAINT "PK_cd102ed7a9a4ca7d4d8bfeba406" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_leads_url" ON "leads"  ("url") `);
    await queryRunner.query(`CREATE INDEX "idx_leads_status" ON "leads"  ("status") `);
    await queryRunner.query(`CREATE TYPE "public"."demo_status" AS ENUM('pending', 'building', 'completed', 'failed')`);
    await queryRunner.query(`CREATE TYPE "public"."approval_status" AS ENUM('not_required', 'pending', 'approved', 'rejected')`);
    await queryRunner.query(
      `CREATE TABLE "demos" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "lead_id" uuid NOT NULL, "url" text, "status" "public"."demo_status" NOT NULL DEFAULT 'pending', "approval_status" "public"."approval_status" NOT NULL DEFAULT 'not_required', "error" text, "reviewed_by" text, "reviewed_at" TIMESTAMP WITH TIME ZONE, "review_notes" text, "metadata" jsonb NOT NULL DEFAULT '{}'::jsonb, CONSTRAINT "PK_a0918b73a3bd78c313e0e085f5c" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX "idx_demos_lead_id" ON "demos"  ("lead_id") `);
    await queryRunner.query(`CREATE INDEX "idx_demos_status" ON "demos"  ("status") `);
    await queryRunner.query(`CREATE INDEX "idx_demos_approval_status" ON "demos"  ("approval_status") `);
    await queryRunner.query(`CREATE TYPE "public"."video_status" AS ENUM('queued', 'rendering', 'completed', 'failed')`);
    await queryRunner.query(
      `CREATE TABLE "videos" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "lead_id" uuid NOT NULL, "demo_id" uuid, "url" text, "status" "public"."video_status" NOT NULL DEFAULT 'queued', "approval_status" "public"."approval_status" NOT NULL DEFAULT 'not_required', "error" text, "reviewed_by" text, "reviewed_at" TIMESTAMP WITH TIME ZONE, "review_notes" text, "metadata" jsonb NOT NULL DEFAULT '{}'::jsonb, CONSTRAINT "PK_e4c86c0cf95aff16e9fb8220f6b" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX "idx_videos_lead_id" ON "videos"  ("lead_id") `);
    await queryRunner.query(`CREATE INDEX "idx_videos_demo_id" ON "videos"  ("demo_id") `);
    await queryRunner.query(`CREATE INDEX "idx_videos_status" ON "videos"  ("status") `);
    await queryRunner.query(`CREATE INDEX "idx_videos_approval_status" ON "videos"  ("approval_status") `);
    await queryRunner.query(`CREATE TYPE "public"."email_status" AS ENUM('queued', 'sent', 'failed')`);
    await queryRunner.query(
      `CREATE TABLE "outreach_emails" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "lead_id" uuid NOT NULL, "video_id" uuid, "to_address" text, "subject" text, "status" "public"."email_status" NOT NULL DEFAULT 'queued', "error" text, "sent_at" TIMESTAMP WITH TIME ZONE, "metadata" jsonb NOT NULL DEFAULT '{}'::jsonb, CONSTRAINT "PK_872ad10737d21b0a246a342af9c" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX "idx_outreach_emails_lead_id" ON "outreach_emails"  ("lead_id") `);
    await queryRunner.query(`CREATE INDEX "idx_outreach_emails_video_id" ON "outreach_emails"  ("video_id") `);
    await queryRunner.query(`CREATE INDEX "idx_outreach_emails_status" ON "outreach_emails"  ("status") `);
    await queryRunner.query(`CREATE TYPE "public"."execution_status" AS ENUM('running', 'waiting', 'success', 'error')`);
    await queryRunner.query(
      `CREATE TABLE "workflow_executions" ("execution_id" text NOT NULL, "workflow_id" text NOT NULL, "lead_id" uuid, "status" "public"."execution_status" NOT NULL DEFAULT 'running', "progress" smallint, "last_step" text, "data" jsonb NOT NULL DEFAULT '{}'::jsonb, "error" text, "started_at" TIMESTAMP WITH TIME ZONE, "finished_at" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_174d18f60d60108ef3adb861541" PRIMARY KEY ("execution_id"))`,
    );
    await queryRunner.query(`CREATE INDEX "idx_workflow_executions_workflow_id" ON "workflow_executions"  ("workflow_id") `);
    await queryRunner.query(`CREATE INDEX "idx_workflow_executions_lead_id" ON "workflow_executions"  ("lead_id") `);
    await queryRunner.query(`CREATE INDEX "idx_workflow_executions_status" ON "workflow_executions"  ("status") `);
    await queryRunner.query(
      `ALTER TABLE "webhook_retry_history" ADD CONSTRAINT "fk_webhook_retry_history_delivery" FOREIGN KEY ("delivery_id") REFERENCES "webhook_queue"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "demos" ADD CONSTRAINT "fk_demos_lead" FOREIGN KEY ("lead_id") REFERENCES "leads"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "videos" ADD CONSTRAINT "fk_videos_lead" FOREIGN KEY ("lead_id") REFERENCES "leads"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "videos" ADD CONSTRAINT "fk_videos_demo" FOREIGN KEY ("demo_id") REFERENCES "demos"("id") ON DELETE SET NULL ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "outreach_emails" ADD CONSTRAINT "fk_outreach_emails_lead" FOREIGN KEY ("lead_id") REFERENCES "leads"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "outreach_emails" ADD CONSTRAINT "fk_outreach_emails_video" FOREIGN KEY ("video_id") REFERENCES "videos"("id") ON DELETE SET NULL ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "workflow_executions" ADD CONSTRAINT "fk_workflow_executions_lead" FOREIGN KEY ("lead_id") REFERENCES "leads"("id") ON DELETE SET NULL ON UPDATE NO ACTION`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "workflow_executions" DROP CONSTRAINT "fk_workflow_executions_lead"`);
    await queryRunner.query(`ALTER TABLE "outreach_emails" DROP CONSTRAINT "fk_outreach_emails_video"`);
    await queryRunner.query(`ALTER TABLE "outreach_emails" DROP CONSTRAINT "fk_outreach_emails_lead"`);
    await queryRunner.query(`ALTER TABLE "videos" DROP CONSTRAINT "fk_videos_demo"`);
    await queryRunner.query(`ALTER TABLE "videos" DROP CONSTRAINT "fk_videos_lead"`);
    await queryRunner.query(`ALTER TABLE "demos" DROP CONSTRAINT "fk_demos_lead"`);
    await queryRunner.query(`ALTER TABLE "webhook_retry_history" DROP CONSTRAINT "fk_webhook_retry_history_delivery"`);
    await queryRunner.query(`DROP INDEX "public"."idx_workflow_executions_status"`);
    await queryRunner.query(`DROP INDEX "public"."idx_workflow_executions_lead_id"`);
    await queryRunner.query(`DROP INDEX "public"."idx_workflow_executions_workflow_id"`);
    await queryRunner.query(`DROP TABLE "workflow_executions"`);
    await queryRunner.query(`DROP TYPE "public"."execution_status"`);
    await queryRunner.query(`DROP INDEX "public"."idx_outreach_emails_status"`);
    await queryRunner.query(`DROP INDEX "public"."idx_outreach_emails_video_id"`);
    await queryRunner.query(`DROP INDEX "public"."idx_outreach_emails_lead_id"`);
    await queryRunner.query(`DROP TABLE "outreach_emails"`);
    await queryRunner.query(`DROP TYPE "public"."email_status"`);
    await queryRunner.query(`DROP INDEX "public"."idx_videos_approval_status"`);
    await queryRunner.query(`DROP INDEX "public"."idx_videos_status"`);
    await queryRunner.query(`DROP INDEX "public"."idx_videos_demo_id"`);
    await queryRunner.query(`DROP INDEX "public"."idx_videos_lead_id"`);
    await queryRunner.query(`DROP TABLE "videos"`);
    await queryRunner.query(`DROP TYPE "public"."video_status"`);
    await queryRunner.query(`DROP INDEX "public"."idx_demos_approval_status"`);
    await queryRunner.query(`DROP INDEX "public"."idx_demos_status"`);
    await queryRunner.query(`DROP INDEX "public"."idx_demos_lead_id"`);
    await queryRunner.query(`DROP TABLE "demos"`);
    await queryRunner.query(`DROP TYPE "public"."approval_status"`);
    await queryRunner.query(`DROP TYPE "public"."demo_status"`);
    await queryRunner.query(`DROP INDEX "public"."idx_leads_status"`);
    await queryRunner.query(`DROP INDEX "public"."uq_leads_url"`);
    await queryRunner.query(`DROP TABLE "leads"`);
    await queryRunner.query(`DROP TYPE "public"."lead_status"`);
    await queryRunner.query(`DROP INDEX "public"."idx_webhook_logs_delivery"`);
    await queryRunner.query(`DROP INDEX "public"."idx_webhook_logs_direction_created"`);
    await queryRunner.query(`DROP TABLE "webhook_logs"`);
    await queryRunner.query(`DROP INDEX "public"."idx_webhook_retry_history_delivery"`);
    await queryRunner.query(`DROP TABLE "webhook_retry_history"`);
    await queryRunner.query(`DROP INDEX "public"."idx_webhook_queue_unpublished"`);
    await queryRunner.query(`DROP INDEX "public"."idx_webhook_queue_status_created"`);
    await queryRunner.query(`DROP INDEX "public"."idx_webhook_queue_entity"`);
    await queryRunner.query(`DROP TABLE "webhook_queue"`);
    await queryRunner.query(`DROP TYPE "public"."delivery_status"`);
  }
}
