// Public API of the meshtrace proxy-wasm ABI 0.2.1 layer (see docs/abi-and-host.md).
export { WasmResult, Action, MapType, BufferType, LogLevel, MetricType, StreamType } from "./enums";
export { HeaderPairs } from "./headers";
export { HeaderMapView } from "./header-view";
export { ByteString, ByteBuffer, BlockPool, bytesEqual } from "./bytes";
export { RootContext, StreamContext, HttpContext, registerRootContext } from "./context";
export {
  lastResult, log, logTrace, logDebug, logInfo, logWarn, logError, logCritical, getLogLevel,
  getHeaderMapPairs, setHeaderMapPairs, getHeaderMapValue, addHeaderMapValue, replaceHeaderMapValue,
  removeHeaderMapValue, PropertyPath, getPropertyBytes, getPropertyString, getPropertyInt64,
  getPropertyTimestampNanos, getPropertyMap, setProperty, getBufferBytes, getPluginConfiguration,
  getVmConfiguration, continueStream, sendLocalResponse, defineMetric, incrementMetric, recordMetric,
  getMetric, Counter, Gauge, Histogram, SharedData, getSharedData, setSharedData,
  setTickPeriodMilliseconds, getCurrentTimeNanoseconds, httpCall,
  addHeaderMapValueBytes, replaceHeaderMapValueBytes, removeHeaderMapValueBytes, setHeaderMapPairsBytes,
  headerMapValueStatus, HostBlock, getSharedDataBytes, setSharedDataBytes,
} from "./hostcalls";
export { randomBytes, randomU64, fillRandom } from "./random";
