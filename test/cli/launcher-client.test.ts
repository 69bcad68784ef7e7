// The server's end of the launcher's channel. `docker stop` signals only the launcher (PID 1), which
// passes the stop on; a stop that arrives while the server still starts must not be lost, or the
// server serves on until a second signal.
import { expect, it } from '@jest/globals';
import { EventEmitter } from 'node:events';
import { connectLauncher, type LauncherChannel } from '../../src/cli/launcher/launcher-client.ts';

function fakeLauncher() {
  const events = new EventEmitter();
  const channel: LauncherChannel = {
    send: () => true,
    on: (event: string, listener: (message: unknown) => void) => events.on(event, listener),
  } as LauncherChannel;
  const say = (message: object) => events.emit('message', message);
  const hello = {
    type: 'hello',
    directories: { calls: '/calls', server: '/server' },
    isolation: { fs: 'off', uid: 'shared', limits: 'off', reasons: {} },
    children: 'local',
  };
  return { channel, say, hello };
}

it('hands a stop that came while the server started to the listener registered afterwards', async () => {
  const launcher = fakeLauncher();
  const connecting = connectLauncher(launcher.channel);
  launcher.say(launcher.hello);
  const connection = await connecting;
  launcher.say({ type: 'shutdown', signal: 'SIGTERM' }); // the server is still in startServer
  const heard: string[] = [];
  connection.onShutdown((signal) => heard.push(signal));
  expect(heard).toEqual(['SIGTERM']);
});

it('tells a listener registered in time once, and only the first stop', async () => {
  const launcher = fakeLauncher();
  const connecting = connectLauncher(launcher.channel);
  launcher.say(launcher.hello);
  const connection = await connecting;
  const heard: string[] = [];
  connection.onShutdown((signal) => heard.push(signal));
  launcher.say({ type: 'shutdown', signal: 'SIGINT' });
  expect(heard).toEqual(['SIGINT']);
  const late: string[] = [];
  launcher.say({ type: 'shutdown', signal: 'SIGTERM' });
  connection.onShutdown((signal) => late.push(signal));
  expect(late).toEqual(['SIGINT']);
});
