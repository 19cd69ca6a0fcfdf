export * from './host.js';
export * from './envoy-abi.js';
export { readModuleInterface, type ModuleInterface } from './wasm-binary.js';
export { marshalPairs, unmarshalPairs, type BytePair } from './pairs.js';
export { buildPropertyTree, lookupProperty, serializeProperty, type PropertyValue, type TypedProperty } from './properties.js';
export { realisticRequest } from './sample-requests.js';
