const UNITS: Record<string, number> = { b: 1, kb: 1024, mb: 1024 * 1024 };

/** `128kb` → 131072, `1mb` → 1048576, `4096` → 4096 (the formats the env schema accepts for body limits). */
export function parseByteSize(value: string): number {
  const match = /^\s*(\d+)\s*(b|kb|mb)?\s*$/i.exec(value);
  if (!match) throw new Error(`Not a byte size: ${value}`);
  const unit = UNITS[(match[2] ?? 'b').toLowerCase()];
  if (unit === undefined) throw new Error(`Not a byte size: ${value}`);
  return Number(match[1]) * unit;
}
