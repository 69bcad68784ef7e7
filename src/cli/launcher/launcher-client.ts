import type { StateDirectories } from '../sandbox/call-root.ts';
import type { ChildSpawner } from '../sandbox/spawner.ts';

export interface LauncherConnection {
  directories: StateDirectories;
  spawner: ChildSpawner;
}
