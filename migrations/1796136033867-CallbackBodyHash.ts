import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The SHA-256 of the signed body beside each stored idempotency key, so that the same
 * `X-Webhook-Id` with another body is refused (422) instead of answered with the first request's
 * result. Rows stored before have no hash (NULL): their bodies are unknown, and the service takes
 * them as matching (a repeat is answered as before). Adding a nullable column without a default
 * rewrites nothing (a catalog change), however many rows the table holds. Down drops the hashes;
 * the keys and answers stay.
 */
export class CallbackBodyHash1796136033867 implements MigrationInterface {
  name = 'CallbackBodyHash1796136033867';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "webhook_callbacks" ADD "body_sha256" text`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "webhook_callbacks" DROP COLUMN "body_sha256"`);
  }
}
