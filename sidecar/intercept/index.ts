export { type Cidr, parseCidr } from './cidr.js';
export { type Backend, binaries, chooseBackend } from './iptables-backend.js';
export { type CommandResult, type IptablesHost, systemHost } from './iptables-host.js';
export {
  type Family,
  type FamilyPlan,
  OUTPUT_CHAIN,
  planCleanup,
  planInstall,
  plannedRules,
  REDIRECT_CHAIN,
} from './iptables-plan.js';
export {
  type BackendChoice,
  type Ipv6Mode,
  installRedirect,
  prepareInstall,
  removeRedirect,
  renderPlans,
} from './iptables-runner.js';
export { loadOriginalDstAddon, type OriginalDestination, originalDestination } from './original-dst.js';
export {
  DEFAULT_ADMIN_PORT,
  DEFAULT_PROXY_PORT,
  type RedirectConfig,
  redirectConfig,
} from './redirect-config.js';
