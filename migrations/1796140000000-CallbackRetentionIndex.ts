import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Retention deletes idempotency keys older than RETENTION_DAYS in batches ordered by age: with
 * this index each batch is a range read from the oldest key instead of a scan of the table.
 */
export class CallbackRetentionIndex1796140000000 implements MigrationInterface {
  name = 'CallbackRetentionIndex1796140000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE INDEX "idx_webhook_callbacks_created" ON "webhook_callbacks" ("created_at")`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."idx_webhook_callbacks_created"`);
  }
}
