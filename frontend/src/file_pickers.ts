// What file transfer (`file_transfer.ts`, trzsz) asks the browser for, where the browser lacks the File System
// Access pickers (Firefox, Safari) or the page is not a secure context (plain http beyond localhost): a download is
// saved as browsers save any download (a link with `download`: the Downloads folder, or where the person says), and
// the files to upload are picked with `<input type=file>`. Chromium's own pickers are used where they exist.

/** The parts of a `FileSystemFileHandle` that trzsz uses. */
interface FileLike {
  readonly kind: 'file';
  readonly name: string;
  getFile(): Promise<File>;
}

/** The pickers trzsz calls, as `window` has them in Chromium. */
interface Pickers {
  showDirectoryPicker?: (options?: { mode?: string }) => Promise<unknown>;
  showOpenFilePicker?: (options?: { multiple?: boolean }) => Promise<FileLike[]>;
}

/** Puts the fallbacks in place of the pickers the browser does not have. */
export function installFilePickerFallbacks(): void {
  const pickers = window as unknown as Pickers;
  if (typeof pickers.showDirectoryPicker !== 'function') {
    pickers.showDirectoryPicker = async (options) => {
      // trzsz asks for a folder to write to (a download: `tsz`), or to upload (`trz -d`).
      if (options?.mode !== 'readwrite') {
        throw new DOMException('this browser cannot pick a folder to upload: drop it on the page', 'NotSupportedError');
      }
      return new DownloadFolder('Downloads');
    };
  }
  if (typeof pickers.showOpenFilePicker !== 'function') pickers.showOpenFilePicker = pickFiles;
}

/**
 * A folder to save files in, as downloads: each file is saved when it is closed. It looks empty (a browser never
 * says what the Downloads folder holds; it renames a file whose name is taken). A folder in it (`tsz -d`) adds its
 * name to its files' names, as `folder_file`.
 */
class DownloadFolder {
  readonly kind = 'directory';

  constructor(
    readonly name: string,
    private readonly prefix = '',
  ) {}

  async *values(): AsyncGenerator<never> {}

  async getFileHandle(name: string): Promise<DownloadFile> {
    return new DownloadFile(`${this.prefix}${name}`);
  }

  async getDirectoryHandle(name: string): Promise<DownloadFolder> {
    return new DownloadFolder(name, `${this.prefix}${name}_`);
  }
}

/** A file that is saved as a download when it is closed. */
class DownloadFile {
  readonly kind = 'file';

  constructor(readonly name: string) {}

  async createWritable(): Promise<{ write(data: Uint8Array): Promise<void>; close(): Promise<void> }> {
    const parts: Uint8Array<ArrayBuffer>[] = [];
    return {
      // A copy: the caller may reuse its buffer.
      write: async (data) => {
        parts.push(Uint8Array.from(data));
      },
      close: async () => save(new Blob(parts), this.name),
    };
  }
}

/** Saves `blob` as a download named `name`. */
function save(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  link.click();
  // The download has started by then; the URL only holds the blob in memory.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** Asks the person for files with `<input type=file>`; rejects with an `AbortError` when they cancel. */
function pickFiles(): Promise<FileLike[]> {
  return new Promise((resolve, reject) => {
    const input = document.createElement('input');
    input.type = 'file';
    input.multiple = true;
    input.addEventListener('change', () => {
      const files = Array.from(input.files ?? [], (file) => ({
        kind: 'file' as const,
        name: file.name,
        getFile: async () => file,
      }));
      resolve(files);
    });
    input.addEventListener('cancel', () => reject(new DOMException('no files picked', 'AbortError')));
    input.click();
  });
}
