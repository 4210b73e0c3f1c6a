//! A throwaway PostgreSQL server for tests: `initdb` in a temp dir, `postgres` on 127.0.0.1 at
//! a free port (fsync off), stopped (fast shutdown, then kill) and deleted when dropped.
//!
//! The binaries come from `LEASEHOLD_PG_BIN`, Debian's `/usr/lib/postgresql/<v>/bin`, or
//! `PATH`. When none is found and we are root on a Debian-like machine, `apt-get install -y
//! postgresql` installs them (once per process). As root, the server runs as the `postgres`
//! user (initdb refuses root) through `setpriv`, which execs: the child is the postmaster
//! itself, so stopping it needs no process-group tricks. [`TestPostgres::start`] returns the
//! reason when PostgreSQL cannot be had; callers print a visible SKIP.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use tempfile::TempDir;

pub struct TestPostgres {
    child: Child,
    _dir: TempDir,
    pub url: String,
}

static INSTALL: Mutex<()> = Mutex::new(());

fn is_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// The directory holding `initdb`, `postgres` and `pg_isready`.
fn find_bin_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("LEASEHOLD_PG_BIN").map(PathBuf::from)
        && dir.join("initdb").exists()
    {
        return Some(dir);
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let v: u32 = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").exists().then_some((v, bin))
        })
        .collect();
    versions.sort();
    if let Some((_, bin)) = versions.pop() {
        return Some(bin);
    }
    std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .find(|d| d.join("initdb").exists() && d.join("postgres").exists())
}

fn apt_install() -> Result<(), String> {
    let install = || {
        Command::new("apt-get")
            .args(["install", "-y", "-q", "postgresql"])
            .env("DEBIAN_FRONTEND", "noninteractive")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    if install() {
        return Ok(());
    }
    let updated = Command::new("apt-get")
        .args(["update", "-q"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if updated && install() { Ok(()) } else { Err("`apt-get install -y postgresql` failed".into()) }
}

fn bin_dir() -> Result<PathBuf, String> {
    let _guard = INSTALL.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(d) = find_bin_dir() {
        return Ok(d);
    }
    if !is_root() || !Path::new("/usr/bin/apt-get").exists() {
        return Err("no initdb found (install Debian's `postgresql` package or set LEASEHOLD_PG_BIN)".into());
    }
    apt_install()?;
    find_bin_dir().ok_or_else(|| "postgresql installed but initdb not found".into())
}

fn free_port() -> Result<u16, String> {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).map_err(|e| e.to_string())
}

/// `cmd` run as the `postgres` user when we are root.
fn as_server_user(program: &Path, root: bool) -> Command {
    if root {
        let mut c = Command::new("setpriv");
        c.args(["--reuid=postgres", "--regid=postgres", "--init-groups"]).arg(program);
        c
    } else {
        Command::new(program)
    }
}

impl TestPostgres {
    /// Starts a fresh server; `Err(reason)` when PostgreSQL is not available here.
    pub fn start() -> Result<TestPostgres, String> {
        let bin = bin_dir()?;
        let root = is_root();
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        if root {
            let ok = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(dir.path())
                .status()
                .is_ok_and(|s| s.success());
            if !ok {
                return Err("cannot chown the data directory to the postgres user".into());
            }
        }
        let data = dir.path().join("data");
        let out = as_server_user(&bin.join("initdb"), root)
            .arg("-D")
            .arg(&data)
            .args(["-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync"])
            .output()
            .map_err(|e| format!("initdb: {e}"))?;
        if !out.status.success() {
            return Err(format!("initdb failed: {}", String::from_utf8_lossy(&out.stderr).trim()));
        }
        let mut last_error = String::new();
        for _ in 0..3 {
            let port = free_port()?;
            let log = std::fs::File::create(dir.path().join("server.log")).map_err(|e| e.to_string())?;
            let mut child = as_server_user(&bin.join("postgres"), root)
                .arg("-D")
                .arg(&data)
                .args(["-p", &port.to_string(), "-k"])
                .arg(dir.path())
                .args(["-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "synchronous_commit=off"])
                .args(["-c", "full_page_writes=off"])
                .stdout(Stdio::null())
                .stderr(log)
                .spawn()
                .map_err(|e| format!("postgres: {e}"))?;
            let deadline = Instant::now() + Duration::from_secs(30);
            loop {
                let ready = Command::new(bin.join("pg_isready"))
                    .args(["-q", "-h", "127.0.0.1", "-p", &port.to_string()])
                    .status()
                    .is_ok_and(|s| s.success());
                if ready {
                    return Ok(TestPostgres {
                        child,
                        _dir: dir,
                        url: format!("postgres://postgres@127.0.0.1:{port}/postgres"),
                    });
                }
                if let Ok(Some(status)) = child.try_wait() {
                    last_error = format!(
                        "postgres exited ({status}): {}",
                        std::fs::read_to_string(dir.path().join("server.log")).unwrap_or_default().trim()
                    );
                    break;
                }
                if Instant::now() > deadline {
                    let _ = child.kill();
                    let _ = child.wait();
                    last_error = "postgres did not become ready within 30 s".into();
                    break;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        Err(last_error)
    }
}

impl Drop for TestPostgres {
    fn drop(&mut self) {
        // Fast shutdown (SIGINT), then SIGKILL if it lingers.
        let _ = Command::new("kill").args(["-INT", &self.child.id().to_string()]).status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
