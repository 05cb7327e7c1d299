/**
 * The values the billing engine passes between its steps. The flow, all pure:
 *
 *   billing file + URDB records ──▶ Tariff (tariff.ts)           register reads per meter
 *   property time zone + month ──▶ PeriodGrid (calendar.ts)  ──▶ IntervalUsage (usage.ts)
 *                         rateMonth(tariff, grid, usage, occupancy) ──▶ RatedMonth (rate.ts)
 *   RatedMonth + fees, credits, common area, taxes ──▶ Invoice (invoice.ts) ──▶ JSON / CSV / HTML
 *
 * Money is integer minor units (cents for USD) from the moment a line is rounded; the unrounded
 * amount is kept beside it so tests can compare with NREL SAM, which does not round.
 * Time is UTC epoch milliseconds; local time (the property's IANA zone) only shapes the grid.
 */

import type { MeterId } from '../readings/meter-id';

/** One 15-minute interval in milliseconds: the resolution of usage and demand. */
export const INTERVAL_MS = 15 * 60 * 1000;

/**
 * The 15-minute intervals of one billing period in a property's local time, shared by every tenant
 * billed for that period (built once per property and month, so 10,000 tenants cost one grid).
 * Interval `i` starts at `startMs + i * INTERVAL_MS` (UTC); DST days simply have 92 or 100 intervals.
 */
export interface PeriodGrid {
  /** IANA zone of the property (`America/New_York`). */
  readonly timezone: string;
  /** First local date billed (`2026-03-01`) and the last one, inclusive. */
  readonly firstDate: string;
  readonly lastDate: string;
  /** UTC ms of local midnight starting `firstDate`, and of the local midnight after `lastDate`. */
  readonly startMs: number;
  readonly endMs: number;
  /** Number of intervals: (endMs - startMs) / INTERVAL_MS. */
  readonly count: number;
  /** Per interval: local calendar month 0-11 (the row of URDB's 12 × 24 schedules). */
  readonly localMonth: Uint8Array;
  /** Per interval: local hour 0-23 (the column of URDB's schedules). */
  readonly localHour: Uint8Array;
  /** Per interval: 1 when its local date is a Saturday or Sunday (URDB's weekend schedule). */
  readonly weekend: Uint8Array;
  /** Per interval: index of its local date in `dates`. */
  readonly dayIndex: Uint16Array;
  /** The local dates of the period in order (`YYYY-MM-DD`); `dates.length` is the days in the period. */
  readonly dates: readonly string[];
}

/** A register read of one meter (from the lake, a CSV or the edge): cumulative registers in kWh. */
export interface RegisterRead {
  readonly timeMs: number;
  /** EKM `kWh_Tot`: forward + reverse energy, cumulative. */
  readonly kWhTot: number;
  /** EKM `Rev_kWh_Tot`: reverse (exported) energy, cumulative, when the meter reports it. */
  readonly revKWhTot?: number;
  /** EKM `kWh_Tariff_1..4`: the meter's own TOU registers, when present. */
  readonly tariffKWh?: readonly (number | undefined)[];
}

/**
 * The register reads of one meter as columns (no object per read): what the lake hands the billing
 * engine. Times strictly increasing (UTC ms), every `kWhTot` finite; `revKWhTot` present when the
 * meter reports reverse energy, NaN at reads without it. `meterUsage` takes this form directly; a
 * list of {@link RegisterRead} is turned into it at the edge (usage.ts `toReadSeries`).
 */
export interface ReadSeries {
  readonly timeMs: Float64Array;
  readonly kWhTot: Float64Array;
  readonly revKWhTot?: Float64Array;
}

/** A meter's reads: a list of read objects (files) or columns (the lake). */
export type MeterReadList = readonly RegisterRead[] | ReadSeries;

