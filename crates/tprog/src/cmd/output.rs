//! Standard output and standard error that never panic. A closed pipe (`tprog … | head -1`)
//! ends the command quietly as Unix tools do; any other write error (`> /dev/full`) is a clear
//! error with exit code 1. Diagnostics on standard error are best effort: failing to print one
//! never aborts a run.

use std::fmt;
use std::io::{self, Write};
use std::path::Path;

/// Writing to standard output failed.
#[derive(Debug)]
pub struct StdoutError(pub io::Error);

impl fmt::Display for StdoutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.kind() == io::ErrorKind::StorageFull {
            write!(f, "cannot write to standard output: the device is full")
        } else {
            write!(f, "cannot write to standard output: {}", self.0)
        }
    }
}

impl std::error::Error for StdoutError {}

impl StdoutError {
    /// Whether the reader went away (a closed pipe): not an error for a Unix tool.
    pub fn is_closed_pipe(&self) -> bool {
        self.0.kind() == io::ErrorKind::BrokenPipe
    }
}

/// Writes one formatted line to standard output.
pub fn write_line(args: fmt::Arguments<'_>) -> Result<(), StdoutError> {
    let mut out = io::stdout().lock();
    out.write_fmt(args)
        .and_then(|()| out.write_all(b"\n"))
        .map_err(StdoutError)
}

/// Writes `text` to standard output and flushes it.
pub fn write_all(text: &str) -> Result<(), StdoutError> {
    let mut out = io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(StdoutError)
}

/// Flushes standard output.
pub fn flush() -> Result<(), StdoutError> {
    io::stdout().lock().flush().map_err(StdoutError)
}

/// Writes one formatted line to standard error, ignoring failures.
pub fn note(args: fmt::Arguments<'_>) {
    let _ = writeln!(io::stderr().lock(), "{args}");
}

/// Writes a command's `--out` file: a regular file atomically, never over an existing one
/// without `force` and never over a run's own files (`tprog_pipeline::saved::write_output`);
/// a device or a pipe (`/dev/stdout`, `/dev/null`, a FIFO, also through a symlink) is written
/// to directly: there is nothing to replace, and replacing it (the atomic rename) would delete
/// the device node or the link.
pub fn write_file(path: &Path, bytes: &[u8], force: bool) -> anyhow::Result<()> {
    let special = std::fs::metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir());
    if !special {
        tprog_pipeline::saved::write_output(path, bytes, force)?;
        return Ok(());
    }
    let result = std::fs::OpenOptions::new()
        .write(true)
        .open(path)
        .and_then(|mut file| file.write_all(bytes).and_then(|()| file.flush()));
    match result {
        Ok(()) => Ok(()),
        Err(error) if error.kind() == io::ErrorKind::StorageFull => {
            anyhow::bail!("cannot write {}: the device is full", path.display())
        }
        Err(error) => {
            Err(anyhow::Error::new(error).context(format!("cannot write {}", path.display())))
        }
    }
}
