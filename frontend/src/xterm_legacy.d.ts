// trzsz's type declarations name xterm.js by its old package name, `xterm`; its types are @xterm/xterm's.
declare module 'xterm' {
  export type { IDisposable, ITerminalAddon, Terminal } from '@xterm/xterm';
}
