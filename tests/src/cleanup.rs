//! What a test process starts and creates is gone when it ends, however its tests end.
//!
//! Shared servers live in `static`s, which are never dropped, and a failed test still leaves
//! the harness through `exit`; so child processes and temporary paths are registered here and
//! removed by an `atexit` handler unless their owner's `Drop` removed them first. Children
//! are also started with `PR_SET_PDEATHSIG`, which kills them if the test process is killed,
//! and the first registration removes the `edgeway-test-<kind>-<pid>-<n>` folders of test
//! processes that no longer run.
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::sync::{Mutex, MutexGuard, Once, PoisonError, mpsc};

/// The prefix of the temporary folders that [`reap`] may remove once their process is gone.
pub const PREFIX: &str = "edgeway-test-";

enum Leftover {
    Path(PathBuf),
    Process(u32),
}

static LEFTOVERS: Mutex<Vec<Leftover>> = Mutex::new(Vec::new());

fn leftovers() -> MutexGuard<'static, Vec<Leftover>> {
    static REGISTERED: Once = Once::new();
    REGISTERED.call_once(|| {
        reap(&std::env::temp_dir());
        // SAFETY: `at_exit` is a plain function that does not unwind.
        unsafe { libc::atexit(at_exit) };
    });
    LEFTOVERS.lock().unwrap_or_else(PoisonError::into_inner)
}

/// `<temp>/edgeway-test-<kind>-<pid>-<n>`, a fresh folder for this process (any earlier one of
/// that name is removed), removed when the process exits.
pub fn temp_dir(kind: &str, n: usize) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("{PREFIX}{kind}-{}-{n}", std::process::id()));
    remove_at_exit(&dir);
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// Removes `path` (a file or a folder) when the process exits.
pub fn remove_at_exit(path: &Path) {
    leftovers().push(Leftover::Path(path.to_owned()));
}

/// Removes `path` now, and no longer at exit.
pub fn remove_now(path: &Path) {
    leftovers().retain(|left| !matches!(left, Leftover::Path(p) if p == path));
    remove(path);
}

/// Spawns `command` as a child that is killed when the process exits or dies; its owner calls
/// [`forget_process`] once it has stopped and reaped the child itself.
pub fn spawn(mut command: Command) -> std::io::Result<Child> {
    // SAFETY: `prctl` is async-signal-safe.
    unsafe {
        command.pre_exec(|| {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            Ok(())
        });
    }
    // PR_SET_PDEATHSIG fires when the spawning thread exits: spawn from a thread that lives
    // as long as the process.
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        sender.send(command.spawn()).unwrap();
        loop {
            std::thread::park();
        }
    });
    let child = receiver.recv().unwrap()?;
    leftovers().push(Leftover::Process(child.id()));
    Ok(child)
}

/// The child `pid` has been stopped and waited for by its owner: nothing is left to do at exit.
pub fn forget_process(pid: u32) {
    leftovers().retain(|left| !matches!(left, Leftover::Process(p) if *p == pid));
}

extern "C" fn at_exit() {
    let leftovers = std::mem::take(&mut *leftovers());
    // Processes first: a server may still write into its folder.
    for left in &leftovers {
        if let Leftover::Process(pid) = left
            && let Ok(pid) = libc::pid_t::try_from(*pid)
        {
            // Only a child of this process that still runs: one already waited for is no
            // longer a child, and its id may belong to another process by now.
            // SAFETY: plain system calls on a process id.
            unsafe {
                if libc::waitpid(pid, std::ptr::null_mut(), libc::WNOHANG) == 0 {
                    libc::kill(pid, libc::SIGKILL);
                    libc::waitpid(pid, std::ptr::null_mut(), 0);
                }
            }
        }
    }
    for left in &leftovers {
        if let Leftover::Path(path) = left {
            remove(path);
        }
    }
}

fn remove(path: &Path) {
    if std::fs::remove_dir_all(path).is_err() {
        let _ = std::fs::remove_file(path);
    }
}

/// Removes the `edgeway-test-<kind>-<pid>-<n>` entries of `dir` whose process no longer
/// runs (a test process that was killed before its `atexit` handler could run).
pub fn reap(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(rest) = name.to_str().and_then(|name| name.strip_prefix(PREFIX)) else {
            continue;
        };
        let mut parts = rest.rsplitn(3, '-');
        let (Some(n), Some(pid), Some(_kind)) = (parts.next(), parts.next(), parts.next()) else {
            continue;
        };
        let gone = n.parse::<usize>().is_ok()
            && pid
                .parse::<u32>()
                .is_ok_and(|pid| !Path::new(&format!("/proc/{pid}")).exists());
        if gone {
            remove(&entry.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reap_removes_only_folders_of_processes_that_are_gone() {
        let dir = temp_dir("reap", 0);
        // Process ids stop well below this on Linux (`pid_max` is at most 2^22).
        let gone = dir.join(format!("{PREFIX}kv-{}-0", u32::MAX - 1));
        let alive = dir.join(format!("{PREFIX}kv-{}-0", std::process::id()));
        let other = dir.join(format!("{PREFIX}notes"));
        for path in [&gone, &alive, &other] {
            std::fs::create_dir_all(path).unwrap();
        }
        reap(&dir);
        assert!(!gone.exists());
        assert!(alive.exists() && other.exists());
        remove_now(&dir);
        assert!(!dir.exists());
    }
}
