//! Helpers shared by the command-line tests: running the `tprog` binary, reading its output,
//! scratch directories and the reference fixtures.

#![allow(dead_code, clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Runs `tprog` with `args`.
pub fn tprog(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tprog"))
        .args(args)
        .output()
        .unwrap()
}

/// Bytes as text.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A command's standard output, whatever its exit status.
pub fn stdout(output: &Output) -> String {
    text(&output.stdout)
}

/// Runs a command that must succeed; returns its standard output.
pub fn success(args: &[&str]) -> String {
    let output = tprog(args);
    assert!(
        output.status.success(),
        "{args:?} failed: {}",
        text(&output.stderr)
    );
    text(&output.stdout)
}

/// Runs a command that must fail without panicking; returns its standard error.
pub fn failure(args: &[&str]) -> String {
    let output = tprog(args);
    let stderr = text(&output.stderr);
    assert!(
        !output.status.success(),
        "{args:?} succeeded: {}",
        text(&output.stdout)
    );
    assert!(!stderr.contains("panicked"), "{args:?} panicked: {stderr}");
    stderr
}

/// A fresh, empty scratch directory `group/name` (its parent exists, it does not).
pub fn temp_dir(group: &str, name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(group)
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.parent().unwrap()).unwrap();
    dir
}

/// A path for a scratch file `group/name` (its directory exists).
pub fn temp_path(group: &str, name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(group);
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// A reference fixture (in `tests/fixtures/reference` at the workspace root).
pub fn reference(file: &str) -> String {
    format!(
        "{}/../../tests/fixtures/reference/{file}",
        env!("CARGO_MANIFEST_DIR")
    )
}
