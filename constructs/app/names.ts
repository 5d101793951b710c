/** Names of the sample-app objects the operator tools use too (plain constants, no provider bindings). */

/** Front role: Deployment and the Service users reach on the app port. */
export const SAMPLE_APP_SERVICE = 'sample-app';
/** Backend role the front calls, so every order trace crosses two services. */
export const SAMPLE_APP_BACKEND_SERVICE = 'sample-app-backend';

/**
 * Names of the sample app's HTTP server spans (`<method> <route>`, as the OpenTelemetry HTTP and
 * Express instrumentations name them): the operations of Jaeger's Monitor tab. The e2e checks
 * them against the spans the real app sends.
 */
export const SAMPLE_APP_OPERATIONS = {
  orders: 'POST /api/orders',
  error: 'GET /api/error',
  slow: 'GET /api/slow',
  /** The backend's, called once per order. */
  reserve: 'POST /api/inventory/reserve',
} as const;
