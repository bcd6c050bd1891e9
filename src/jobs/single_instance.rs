//! SQLite runs one scheduler per database file: an exclusive lock on a file next to it.

use std::fs::{File, OpenOptions};
use std::path::Path;

use anyhow::Context;

/// Held for as long as this process runs the scheduler; dropping it releases the lock.
pub struct SchedulerLock {
    _file: File,
}

pub fn acquire(database: &Path) -> anyhow::Result<SchedulerLock> {
    let mut name = database.as_os_str().to_owned();
    name.push(".scheduler.lock");
    let path = std::path::PathBuf::from(name);
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .with_context(|| format!("opening the scheduler lock {}", path.display()))?;
    match file.try_lock() {
        Ok(()) => Ok(SchedulerLock { _file: file }),
        Err(std::fs::TryLockError::WouldBlock) => anyhow::bail!(
            "another calbridge process already runs the scheduler on {}; SQLite supports one \
             instance (use PostgreSQL to run several)",
            database.display()
        ),
        Err(std::fs::TryLockError::Error(e)) => {
            Err(e).with_context(|| format!("locking {}", path.display()))
        }
    }
}
