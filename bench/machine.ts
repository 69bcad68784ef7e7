// What the figures were measured on: they only compare within one run on one machine.
import { cpus, totalmem } from 'node:os';

export interface Machine {
  cores: number;
  cpuModel: string;
  nodeVersion: string;
  memoryGb: number;
}

export function describeMachine(): Machine {
  const processors = cpus();
  return {
    cores: processors.length,
    cpuModel: processors[0]?.model.trim() ?? 'unknown',
    nodeVersion: process.version,
    memoryGb: Math.round(totalmem() / 1024 ** 3),
  };
}
