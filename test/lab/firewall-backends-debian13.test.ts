import { firewallBackendsSuite } from './firewall-backends-suite.ts';

firewallBackendsSuite('trixie', 173);
