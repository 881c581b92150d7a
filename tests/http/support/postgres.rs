//! A real PostgreSQL for a test: a new cluster in a temporary folder,
//! started from the system's binaries (`initdb`, `pg_ctl`) on a free port
//! of 127.0.0.1, and stopped when the value is dropped. As root (CI), the
//! server runs as the `postgres` user, since PostgreSQL refuses root.
#![allow(dead_code)] // Each test file uses some of it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A running PostgreSQL, trusting local connections as `postgres`.
pub struct Postgres {
    dir: PathBuf,
    port: u16,
    bin: PathBuf,
}

impl Postgres {
    /// Starts a new cluster. A missing PostgreSQL is one line naming the
    /// package to install.
    pub fn start(name: &str) -> Postgres {
        let bin = binaries();
        let dir = std::env::temp_dir().join(format!("fanvue-pg-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("a folder for the cluster");
        if is_root() {
            hand_to_postgres(&dir);
        }
        let data = dir.join("data");
        run_as_owner(
            Command::new(bin.join("initdb"))
                .args([
                    "--auth=trust",
                    "--username=postgres",
                    "--encoding=UTF8",
                    "--no-sync",
                ])
                .arg("-D")
                .arg(&data),
            "initdb",
        );
        let port = free_port();
        let postgres = Postgres { dir, port, bin };
        postgres.resume();
        postgres
    }

    /// `postgres://..` for the test's database.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Stops the server (immediately, as a crash would), keeping its data.
    pub fn pause(&self) {
        run_as_owner(
            Command::new(self.bin.join("pg_ctl"))
                .args(["stop", "-m", "immediate", "-w", "-D"])
                .arg(self.dir.join("data")),
            "pg_ctl stop",
        );
    }

    /// Starts the server again on its port.
    pub fn resume(&self) {
        let options = format!(
            "-c listen_addresses=127.0.0.1 -c port={} -c unix_socket_directories={} -c fsync=off",
            self.port,
            self.dir.display()
        );
        run_as_owner(
            Command::new(self.bin.join("pg_ctl"))
                .args(["start", "-w", "-t", "60", "-D"])
                .arg(self.dir.join("data"))
                .arg("-l")
                .arg(self.dir.join("log"))
                .args(["-o", &options]),
            "pg_ctl start",
        );
    }

    /// One SQL statement's result, as `psql` prints it unaligned.
    pub fn query(&self, sql: &str) -> String {
        let output = self.client("psql", &["-d", "postgres", "-tAc", sql]);
        String::from_utf8_lossy(&output).into_owned()
    }

    /// `pg_dump` of the database: every byte a backup of it would hold.
    pub fn dump(&self) -> Vec<u8> {
        self.client("pg_dump", &["postgres"])
    }

    /// What one of PostgreSQL's clients prints, connected as `postgres`.
    fn client(&self, program: &str, args: &[&str]) -> Vec<u8> {
        let port = self.port.to_string();
        let output = Command::new(self.bin.join(program))
            .args(["-h", "127.0.0.1", "-U", "postgres", "-p", &port])
            .args(args)
            .output()
            .unwrap_or_else(|error| panic!("{program} runs: {error}"));
        assert!(
            output.status.success(),
            "{program}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        output.stdout
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let _ = owner_command(
            Command::new(self.bin.join("pg_ctl"))
                .args(["stop", "-m", "immediate", "-D"])
                .arg(self.dir.join("data")),
        )
        .output();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The folder of `initdb` and `pg_ctl`: on the `PATH`, or Debian's.
fn binaries() -> PathBuf {
    let on_path = std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path).find(|dir| {
            ["initdb", "pg_ctl", "pg_dump", "psql"]
                .iter()
                .all(|program| dir.join(program).is_file())
        })
    });
    let debian = || {
        let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
            .into_iter()
            .flatten()
            .flatten()
            .map(|entry| entry.path().join("bin"))
            .filter(|bin| bin.join("initdb").is_file() && bin.join("pg_dump").is_file())
            .collect();
        versions.sort();
        versions.pop()
    };
    on_path.or_else(debian).unwrap_or_else(|| {
        panic!(
            "PostgreSQL's initdb and pg_ctl are not installed: install Debian's postgresql, \
             as README.md's set-up line does"
        )
    })
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|output| output.stdout.trim_ascii() == b"0")
}

/// The cluster's folder, owned by the `postgres` user, who runs the server.
fn hand_to_postgres(dir: &Path) {
    let output = Command::new("chown")
        .args(["-R", "postgres:postgres"])
        .arg(dir)
        .output()
        .expect("chown runs");
    assert!(
        output.status.success(),
        "the `postgres` user owns the cluster (Debian's postgresql makes it): {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// `command` as the cluster's owner: `postgres` when the test is root.
fn owner_command(command: &mut Command) -> Command {
    if is_root() {
        let mut runuser = Command::new("runuser");
        runuser
            .args(["-u", "postgres", "--"])
            .arg(command.get_program())
            .args(command.get_args());
        runuser
    } else {
        let mut same = Command::new(command.get_program());
        same.args(command.get_args());
        same
    }
}

fn run_as_owner(command: &mut Command, what: &str) -> Output {
    let output = owner_command(command).output().unwrap_or_else(|error| {
        panic!("{what} can't run ({error}): install Debian's postgresql, as README.md's set-up line does")
    });
    assert!(
        output.status.success(),
        "{what}: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .expect("a free port")
}
