import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The audit tables `webhook_logs` and `webhook_retry_history` become range partitions of
 * `created_at`, one per UTC day (`<table>_pYYYYMMDD`), plus a DEFAULT partition (`<table>_default`)
 * for any instant without one, so that retention drops whole days instead of deleting rows.
 *
 * Every row is kept: each table is renamed aside, the partitioned table is created under the old
 * name with one partition per day that holds rows and for today and the next PARTITION_DAYS_AHEAD
 * days, the rows are copied, the keys and indexes are built, and the old table is dropped.
 * Partitioned tables need the partition key in every unique index: the primary keys become
 * (id, created_at) and the one-row-per-attempt indexes (delivery_id, attempt, created_at); the
 * writers give a batch written again the same created_at, and skip an attempt already written
 * (see RetryHistoryRepository and WebhookLogRepository).
 *
 * `webhook_callbacks` (the idempotency keys of applied callbacks) is not partitioned: its key must
 * stay unique across all time, which a partition key would break. The incoming-callback log is
 * the `direction = 'incoming'` rows of `webhook_logs`.
 */
export class PartitionedAudit1796320000000 implements MigrationInterface {
  name = 'PartitionedAudit1796320000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // webhook_retry_history: the id sequence carries over, so ids keep increasing (insertion order).
    await queryRunner.query(`ALTER TABLE "webhook_retry_history" RENAME TO "webhook_retry_history_unpartitioned"`);
    await queryRunner.query(`ALTER TABLE "webhook_retry_history_unpartitioned" DROP CONSTRAINT "fk_webhook_retry_history_delivery"`);
    await queryRunner.query(
      `ALTER TABLE "webhook_retry_history_unpartitioned" RENAME CONSTRAINT "PK_65f4e7f517657b46f685528f40f" TO "pk_webhook_retry_history_unpartitioned"`,
    );
    await queryRunner.query(
      `ALTER INDEX "idx_webhook_retry_history_delivery" RENAME TO "idx_webhook_retry_history_delivery_unpartitioned"`,
    );
    await queryRunner.query(`ALTER INDEX "idx_webhook_retry_history_created" RENAME TO "idx_webhook_retry_history_created_unpartitioned"`);
    await queryRunner.query(
      `CREATE TABLE "webhook_retry_history" ("id" bigint NOT NULL DEFAULT nextval('webhook_retry_history_id_seq'), "delivery_id" uuid NOT NULL,
        "attempt" integer NOT NULL, "outcome" text NOT NULL, "status_code" integer, "error" text, "duration_ms" integer NOT NULL,
        "scheduled_delay_ms" integer, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now()) PARTITION BY RANGE ("created_at")`,
    );
    await queryRunner.query(`ALTER SEQUENCE "webhook_retry_history_id_seq" OWNED BY "webhook_retry_history"."id"`);
    await this.createPartitions(queryRunner, 'webhook_retry_history');
    await queryRunner.query(
      `INSERT INTO "webhook_retry_history" ("id", "delivery_id", "attempt", "outcome", "status_code", "error", "duration_ms", "scheduled_delay_ms", "created_at")
        SELECT "id", "delivery_id", "attempt", "outcome", "status_code", "error", "duration_ms", "scheduled_delay_ms", "created_at"
        FROM "webhook_retry_history_unpartitioned"`,
    );
    await queryRunner.query(`DROP TABLE "webhook_retry_history_unpartitioned"`);
    await queryRunner.query(
      `ALTER TABLE "webhook_retry_history" ADD CONSTRAINT "PK_65f4e7f517657b46f685528f40f" PRIMARY KEY ("id", "created_at")`,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "idx_webhook_retry_history_delivery" ON "webhook_retry_history" ("delivery_id", "attempt", "created_at")`,
    );
    await queryRunner.query(`CREATE INDEX "idx_webhook_retry_history_created" ON "webhook_retry_history" ("created_at")`);
    await queryRunner.query(
      `ALTER TABLE "webhook_retry_history" ADD CONSTRAINT "fk_webhook_retry_history_delivery" FOREIGN KEY ("delivery_id") REFERENCES "webhook_queue"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );

