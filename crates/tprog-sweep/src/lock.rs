//! One driver per sweep directory. `tprog sweep run` (the local backend) holds
//! `_sweep/driver.lock` while it starts runs: a second driver on the same directory would queue
//! the same pending runs and start each of them twice, two processes writing one run
//! directory. The lock file says who holds it (process, host, since when); it is removed when
//! the holder ends, and a lock left behind by a process that no longer exists (killed with
//! SIGKILL, a crashed machine) is taken over.
//!
//! ```text
//! $ tprog sweep run sweeps/table3-categorical.toml --out runs/categorical
//! error: runs/categorical/_sweep/driver.lock: another `tprog sweep run` drives this sweep
//! (process 4242 on host node1, since 2026-11-30 21:04 UTC) ...
//! ```
//!
//! Liveness is checked on this host only (the process exists and its command line is a
//! `sweep` command, so a recycled process id does not hold a lock forever). A lock written on
//! another host (a shared file system) is taken at its word: the error says how to remove it.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::SweepError;
use crate::manifest::{SweepDir, host_name, now};

/// The lock file's name under `_sweep/`.
pub const DRIVER_LOCK: &str = "driver.lock";

/// A lock file younger than this that cannot be parsed is being written by its holder.
const UNWRITTEN_GRACE_SECONDS: u64 = 10;

/// Who holds a lock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holder {
    /// Its process id.
    pub pid: u32,
    /// The host it runs on.
    pub host: String,
    /// Seconds since the Unix epoch when it took the lock.
    pub since: u64,
}

impl std::fmt::Display for Holder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "process {} on host {}, since {}",
            self.pid,
            if self.host.is_empty() {
                "?"
            } else {
                &self.host
            },
            utc(self.since)
        )
    }
}

/// The driver lock of a sweep directory, released when dropped.
#[derive(Debug)]
pub struct DriverLock {
    path: PathBuf,
    holder: Holder,
}

impl DriverLock {
    /// Takes the lock of `sweep` for this process, or says who holds it.
    pub fn acquire(sweep: &SweepDir) -> Result<Self, SweepError> {
        Self::acquire_with(sweep, &holder_is_alive)
    }

    /// [`DriverLock::acquire`] with `alive` deciding whether another holder still runs (the
    /// tests replace it).
    fn acquire_with(sweep: &SweepDir, alive: &dyn Fn(&Holder) -> bool) -> Result<Self, SweepError> {
        let path = sweep.own(DRIVER_LOCK);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| SweepError::io(parent, e))?;
        }
        let holder = Holder {
            pid: std::process::id(),
            host: host_name(),
            since: now(),
        };
        // Two attempts: the second after removing a lock whose holder is gone.
        for _ in 0..2 {
            match OpenOptions::new().write(true).create_new(true).open(&path) {
                Ok(mut file) => {
                    let json =
                        serde_json::to_vec(&holder).map_err(|e| SweepError::json(&path, e))?;
                    if let Err(error) = file.write_all(&json).and_then(|()| file.sync_all()) {
                        let _ = std::fs::remove_file(&path);
                        return Err(SweepError::io(&path, error));
                    }
                    return Ok(Self { path, holder });
                }
                Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {
                    match read_holder(&path) {
                        Existing::Held(other) if alive(&other) => {
                            return Err(SweepError::Locked {
                                path: path.clone(),
                                holder: other.to_string(),
                                same_host: other.host == holder.host,
                            });
                        }
                        Existing::BeingWritten => {
                            return Err(SweepError::Locked {
                                path: path.clone(),
                                holder: "a process taking the lock right now".to_owned(),
                                same_host: true,
                            });
                        }
                        Existing::Held(_) | Existing::Stale | Existing::Gone => {
                            match std::fs::remove_file(&path) {
                                Ok(()) => {}
                                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                                Err(e) => return Err(SweepError::io(&path, e)),
                            }
                        }
                    }
                }
                Err(error) => return Err(SweepError::io(&path, error)),
            }
        }
        Err(SweepError::Locked {
            path: path.clone(),
            holder: "another process that took it over at the same moment".to_owned(),
            same_host: true,
        })
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// This process's entry in it.
    pub fn holder(&self) -> &Holder {
        &self.holder
    }
}

