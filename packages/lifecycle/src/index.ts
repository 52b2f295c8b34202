export { Resources } from './resources.ts';
export { StartError } from './start-error.ts';
export { listen } from './listen.ts';
