// Runs one fuzz target in a worker thread, so that a parser that loops forever is stopped by
// the caller's deadline (worker.terminate()) instead of hanging the test run.
import { parentPort, workerData } from 'node:worker_threads';
import { fuzz, type FuzzOptions } from './fuzz-engine.js';

const result = await fuzz(workerData as FuzzOptions);
parentPort?.postMessage(result);
