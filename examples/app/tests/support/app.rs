//! The example app, run as its own process; killed on drop.
#![allow(dead_code)] // Each test file uses some of it.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

pub struct AppProcess {
    child: Child,
    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub url: String,
}

/// A fresh SQLite database for a test's app: its file, with no WAL or key
/// left from an earlier run beside it.
pub fn database_file(name: &str) -> PathBuf {
    let path =
        std::env::temp_dir().join(format!("fanvue-app-{name}-{}.sqlite3", std::process::id()));
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    path
}

impl AppProcess {
    /// Starts the app on `port` (`0` for a free one) against its own
    /// in-process stand-in, its database the SQLite file `database`, and
    /// waits for the URL it prints.
    pub fn start(database: &Path, port: u16) -> AppProcess {
        AppProcess::start_with(
            &[(
                "APP_DATABASE_URL",
                format!("sqlite://{}", database.display()),
            )],
            port,
        )
    }

    /// Starts the app on `port` with `env` (its database, a shared
    /// stand-in, ..), and waits for the URL it prints.
    pub fn start_with(env: &[(&str, String)], port: u16) -> AppProcess {
        let binary = Path::new(env!("CARGO_BIN_EXE_app"));
        let mut command = Command::new(binary);
        command
            .env("PORT", port.to_string())
            .env_remove("FANVUE_CLIENT_ID")
            .env_remove("FANVUE_STAND_IN")
            .env_remove("APP_GRANT_KEYS")
            .stdout(Stdio::piped());
        for (name, value) in env {
            command.env(name, value);
        }
        let mut child = command
            .spawn()
            .unwrap_or_else(|error| panic!("{}: {error}", binary.display()));
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("the app's first line");
        let url = line
            .trim()
            .rsplit(' ')
            .next()
            .unwrap_or_default()
            .trim_end_matches('/')
            .to_owned();
        assert!(url.starts_with("http://127.0.0.1:"), "{line:?}");
        AppProcess { child, url }
    }

    /// Kills the process at once (SIGKILL), as a crash would.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for AppProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
