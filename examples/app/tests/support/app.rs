//! The example app, run as its own process against its
//! in-process stand-in Fanvue; killed on drop.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

pub struct AppProcess {
    child: Child,
    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub url: String,
}

impl AppProcess {
    /// Starts the app on `port` (`0` for a free one), its sessions in
    /// `sessions`, and waits for the URL it prints.
    pub fn start(sessions: &Path, port: u16) -> AppProcess {
        let binary = Path::new(env!("CARGO_BIN_EXE_app"));
        let mut child = Command::new(binary)
            .env("PORT", port.to_string())
            .env("APP_SESSIONS", sessions)
            .env_remove("FANVUE_CLIENT_ID")
            .stdout(Stdio::piped())
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
}

impl Drop for AppProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
