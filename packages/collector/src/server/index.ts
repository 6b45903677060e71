export type { AccessOptions } from './auth.js';
export { addAccessHook, bearerMatches, checkAccess } from './auth.js';
export type { HealthOptions } from './health.js';
export { HEALTH_PATHS, registerHealthRoutes } from './health.js';
export type { TlsMaterial } from './tls.js';
export { grpcCredentials, httpsOptions, loadTlsMaterial, peerSubject } from './tls.js';
export type { UiOptions } from './ui.js';
export { CONTENT_SECURITY_POLICY, defaultUiDir, isApiPath, registerUi } from './ui.js';
