/** Label values by label name. */
export type Labels = Record<string, string>;

interface Metric {
  name: string;
  render(): string[];
}

// Text exposition format 0.0.4: backslash, double quote and newline are escaped in label values.
function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function labelText(labels: Labels): string {
  const parts = Object.entries(labels).map(([name, value]) => `${name}="${escapeLabel(value)}"`);
  return parts.length > 0 ? `{${parts.join(',')}}` : '';
}

function seriesKey(names: readonly string[], labels: Labels): string {
  return JSON.stringify(names.map((name) => labels[name] ?? ''));
}

function pick(names: readonly string[], labels: Labels): Labels {
  return Object.fromEntries(names.map((name) => [name, labels[name] ?? '']));
}

/** A monotonically increasing count per label set. */
export class Counter implements Metric {
  private readonly series = new Map<string, { labels: Labels; value: number }>();

  constructor(
    readonly name: string,
    private readonly help: string,
    private readonly labelNames: readonly string[] = [],
  ) {}

  inc(labels: Labels = {}, by = 1): void {
    const key = seriesKey(this.labelNames, labels);
    const entry = this.series.get(key) ?? { labels: pick(this.labelNames, labels), value: 0 };
    entry.value += by;
    this.series.set(key, entry);
  }

  /** The current count for one label set (0 when never incremented). */
  value(labels: Labels = {}): number {
    return this.series.get(seriesKey(this.labelNames, labels))?.value ?? 0;
  }

  render(): string[] {
    return [
      `# HELP ${this.name} ${this.help}`,
      `# TYPE ${this.name} counter`,
      ...[...this.series.values()].map(({ labels, value }) => `${this.name}${labelText(labels)} ${value}`),
    ];
  }
}

/** A value per label set that goes up and down; a series can be removed once its label set means nothing any more. */
export class Gauge implements Metric {
  private readonly series = new Map<string, { labels: Labels; value: number }>();

  constructor(
    readonly name: string,
    private readonly help: string,
    private readonly labelNames: readonly string[] = [],
  ) {}

  set(labels: Labels, value: number): void {
    this.series.set(seriesKey(this.labelNames, labels), { labels: pick(this.labelNames, labels), value });
  }

  /** Removes every series whose labels include all of `labels`. */
  remove(labels: Labels): void {
    for (const [key, entry] of this.series)
      if (Object.entries(labels).every(([name, value]) => entry.labels[name] === value)) this.series.delete(key);
  }

  reset(): void {
    this.series.clear();
  }

  /** The current value for one label set (undefined when unset). */
  value(labels: Labels = {}): number | undefined {
    return this.series.get(seriesKey(this.labelNames, labels))?.value;
  }

  render(): string[] {
    return [
      `# HELP ${this.name} ${this.help}`,
      `# TYPE ${this.name} gauge`,
      ...[...this.series.values()].map(({ labels, value }) => `${this.name}${labelText(labels)} ${value}`),
    ];
  }
}

/** Observations counted into cumulative buckets per label set, with their sum and count. */
export class Histogram implements Metric {
  private readonly series = new Map<string, { labels: Labels; buckets: number[]; sum: number; count: number }>();

  constructor(
    readonly name: string,
    private readonly help: string,
    private readonly labelNames: readonly string[],
    private readonly upperBounds: readonly number[],
  ) {}

  observe(labels: Labels, value: number): void {
    const key = seriesKey(this.labelNames, labels);
    let entry = this.series.get(key);
    if (!entry) {
      entry = { labels: pick(this.labelNames, labels), buckets: this.upperBounds.map(() => 0), sum: 0, count: 0 };
      this.series.set(key, entry);
    }
    this.upperBounds.forEach((bound, index) => {
      if (value <= bound) entry.buckets[index] += 1;
    });
    entry.sum += value;
    entry.count += 1;
  }

  render(): string[] {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    for (const { labels, buckets, sum, count } of this.series.values()) {
      this.upperBounds.forEach((bound, index) =>
        lines.push(`${this.name}_bucket${labelText({ ...labels, le: String(bound) })} ${buckets[index]}`),
      );
      lines.push(
        `${this.name}_bucket${labelText({ ...labels, le: '+Inf' })} ${count}`,
        `${this.name}_sum${labelText(labels)} ${sum}`,
        `${this.name}_count${labelText(labels)} ${count}`,
      );
    }
    return lines;
  }
}

/** The metrics one process exposes, rendered in the Prometheus text format. */
export class MetricRegistry {
  static readonly CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
  private readonly metrics: Metric[] = [];

  register<M extends Metric>(metric: M): M {
    this.metrics.push(metric);
    return metric;
  }

  render(): string {
    return `${this.metrics.flatMap((metric) => metric.render()).join('\n')}\n`;
  }
}
