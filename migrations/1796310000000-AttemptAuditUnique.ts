import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * One history row and one outgoing log row per delivery attempt: a batch written again after its
 * commit was acknowledged to nobody (the connection dropped at COMMIT) adds nothing the second
 * time (the inserts use ON CONFLICT DO NOTHING). Existing duplicates are removed first, keeping
 * the first row written.
 */
export class AttemptAuditUnique1796310000000 implements MigrationInterface {
  name = 'AttemptAuditUnique1796310000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `DELETE FROM "webhook_retry_history" h USING "webhook_retry_history" f
        WHERE f."delivery_id" = h."delivery_id" AND f."attempt" = h."attempt" AND f."id" < h."id"`,
    );
    await queryRunner.query(`DROP INDEX "idx_webhook_retry_history_delivery"`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX "idx_webhook_retry_history_delivery" ON "webhook_retry_history" ("delivery_id", "attempt")`,
    );
    await queryRunner.query(
      `DELETE FROM "webhook_logs" l USING "webhook_logs" f
        WHERE l."direction" = 'outgoing' AND f."direction" = 'outgoing' AND f."delivery_id" = l."delivery_id" AND f."attempt" = l."attempt"
          AND (f."created_at", f."id") < (l."created_at", l."id")`,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "uq_webhook_logs_outgoing_attempt" ON "webhook_logs" ("delivery_id", "attempt") WHERE "direction" = 'outgoing'`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "uq_webhook_logs_outgoing_attempt"`);
    await queryRunner.query(`DROP INDEX "idx_webhook_retry_history_delivery"`);
    await queryRunner.query(`CREATE INDEX "idx_webhook_retry_history_delivery" ON "webhook_retry_history" ("delivery_id", "attempt")`);
  }
}
