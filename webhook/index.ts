// The webhook's public surface: the pure injector, the admission handler, the
// server, certificates and the sources it reads.

export { type AdmissionAnswer, type AdmissionDeps, type AdmissionOutcome, admit } from './admission.js';
export { type CertificateStore, syncCertificates } from './cert-sync.js';
export { type CertificateSet, ensureCertificates, FILES as CERT_FILES } from './certs.js';
export { ANNOTATIONS, DEFAULT_CONFIG, type InjectConfig, injectConfig, LABELS, NAMES } from './config.js';
export { type InjectContext, type InjectOutcome, injectPod } from './inject.js';
export {
  kubernetesCertStore,
  kubernetesEvents,
  kubernetesNamespaces,
  kubernetesPolicies,
} from './kubernetes.js';
export { applyPodPatch, podPatch } from './patch.js';
export type { Pod } from './pod-types.js';
export { startWebhook, type WebhookOptions } from './run.js';
export {
  MUTATE_NAMESPACE_ENABLED_PATH,
  MUTATE_PATH,
  startWebhookServer,
  type WebhookServer,
} from './server.js';
export {
  type EventRecorder,
  filePolicies,
  type NamespaceLookup,
  type PolicySource,
  staticNamespaces,
  staticPolicies,
} from './sources.js';
export { type InjectionStatus, parseStatus, stripInjection } from './strip.js';