/** Something the engine noticed that a person should see on the invoice (never silently fixed). */
export interface BillingFlag {
  /** Stable code scripts can branch on. */
  readonly code:
    | 'ESTIMATED_USAGE' // some intervals had no reads around them and were estimated (rule in docs/billing.md)
    | 'REGISTER_WENT_BACKWARDS' // rollover, replaced meter or bad read: that step counted as 0, never negative
    | 'NO_READINGS' // a meter has no reads at all in or around the period
    | 'PARTIAL_COVERAGE' // reads start after or end before the period
    | 'DEMAND_WINDOW_COARSER' // the tariff's demand window is shorter than the 15-minute data
    | 'RATCHET_HISTORY_MISSING' // a ratchet needs earlier months' peaks that were not available
    | 'PRORATED'; // move-in or move-out inside the period
  readonly message: string;
  /** Meter, local dates or other detail, for the invoice and for --json. */
  readonly meter?: MeterId;
  readonly dates?: readonly string[];
}

/**
 * Energy per interval of one tenant (its meters summed), aligned to a {@link PeriodGrid}.
 * Intervals outside the tenant's occupancy are 0 and not estimated.
 */
export interface IntervalUsage {
  /** Forward (imported) kWh per interval, never negative. */
  readonly kWh: Float64Array;
  /** Reverse (exported) kWh per interval, when any meter reports `Rev_kWh_Tot`. */
  readonly revKWh?: Float64Array;
  /** 1 where the interval's energy was estimated rather than measured. */
  readonly estimated: Uint8Array;
  readonly flags: readonly BillingFlag[];
}

/** The part of the period a tenant occupied (move-in/move-out, local dates, both billed). */
export interface Occupancy {
  /** Days occupied in the period. */
  readonly days: number;
  /** Days in the period (`grid.dates.length`). */
  readonly daysInPeriod: number;
}

export type LineKind =
  | 'energy'
  | 'demand'
  | 'fixed'
  | 'minimum'
  | 'fee'
  | 'tax'
  | 'credit'
  | 'adjustment'
  | 'common_area';

/** One invoice line. `amountMinor` is `amount` rounded half away from zero (money.ts). */
export interface InvoiceLine {
  readonly kind: LineKind;
  readonly description: string;
  readonly quantity: number;
  /** `kWh`, `kW`, `month`, `day`, `%`, ... */
  readonly unit: string;
  /** Price per unit in currency units (0.2413 $/kWh), or the percent for taxes. */
  readonly rate: number;
  /** Unrounded amount in currency units, kept for reconciliation with NREL SAM. */
  readonly amount: number;
  readonly amountMinor: number;
  /** TOU period index and tier index for energy and demand lines. */
  readonly period?: number;
  readonly tier?: number;
}

/** The result of pricing one tenant's month against one tariff version. */
export interface RatedMonth {
  readonly lines: readonly InvoiceLine[];
  /** Forward kWh of the period (occupied part). */
  readonly kWh: number;
  /** Reverse kWh of the period. */
  readonly revKWh: number;
  /** Highest average kW over the demand window (the tariff's, or 15 minutes). */
  readonly peakKw: number;
  /** kWh per energy TOU period index. */
  readonly kWhByPeriod: readonly number[];
  readonly flags: readonly BillingFlag[];
}

/** A finished invoice: what `--json`, the HTML page and the CSV export are made from. */
export interface Invoice {
  /** The invoice number once its month is closed (`ELM-2026-03-0001`, core/billing/close.ts); absent on drafts and `bill` output. */
  readonly number?: string;
  readonly property: string;
  /** The property's display name and postal address from the billing file, when given. */
  readonly propertyName?: string;
  readonly propertyAddress?: string;
  readonly tenant: string;
  readonly tenantName?: string;
  /** Local dates, inclusive: the month, or the occupied part of it. */
  readonly period: { readonly start: string; readonly end: string };
  readonly timezone: string;
  readonly currency: string;
  readonly meters: readonly MeterId[];
  /** Which plan and which of its versions priced the month. */
  readonly plan: { readonly id: string; readonly versionFrom: string; readonly name?: string };
  readonly kWh: number;
  readonly peakKw: number;
  readonly lines: readonly InvoiceLine[];
  /** Exactly the sum of `lines[].amountMinor`. */
  readonly totalMinor: number;
  readonly flags: readonly BillingFlag[];
  /** Daily forward kWh by local date (the invoice's usage chart) and kWh by TOU period. */
  readonly dailyKWh: readonly { readonly date: string; readonly kWh: number; readonly estimated: boolean }[];
  readonly kWhByPeriod: readonly { readonly period: number; readonly label: string; readonly kWh: number }[];
}
