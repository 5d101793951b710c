/** Names of the sample-app objects the operator tools use too (plain constants, no provider bindings). */

/** Front role: Deployment and the Service users reach on the app port. */
export const SAMPLE_APP_SERVICE = 'sample-app';
/** Backend role the front calls, so every order trace crosses two services. */
export const SAMPLE_APP_BACKEND_SERVICE = 'sample-app-backend';
