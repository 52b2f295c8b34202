export { startGatewayApp } from './gateway-app.ts';
export type { GatewayApp } from './gateway-app.ts';
