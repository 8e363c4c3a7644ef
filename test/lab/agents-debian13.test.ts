import { agentsSuite } from './agents-suite.ts';

// Debian 13: systemd 257, OpenSSH 10.0, nftables 1.1.3, Prometheus 2.53.
agentsSuite('trixie', 170);
