// The server under test as a bench child: configured from the environment like src/main.ts.
import { loadConfig } from '../src/config.ts';
import { startServer } from '../src/server.ts';
import { reportReady, serveParent } from './bench-child.ts';

const server = await startServer(loadConfig(process.env));
serveParent(() => server.close());
reportReady(server.url);
