// Where `conversation create|reply` get the message from, as mw does it: --message, else the whole
// file named by --message-from (utf8; "-" is stdin), else the --editor program started on a temp
// file that is read back afterwards. These read and run things on the machine that runs mw,
// which is why the server must never let a user choose them.
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export const MESSAGE_TEXTS = {
  message: {
    description:
      'The body of the message to send; if neither this nor --message-from is given, an editor will be opened to enter the message.',
  },
  'message-from': {
    description:
      "A file from which to read the message to send; may be '-' to read from stdin. If neither this nor --message is given, an editor will be opened to enter the message.",
  },
  editor: {
    description:
      "The editor to use when opening the message for editing; will respect your EDITOR environment variable, and fall back on 'vim' if that is not set.",
  },
};

/**
 * flags and metadata as this.parse() returns them. mw's --editor default is the EDITOR of the
 * process that runs, else vim; the stand-in's metadata says "vim" (as the surface does) so that it
 * does not change with the environment it is read in, and EDITOR applies when the command runs.
 */
export function retrieveMessage(flags, metadata) {
  if (flags.message) return flags.message;
  if (flags['message-from']) {
    return readFileSync(flags['message-from'] === '-' ? process.stdin.fd : flags['message-from'], 'utf-8');
  }
  const editorFromDefault = metadata?.flags?.editor?.setFromDefault ?? false;
  return retrieveMessageFromEditor(editorFromDefault ? process.env.EDITOR || flags.editor : flags.editor);
}

function retrieveMessageFromEditor(editor) {
  const file = path.join(tmpdir(), `${randomUUID()}.md`);
  try {
    const args = editor === 'vim' ? ['-c', 'syntax on', '-c', 'set filetype=markdown', file] : [file];
    spawnSync(editor, args, { stdio: 'inherit' });
    return readFileSync(file, 'utf-8');
  } finally {
    try {
      unlinkSync(file);
    } catch {
      // like mw, a missing file after the editor is the read's error above, not this one
    }
  }
}
