import { firewallBackendsSuite } from './firewall-backends-suite.ts';

firewallBackendsSuite('bookworm', 122);