    // webhook_logs (outgoing attempts and the incoming-callback log).
    await queryRunner.query(`ALTER TABLE "webhook_logs" RENAME TO "webhook_logs_unpartitioned"`);
    await queryRunner.query(
      `ALTER TABLE "webhook_logs_unpartitioned" RENAME CONSTRAINT "PK_c41f6cdf59cdfe3704807650896" TO "pk_webhook_logs_unpartitioned"`,
    );
    for (const index of ['idx_webhook_logs_delivery', 'idx_webhook_logs_direction_created', 'uq_webhook_logs_outgoing_attempt'])
      await queryRunner.query(`ALTER INDEX "${index}" RENAME TO "${index}_unpartitioned"`);
    await queryRunner.query(
      `CREATE TABLE "webhook_logs" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "direction" text NOT NULL, "delivery_id" text, "event_type" text,
        "entity_type" text, "entity_id" text, "endpoint" text NOT NULL, "method" text NOT NULL DEFAULT 'POST', "attempt" integer,
        "request_headers" jsonb NOT NULL DEFAULT '{}'::jsonb, "request_body" text, "response_status" integer, "response_body" text,
        "duration_ms" integer, "outcome" text NOT NULL, "reason" text, "source_ip" text,
        "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now()) PARTITION BY RANGE ("created_at")`,
    );
    await this.createPartitions(queryRunner, 'webhook_logs');
    await queryRunner.query(`INSERT INTO "webhook_logs" (${LOG_COLUMNS}) SELECT ${LOG_COLUMNS} FROM "webhook_logs_unpartitioned"`);
    await queryRunner.query(`DROP TABLE "webhook_logs_unpartitioned"`);
    await queryRunner.query(`ALTER TABLE "webhook_logs" ADD CONSTRAINT "PK_c41f6cdf59cdfe3704807650896" PRIMARY KEY ("id", "created_at")`);
    await queryRunner.query(`CREATE INDEX "idx_webhook_logs_delivery" ON "webhook_logs" ("delivery_id")`);
    await queryRunner.query(`CREATE INDEX "idx_webhook_logs_direction_created" ON "webhook_logs" ("direction", "created_at")`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX "uq_webhook_logs_outgoing_attempt" ON "webhook_logs" ("delivery_id", "attempt", "created_at") WHERE "direction" = 'outgoing'`,
    );
  }

  /** Back to plain tables, every row kept (one row per attempt: the first written, as AttemptAuditUnique did). */
  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "webhook_retry_history" RENAME TO "webhook_retry_history_partitioned"`);
    await queryRunner.query(`ALTER TABLE "webhook_retry_history_partitioned" DROP CONSTRAINT "fk_webhook_retry_history_delivery"`);
    await queryRunner.query(
      `ALTER TABLE "webhook_retry_history_partitioned" RENAME CONSTRAINT "PK_65f4e7f517657b46f685528f40f" TO "pk_webhook_retry_history_partitioned"`,
    );
    await queryRunner.query(`ALTER INDEX "idx_webhook_retry_history_delivery" RENAME TO "idx_webhook_retry_history_delivery_partitioned"`);
    await queryRunner.query(`ALTER INDEX "idx_webhook_retry_history_created" RENAME TO "idx_webhook_retry_history_created_partitioned"`);
    await queryRunner.query(
      `CREATE TABLE "webhook_retry_history" ("id" bigint NOT NULL DEFAULT nextval('webhook_retry_history_id_seq'), "delivery_id" uuid NOT NULL,
        "attempt" integer NOT NULL, "outcome" text NOT NULL, "status_code" integer, "error" text, "duration_ms" integer NOT NULL,
        "scheduled_delay_ms" integer, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now())`,
    );
    await queryRunner.query(`ALTER SEQUENCE "webhook_retry_history_id_seq" OWNED BY "webhook_retry_history"."id"`);
    await queryRunner.query(
      `INSERT INTO "webhook_retry_history" ("id", "delivery_id", "attempt", "outcome", "status_code", "error", "duration_ms", "scheduled_delay_ms", "created_at")
        SELECT DISTINCT ON ("delivery_id", "attempt") "id", "delivery_id", "attempt", "outcome", "status_code", "error", "duration_ms", "scheduled_delay_ms", "created_at"
        FROM "webhook_retry_history_partitioned" ORDER BY "delivery_id", "attempt", "id"`,
    );
    await queryRunner.query(`DROP TABLE "webhook_retry_history_partitioned"`);
    await queryRunner.query(`ALTER TABLE "webhook_retry_history" ADD CONSTRAINT "PK_65f4e7f517657b46f685528f40f" PRIMARY KEY ("id")`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX "idx_webhook_retry_history_delivery" ON "webhook_retry_history" ("delivery_id", "attempt")`,
    );
    await queryRunner.query(`CREATE INDEX "idx_webhook_retry_history_created" ON "webhook_retry_history" ("created_at")`);
    await queryRunner.query(
      `ALTER TABLE "webhook_retry_history" ADD CONSTRAINT "fk_webhook_retry_history_delivery" FOREIGN KEY ("delivery_id") REFERENCES "webhook_queue"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );

