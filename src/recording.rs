//! Session recording in asciicast v2 (`asciinema play FILE` replays it): a JSON header line, then one
//! `[seconds, "o" | "i" | "r", data]` line per event.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use serde_json::json;

use crate::protocol::Size;

/// One session's recording file.
pub struct Recorder {
    path: PathBuf,
    out: BufWriter<File>,
    started: Instant,
    record_input: bool,
    /// The start of a UTF-8 sequence that a read cut in two, kept for the next output event.
    partial_output: Vec<u8>,
    partial_input: Vec<u8>,
}

impl Recorder {
    /// Creates `DIR/SESSION.cast` and writes the header.
    pub fn create(
        dir: &Path,
        session: &str,
        size: Size,
        command: &str,
        record_input: bool,
    ) -> io::Result<Recorder> {
        // SECURITY: a recording holds all a session showed (and with `record_input`, what was typed, passwords
        // included): only webterm's own user may read it, whatever the umask. A directory webterm creates is
        // its own too; one that exists keeps the modes its owner gave it.
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)?;
        let path = dir.join(format!("{session}.cast"));
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)?;
        let mut out = BufWriter::with_capacity(64 * 1024, file);
        let timestamp = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let header = json!({
            "version": 2,
            "width": size.cols,
            "height": size.rows,
            "timestamp": timestamp,
            "command": command,
            "title": format!("webterm session {session}"),
            "env": { "TERM": std::env::var("TERM").unwrap_or_default() },
        });
        writeln!(out, "{header}")?;
        Ok(Recorder {
            path,
            out,
            started: Instant::now(),
            record_input,
            partial_output: Vec::new(),
            partial_input: Vec::new(),
        })
    }

    /// Where the recording goes.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Program output.
    pub fn output(&mut self, bytes: &[u8]) -> io::Result<()> {
        let text = take_utf8(&mut self.partial_output, bytes);
        self.event("o", &text)
    }

    /// Client input; recorded only when `record_input` is on.
    pub fn input(&mut self, bytes: &[u8]) -> io::Result<()> {
        if !self.record_input {
            return Ok(());
        }
        let text = take_utf8(&mut self.partial_input, bytes);
        self.event("i", &text)
    }

    /// A terminal resize.
    pub fn resize(&mut self, size: Size) -> io::Result<()> {
        self.event("r", &format!("{}x{}", size.cols, size.rows))
    }

    /// Writes what is buffered.
    pub fn finish(mut self) -> io::Result<()> {
        self.out.flush()
    }

    fn event(&mut self, kind: &str, data: &str) -> io::Result<()> {
        if data.is_empty() {
            return Ok(());
        }
        let seconds = self.started.elapsed().as_secs_f64();
        writeln!(
            self.out,
            "{}",
            json!([(seconds * 1e6).round() / 1e6, kind, data])
        )
    }
}

/// Appends `bytes` to `partial` and returns the text it holds, keeping an incomplete UTF-8 sequence at the end
/// for the next call. Invalid bytes become U+FFFD, as a terminal shows them.
fn take_utf8(partial: &mut Vec<u8>, bytes: &[u8]) -> String {
    partial.extend_from_slice(bytes);
    let mut text = String::new();
    let mut rest: &[u8] = partial;
    while !rest.is_empty() {
        match std::str::from_utf8(rest) {
            Ok(valid) => {
                text.push_str(valid);
                rest = &[];
            }
            Err(error) => {
                let (valid, after) = rest.split_at(error.valid_up_to());
                text.push_str(std::str::from_utf8(valid).expect("checked up to here"));
                match error.error_len() {
                    Some(invalid) => {
                        text.push('\u{fffd}');
                        rest = &after[invalid..];
                    }
                    None => {
                        rest = after;
                        break;
                    }
                }
            }
        }
    }
    let kept = rest.to_vec();
    *partial = kept;
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_cut_between_reads_is_joined() {
        let mut partial = Vec::new();
        let word = "漢字".as_bytes();
        assert_eq!(take_utf8(&mut partial, &word[..4]), "漢");
        assert_eq!(take_utf8(&mut partial, &word[4..]), "字");
        assert!(partial.is_empty());
    }

    #[test]
    fn invalid_bytes_become_replacement_characters() {
        let mut partial = Vec::new();
        assert_eq!(take_utf8(&mut partial, b"a\xffb"), "a\u{fffd}b");
        assert_eq!(take_utf8(&mut partial, b"c\xff\xe6\xbc"), "c\u{fffd}");
        assert_eq!(take_utf8(&mut partial, b"\xa2"), "漢");
    }

    #[test]
    fn a_recording_is_asciicast_v2() {
        let dir = std::env::temp_dir().join(format!("webterm-recording-{}", std::process::id()));
        let size = Size {
            cols: 100,
            rows: 30,
        };
        let mut recorder = Recorder::create(&dir, "abc", size, "sh", true).unwrap();
        recorder.output(b"hello\r\n").unwrap();
        recorder.input(b"ls\r").unwrap();
        recorder
            .resize(Size {
                cols: 120,
                rows: 40,
            })
            .unwrap();
        let path = recorder.path().to_owned();
        recorder.finish().unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(
            (lines[0]["version"].as_u64(), lines[0]["width"].as_u64()),
            (Some(2), Some(100))
        );
        assert_eq!(
            (&lines[1][1], &lines[1][2]),
            (&json!("o"), &json!("hello\r\n"))
        );
        assert_eq!((&lines[2][1], &lines[2][2]), (&json!("i"), &json!("ls\r")));
        assert_eq!(
            (&lines[3][1], &lines[3][2]),
            (&json!("r"), &json!("120x40"))
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
