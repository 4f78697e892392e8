import type { MigrationInterface } from 'typeorm';
import { InitialSchema1795913224737 } from './1795913224737-InitialSchema';
import { IncomingCallbacks1795914361219 } from './1795914361219-IncomingCallbacks';
import { QueryIndexes1795916761803 } from './1795916761803-QueryIndexes';
import { CallbackBodyHash1796136033867 } from './1796136033867-CallbackBodyHash';
import { CallbackRetentionIndex1796140000000 } from './1796140000000-CallbackRetentionIndex';
import { Subscriptions1796300000000 } from './1796300000000-Subscriptions';
import { AttemptAuditUnique1796310000000 } from './1796310000000-AttemptAuditUnique';
import { PartitionedAudit1796320000000 } from './1796320000000-PartitionedAudit';

/** Every migration, in order. Listed explicitly so the app, the CLI and the tests run the same set. */
export const MIGRATIONS: (new () => MigrationInterface)[] = [
  InitialSchema1795913224737,
  IncomingCallbacks1795914361219,
  QueryIndexes1795916761803,
  CallbackBodyHash1796136033867,
  CallbackRetentionIndex1796140000000,
  Subscriptions1796300000000,
  AttemptAuditUnique1796310000000,
  PartitionedAudit1796320000000,
];
