import { MigrationInterface, QueryRunner } from 'typeorm';

/** Indexes for the operations queries: listing by time, the relay's lost-job sweep, throughput stats. */

export class QueryIndexes1795916761803 implements MigrationInterface {
  name = 'QueryIndexes1795916761803';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE INDEX "idx_webhook_queue_created_id" ON "webhook_queue"  ("created_at", "id") `);
    await queryRunner.query(`CREATE INDEX "idx_webhook_queue_status_updated" ON "webhook_queue"  ("status", "updated_at") `);
    await queryRunner.query(`CREATE INDEX "idx_webhook_retry_history_created" ON "webhook_retry_history"  ("created_at") `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."idx_webhook_retry_history_created"`);
    await queryRunner.query(`DROP INDEX "public"."idx_webhook_queue_status_updated"`);
    await queryRunner.query(`DROP INDEX "public"."idx_webhook_queue_created_id"`);
  }
}
