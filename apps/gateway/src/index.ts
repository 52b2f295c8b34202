export { startGatewayApp, modelTag } from './gateway-app.ts';
export type { GatewayApp } from './gateway-app.ts';
export { AskService } from './ask-service.ts';
export { parseAskRequest } from './ask-request.ts';
