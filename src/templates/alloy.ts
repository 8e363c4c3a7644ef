import { shellQuote } from '../connection/quote.ts';
import { UsageError } from '../errors.ts';

/**
 * Alloy's identifier rule for block labels (grafana/alloy syntax/scanner/identifier.go, checked by
 * syntax/parser/internal.go: "expected block label to be a valid identifier").
 */
const ALLOY_IDENTIFIER = /^[\p{L}_][\p{L}\p{Nd}_]*$/u;

export interface ExtraScrape {
  name: string;
  address: string;
  metrics_path?: string;
}

/** The label `alloy fmt`'s own SanitizeIdentifier would make of a name: other characters become _. */
function suggestLabel(name: string): string {
  return `${/^\p{Nd}/u.test(name) ? '_' : ''}${name.replace(/[^\p{L}\p{Nd}_]/gu, '_')}`;
}

/**
 * `alloy.extra_scrapes`, checked before anything connects: each name becomes a component label
 * (`prometheus.scrape "NAME"`), so it must be an Alloy identifier, unique, and not "host" while
 * host_metrics declares its own prometheus.scrape "host". Real `alloy validate` refuses all three.
 */
export function checkExtraScrapes(scrapes: unknown, hostMetrics: unknown): ExtraScrape[] {
  if (!Array.isArray(scrapes)) throw new UsageError('alloy.extra_scrapes: expected a list of { name, address, metrics_path? }');
  const seen = new Set<string>(hostMetrics ? ['host'] : []);
  return scrapes.map((scrape: Partial<ExtraScrape>, index) => {
    const where = `alloy.extra_scrapes.${index}`;
    if (typeof scrape?.name !== 'string' || typeof scrape.address !== 'string' || !scrape.address) throw new UsageError(`${where}: expected { name, address, metrics_path? } with a name and an address`);
    if (!ALLOY_IDENTIFIER.test(scrape.name)) {
      throw new UsageError(`${where}.name: "${scrape.name}" becomes an Alloy component label, which must be letters, digits and _ and not start with a digit; use "${suggestLabel(scrape.name) || 'app'}"`);
    }
    if (seen.has(scrape.name)) {
      throw new UsageError(`${where}.name: "${scrape.name}" is used twice${scrape.name === 'host' && hostMetrics ? ' (alloy.host_metrics declares prometheus.scrape "host")' : ''}; each scrape needs its own name`);
    }
    seen.add(scrape.name);
    return scrape as ExtraScrape;
  });
}

/** Where Alloy remote-writes: the setting, else the first Prometheus server; never an empty URL. */
export function remoteWriteUrl(configured: unknown, fromInventory: unknown): string {
  const url = String(configured || fromInventory || '');
  if (!url) {
    throw new UsageError('alloy.extra_scrapes or alloy.host_metrics need somewhere to send metrics: set alloy.remote_write_url, or name a Prometheus server in the inventory (prometheus.servers)');
  }
  return url;
}

// The flags `alloy validate` takes besides the file (grafana/alloy internal/alloycli/cmd_validate.go).
const VALIDATE_FLAGS = ['--stability.level', '--feature.community-components.enabled', '--config.format', '--config.bypass-conversion-errors', '--config.extra-args'];

/**
 * Of the extra arguments given to `alloy run`, the ones that change how the config is read, for
 * `alloy validate` too (it refuses the others, such as --server.http.listen-addr): shell-quoted.
 */
export function alloyValidateFlags(extraArgs: unknown): string {
  const args = Array.isArray(extraArgs) ? extraArgs.map(String) : [];
  return args.filter((arg) => VALIDATE_FLAGS.includes(arg.split('=')[0]!)).map((arg) => ` ${shellQuote(arg)}`).join('');
}
