// Plugin configuration of the meshtrace filter.
export * from "./plugin-config";
export { parseJson, JsonValue, JsonResult, MAX_JSON_LENGTH, MAX_JSON_DEPTH } from "./json";