impl Drop for DriverLock {
    fn drop(&mut self) {
        // Only our own lock: never one another driver took over meanwhile.
        if let Existing::Held(current) = read_holder(&self.path)
            && current == self.holder
        {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// The driver holding the lock of `sweep` now, if one does (a lock whose holder is gone does
/// not count).
pub fn current_driver(sweep: &SweepDir) -> Option<Holder> {
    match read_holder(&sweep.own(DRIVER_LOCK)) {
        Existing::Held(holder) if holder_is_alive(&holder) => Some(holder),
        _ => None,
    }
}

/// What an existing lock file holds.
enum Existing {
    /// A holder.
    Held(Holder),
    /// Nothing readable, and just created: its holder is writing it.
    BeingWritten,
    /// Nothing readable, for a while: left by a process that died while taking it.
    Stale,
    /// The file disappeared meanwhile.
    Gone,
}

fn read_holder(path: &Path) -> Existing {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Existing::Gone,
        Err(_) => Vec::new(),
    };
    if let Ok(holder) = serde_json::from_slice::<Holder>(&bytes) {
        return Existing::Held(holder);
    }
    let age = std::fs::metadata(path)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.elapsed().ok())
        .map_or(u64::MAX, |d| d.as_secs());
    if age < UNWRITTEN_GRACE_SECONDS {
        Existing::BeingWritten
    } else {
        Existing::Stale
    }
}

/// Whether a lock's holder still runs: on this host, its process exists and is a `sweep`
/// command; on another host, assumed (it cannot be checked from here).
pub fn holder_is_alive(holder: &Holder) -> bool {
    if holder.host != host_name() {
        return true;
    }
    if holder.pid == std::process::id() {
        return true;
    }
    match std::fs::read(format!("/proc/{}/cmdline", holder.pid)) {
        Ok(cmdline) => String::from_utf8_lossy(&cmdline).contains("sweep"),
        Err(_) => false,
    }
}

/// `YYYY-MM-DD HH:MM UTC` for seconds since the Unix epoch.
fn utc(seconds: u64) -> String {
    let days = seconds / 86_400;
    let minutes = (seconds % 86_400) / 60;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02} UTC",
        minutes / 60,
        minutes % 60
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn sweep_dir(name: &str) -> SweepDir {
        let root =
            std::env::temp_dir().join(format!("tprog-sweep-lock-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        SweepDir::new(root)
    }

    #[test]
    fn a_second_driver_is_refused_and_told_who_holds_the_lock() {
        let sweep = sweep_dir("second");
        assert_eq!(current_driver(&sweep), None);
        let first = DriverLock::acquire(&sweep).unwrap();
        assert!(first.path().is_file());
        assert_eq!(current_driver(&sweep).as_ref(), Some(first.holder()));
        let error = DriverLock::acquire(&sweep).unwrap_err().to_string();
        assert!(
            error.contains("another `tprog sweep run` drives this sweep")
                && error.contains(&format!("process {}", std::process::id()))
                && error.contains("driver.lock"),
            "{error}"
        );
        drop(first);
        assert!(!sweep.own(DRIVER_LOCK).exists(), "released on drop");
        let again = DriverLock::acquire(&sweep).unwrap();
        drop(again);
        std::fs::remove_dir_all(sweep.root()).unwrap();
    }

    #[test]
    fn a_lock_whose_holder_is_gone_is_taken_over() {
        let sweep = sweep_dir("stale");
        let gone = Holder {
            pid: u32::MAX - 1, // above any pid_max: no such process
            host: host_name(),
            since: 0,
        };
        assert!(!holder_is_alive(&gone));
        assert_eq!(current_driver(&sweep), None, "a dead holder drives nothing");
        std::fs::create_dir_all(sweep.own("")).unwrap();
        std::fs::write(sweep.own(DRIVER_LOCK), serde_json::to_vec(&gone).unwrap()).unwrap();
        let lock = DriverLock::acquire(&sweep).unwrap();
        assert_eq!(lock.holder().pid, std::process::id());
        drop(lock);
        std::fs::remove_dir_all(sweep.root()).unwrap();
    }

    #[test]
    fn another_hosts_lock_is_refused_with_how_to_remove_it() {
        let sweep = sweep_dir("host");
        let elsewhere = Holder {
            pid: 1,
            host: "some-other-node".to_owned(),
            since: 1_796_000_000,
        };
        std::fs::create_dir_all(sweep.own("")).unwrap();
        std::fs::write(
            sweep.own(DRIVER_LOCK),
            serde_json::to_vec(&elsewhere).unwrap(),
        )
        .unwrap();
        let error = DriverLock::acquire(&sweep).unwrap_err().to_string();
        assert!(
            error.contains("process 1 on host some-other-node, since 2026-11-30 00:53 UTC")
                && error.contains("delete"),
            "{error}"
        );
        assert!(sweep.own(DRIVER_LOCK).is_file(), "not removed");
        std::fs::remove_dir_all(sweep.root()).unwrap();
    }

    #[test]
    fn an_unreadable_lock_is_waited_for_then_taken_over() {
        let sweep = sweep_dir("unreadable");
        std::fs::create_dir_all(sweep.own("")).unwrap();
        std::fs::write(sweep.own(DRIVER_LOCK), b"").unwrap();
        let error = DriverLock::acquire(&sweep).unwrap_err().to_string();
        assert!(error.contains("taking the lock right now"), "{error}");
        // Ten seconds later it is a leftover of a process that died taking it.
        let old = std::time::SystemTime::now() - std::time::Duration::from_secs(60);
        std::fs::File::options()
            .write(true)
            .open(sweep.own(DRIVER_LOCK))
            .unwrap()
            .set_modified(old)
            .unwrap();
        let lock = DriverLock::acquire(&sweep).unwrap();
        drop(lock);
        std::fs::remove_dir_all(sweep.root()).unwrap();
    }

    #[test]
    fn a_lock_taken_over_meanwhile_is_not_removed_by_the_old_holder() {
        let sweep = sweep_dir("takeover");
        let lock = DriverLock::acquire_with(&sweep, &|_| false).unwrap();
        let newer = DriverLock::acquire_with(&sweep, &|_| false).unwrap();
        // Another driver (here: another host's entry) now holds the file.
        let other = Holder {
            pid: lock.holder().pid,
            host: "newer".to_owned(),
            since: newer.holder().since,
        };
        std::fs::write(sweep.own(DRIVER_LOCK), serde_json::to_vec(&other).unwrap()).unwrap();
        drop(lock);
        assert!(
            sweep.own(DRIVER_LOCK).is_file(),
            "the newer holder keeps it"
        );
        drop(newer);
        assert!(
            sweep.own(DRIVER_LOCK).is_file(),
            "nor by the newer one's namesake"
        );
        std::fs::remove_dir_all(sweep.root()).unwrap();
    }

    #[test]
    fn dates_are_civil_utc() {
        assert_eq!(utc(0), "1970-01-01 00:00 UTC");
        assert_eq!(utc(951_782_400), "2000-02-29 00:00 UTC");
        assert_eq!(utc(1_796_083_200 + 3_660), "2026-12-01 01:01 UTC");
    }
}
