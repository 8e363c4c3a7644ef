import type { HostOutcome } from './events.ts';

/** `--serial`: how many hosts per batch, as a count or a share of the selected hosts. */
export type Serial = { count: number } | { percent: number };

/** Parses `N` or `P%` (1-100); undefined for anything else, so the caller names the option. */
export function parseSerial(text: string): Serial | undefined {
  const percent = /^(\d+(?:\.\d+)?)%$/.exec(text.trim());
  if (percent) {
    const value = Number(percent[1]);
    return value > 0 && value <= 100 ? { percent: value } : undefined;
  }
  const count = Number(text.trim());
  return /^\d+$/.test(text.trim()) && count >= 1 ? { count } : undefined;
}

/**
 * Splits the hosts into batches, in order. As Ansible does, a percentage is taken of all selected
 * hosts and rounded down, at least one host; without --serial there is one batch.
 */
export function splitIntoBatches<H>(hosts: readonly H[], serial: Serial | undefined): H[][] {
  if (!serial || hosts.length === 0) return hosts.length ? [[...hosts]] : [];
  const size = 'count' in serial ? serial.count : Math.max(1, Math.floor((hosts.length * serial.percent) / 100));
  const batches: H[][] = [];
  for (let start = 0; start < hosts.length; start += size) batches.push(hosts.slice(start, start + size));
  return batches;
}

/**
 * Why the run must stop after this batch, or undefined to go on. Ansible's semantics: the run stops
 * when the batch's share of failed (or unreachable) hosts is strictly above --max-fail-percent; with
 * --serial, a batch where every host failed stops it too.
 */
export function batchStopReason(batch: readonly HostOutcome[], options: { maxFailPercent?: number; serial: boolean }): string | undefined {
  const failed = batch.filter((outcome) => outcome.status === 'failed' || outcome.status === 'unreachable').length;
  if (batch.length === 0 || failed === 0) return undefined;
  const share = (failed / batch.length) * 100;
  if (options.maxFailPercent !== undefined && share > options.maxFailPercent) {
    return `${failed} of ${batch.length} hosts of the previous batch failed (${Math.round(share)}%, above --max-fail-percent ${options.maxFailPercent})`;
  }
  if (options.serial && failed === batch.length) return `every host of the previous batch failed (${failed} of ${batch.length})`;
  return undefined;
}
