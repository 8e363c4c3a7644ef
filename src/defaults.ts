/**
 * fleet's built-in variables: the lowest layer under the inventory's defaults, groups, hosts and -e.
 * `fleet inventory FILE --host NAME` shows each one with "builtin" as its source until overridden.
 */
export const BUILTIN_VARS = {
  artifacts: {
    /** Replaces https://github.com in release URLs (same layout), for air-gapped sites. */
    mirror: '',
    /** controller: download once and push; host: every host downloads and verifies itself. */
    fetch: 'controller',
  },
  node_exporter: {
    version: '1.12.1',
    listen_address: '0.0.0.0',
    port: 9100,
    /** Addresses allowed through the firewall; empty: the Prometheus servers, or everyone when none is named. */
    allow_from: [] as string[],
    collectors_enabled: ['systemd', 'textfile'],
    collectors_disabled: [] as string[],
    textfile_directory: '/var/lib/node_exporter/textfile_collector',
    extra_flags: [] as string[],
    /** read-only keeps filesystem metrics for mounts under /home; yes hides them. */
    protect_home: 'read-only',
    web: {
      /** Basic auth user whose password comes from the controller's environment (never from a file). */
      basic_auth_user: '',
      basic_auth_password_env: '',
      /** Certificate and key on the host; set both to serve HTTPS (a change of on/off restarts Node Exporter). */
      tls_cert_file: '',
      tls_key_file: '',
      /** With TLS: the CA certificate (a file on the controller) Prometheus trusts; fleet copies it next to prometheus.yml. */
      scrape_ca_file: '',
      /** With TLS and no CA: Prometheus scrapes without checking certificates. Only when set here by name. */
      scrape_insecure_skip_verify: false,
    },
  },
  alloy: {
    version: '1.18.1',
    listen_address: '0.0.0.0',
    port: 12345,
    allow_from: [] as string[],
    stability_level: 'generally-available',
    storage_path: '/var/lib/alloy/data',
    /** Ship the systemd journal to Loki when set, e.g. http://loki.example.com:3100/loki/api/v1/push. */
    loki_url: '',
    /** Where extra scrapes are remote-written; default: the first Prometheus server's /api/v1/write (it needs --web.enable-remote-write-receiver). */
    remote_write_url: '',
    /** Application endpoints Alloy scrapes and remote-writes: [{ name, address, metrics_path? }]. */
    extra_scrapes: [] as { name: string; address: string; metrics_path?: string }[],
    /** Ship host metrics from Alloy's unix exporter too (off: Prometheus scrapes Node Exporter). */
    host_metrics: false,
    extra_args: [] as string[],
    /** Raw Alloy configuration appended to config.alloy. */
    extra_config: '',
  },
};
