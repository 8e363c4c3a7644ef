import { agentsSuite } from './agents-suite.ts';

agentsSuite('bookworm', 108);