    await queryRunner.query(`ALTER TABLE "webhook_logs" RENAME TO "webhook_logs_partitioned"`);
    await queryRunner.query(
      `ALTER TABLE "webhook_logs_partitioned" RENAME CONSTRAINT "PK_c41f6cdf59cdfe3704807650896" TO "pk_webhook_logs_partitioned"`,
    );
    for (const index of ['idx_webhook_logs_delivery', 'idx_webhook_logs_direction_created', 'uq_webhook_logs_outgoing_attempt'])
      await queryRunner.query(`ALTER INDEX "${index}" RENAME TO "${index}_partitioned"`);
    await queryRunner.query(
      `CREATE TABLE "webhook_logs" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "direction" text NOT NULL, "delivery_id" text, "event_type" text,
        "entity_type" text, "entity_id" text, "endpoint" text NOT NULL, "method" text NOT NULL DEFAULT 'POST', "attempt" integer,
        "request_headers" jsonb NOT NULL DEFAULT '{}'::jsonb, "request_body" text, "response_status" integer, "response_body" text,
        "duration_ms" integer, "outcome" text NOT NULL, "reason" text, "source_ip" text,
        "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now())`,
    );
    await queryRunner.query(
      `INSERT INTO "webhook_logs" (${LOG_COLUMNS})
        SELECT ${LOG_COLUMNS} FROM "webhook_logs_partitioned" WHERE "direction" <> 'outgoing' OR "delivery_id" IS NULL OR "attempt" IS NULL
        UNION ALL
        (SELECT DISTINCT ON ("delivery_id", "attempt") ${LOG_COLUMNS} FROM "webhook_logs_partitioned"
          WHERE "direction" = 'outgoing' AND "delivery_id" IS NOT NULL AND "attempt" IS NOT NULL ORDER BY "delivery_id", "attempt", "created_at", "id")`,
    );
    await queryRunner.query(`DROP TABLE "webhook_logs_partitioned"`);
    await queryRunner.query(`ALTER TABLE "webhook_logs" ADD CONSTRAINT "PK_c41f6cdf59cdfe3704807650896" PRIMARY KEY ("id")`);
    await queryRunner.query(`CREATE INDEX "idx_webhook_logs_delivery" ON "webhook_logs" ("delivery_id")`);
    await queryRunner.query(`CREATE INDEX "idx_webhook_logs_direction_created" ON "webhook_logs" ("direction", "created_at")`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX "uq_webhook_logs_outgoing_attempt" ON "webhook_logs" ("delivery_id", "attempt") WHERE "direction" = 'outgoing'`,
    );
  }

  /**
   * The DEFAULT partition, one partition per UTC day holding rows of the old table, and one for
   * today and each of the next PARTITION_DAYS_AHEAD days (the maintenance job keeps that many ahead).
   */
  private async createPartitions(queryRunner: QueryRunner, table: 'webhook_logs' | 'webhook_retry_history'): Promise<void> {
    await queryRunner.query(`CREATE TABLE "${table}_default" PARTITION OF "${table}" DEFAULT`);
    await queryRunner.query(
      `DO $$
        DECLARE day date;
        BEGIN
          FOR day IN
            SELECT DISTINCT (created_at AT TIME ZONE 'UTC')::date FROM "${table}_unpartitioned"
            UNION
            SELECT generate_series((now() AT TIME ZONE 'UTC')::date, (now() AT TIME ZONE 'UTC')::date + ${PARTITION_DAYS_AHEAD}, interval '1 day')::date
          LOOP
            EXECUTE format('CREATE TABLE %I PARTITION OF %I FOR VALUES FROM (%L) TO (%L)',
              '${table}_p' || to_char(day, 'YYYYMMDD'), '${table}', day::text || ' 00:00:00+00', (day + 1)::text || ' 00:00:00+00');
          END LOOP;
        END $$`,
    );
  }
}

/** Days created ahead of today (the same figure as the maintenance job's, fixed here as of this migration). */
const PARTITION_DAYS_AHEAD = 7;

const LOG_COLUMNS = `"id", "direction", "delivery_id", "event_type", "entity_type", "entity_id", "endpoint", "method", "attempt", "request_headers",
  "request_body", "response_status", "response_body", "duration_ms", "outcome", "reason", "source_ip", "created_at"`;
