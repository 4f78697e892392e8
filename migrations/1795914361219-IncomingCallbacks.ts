import { MigrationInterface, QueryRunner } from 'typeorm';

/** Idempotency store of incoming callbacks and the errors n8n reports. */

export class IncomingCallbacks1795914361219 implements MigrationInterface {
  name = 'IncomingCallbacks1795914361219';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "webhook_callbacks" ("idempotency_key" text NOT NULL, "endpoint" text NOT NULL, "status_code" integer NOT NULL, "response" jsonb NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_48034d63d836c5399cd98340454" PRIMARY KEY ("idempotency_key"))`,
    );
    await queryRunner.query(`CREATE TYPE "public"."error_severity" AS ENUM('warning', 'error', 'critical')`);
    await queryRunner.query(
      `CREATE TABLE "workflow_error_reports" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "workflow_id" text NOT NULL, "execution_id" text, "lead_id" uuid, "node" text, "error_message" text NOT NULL, "severity" "public"."error_severity" NOT NULL, "event_raised" boolean NOT NULL DEFAULT false, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_96a8631c08aa649bc1ae709a416" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX "idx_workflow_error_reports_created" ON "workflow_error_reports"  ("created_at") `);
    await queryRunner.query(`CREATE INDEX "idx_workflow_error_reports_lead" ON "workflow_error_reports"  ("lead_id") `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."idx_workflow_error_reports_lead"`);
    await queryRunner.query(`DROP INDEX "public"."idx_workflow_error_reports_created"`);
    await queryRunner.query(`DROP TABLE "workflow_error_reports"`);
    await queryRunner.query(`DROP TYPE "public"."error_severity"`);
    await queryRunner.query(`DROP TABLE "webhook_callbacks"`);
  }
}
