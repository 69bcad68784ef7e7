// Loaded with --import into a stand-in run: records what the oclif plugins' init hooks would start
// (programs, connections) without starting any program, and writes the record to HOOK_SPY_LOG at exit.
import childProcess from 'node:child_process';
import diagnosticsChannel from 'node:diagnostics_channel';
import { EventEmitter } from 'node:events';
import { appendFileSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';

const record = { spawned: [], connected: [] };

childProcess.spawn = (program, args = []) => {
  record.spawned.push([program, ...args].join(' '));
  const child = new EventEmitter();
  child.unref = () => child;
  return child;
};
syncBuiltinESMExports();

diagnosticsChannel.subscribe('net.client.socket', ({ socket }) => {
  socket.once('connect', () => record.connected.push(`${socket.remoteAddress}:${socket.remotePort}`));
});

process.on('exit', () => appendFileSync(process.env.HOOK_SPY_LOG, `${JSON.stringify(record)}\n`));
