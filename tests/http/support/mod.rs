//! What the tests of this member share: runtimes, an HTTP client that shows
//! redirects rather than follows them, and a browser's first step through an
//! authorize URL.
#![allow(dead_code)] // Each test file uses some of it.

use std::time::Duration;

/// A runtime for one test, on its thread.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

/// A runtime whose workers serve while the test blocks on a process.
pub fn multi_thread_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

/// A client that reports redirects instead of following them, as a test of
/// an authorization server needs.
pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .expect("a client")
}

/// Opens an authorize URL as the user's browser would, with the stand-in's
/// consent scripted: where it redirects to.
pub async fn redirected_to(url: &str) -> String {
    let response = http()
        .get(url)
        .send()
        .await
        .expect("the authorize endpoint answers");
    response
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_else(|| panic!("no redirect: {}", response.status()))
        .to_owned()
}

/// The clients no one here wrote, outside Rust, installed from the
/// registries by the tests themselves, once, from lock files: the README's
/// test command needs no other step. What the OS must provide (`python3`
/// with `venv`, `node` with `npm`) is named in one line when missing.
pub mod clients {
    use std::path::{Path, PathBuf};
    use std::process::Command;

    const CLIENTS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/clients");

    /// A test binary's tests run on threads of one process: one of them
    /// installs, the others wait for it and find the install.
    static INSTALLING: std::sync::Mutex<()> = std::sync::Mutex::new(());

    fn one_at_a_time() -> std::sync::MutexGuard<'static, ()> {
        INSTALLING
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The Python of a virtualenv under `target/test-clients/python` with
    /// exactly the packages of `clients/requirements.txt`.
    pub fn python() -> PathBuf {
        let _installing = one_at_a_time();
        let lock = Path::new(CLIENTS).join("requirements.txt");
        let venv = installed(&target_dir().join("test-clients/python"), &lock, |dir| {
            run(
                Command::new("python3").args(["-m", "venv"]).arg(dir),
                "python3 -m venv",
                "python3 and python3-venv",
            );
            run(
                Command::new(dir.join("bin/python"))
                    .args([
                        "-m",
                        "pip",
                        "install",
                        "--quiet",
                        "--no-deps",
                        "--disable-pip-version-check",
                        "-r",
                    ])
                    .arg(&lock),
                "pip install -r tests/http/clients/requirements.txt",
                "python3-venv",
            );
        });
        venv.join("bin/python")
    }

    /// `clients/ts`, with the packages of its `package-lock.json` installed
    /// (`npm ci`): run its scripts with `node`.
    pub fn typescript() -> PathBuf {
        let _installing = one_at_a_time();
        let dir = Path::new(CLIENTS).join("ts");
        let stamp = dir.join("node_modules/.installed-from-package-lock.json");
        let lock = std::fs::read(dir.join("package-lock.json")).expect("package-lock.json");
        if std::fs::read(&stamp).ok().as_ref() != Some(&lock) {
            run(
                Command::new("npm")
                    .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
                    .current_dir(&dir),
                "npm ci in tests/http/clients/ts",
                "npm",
            );
            std::fs::write(&stamp, &lock).expect("the install's stamp");
        }
        require("node", "nodejs");
        dir
    }

    /// `dir`, made by `install` unless it was made from this `lock` before:
    /// built beside it and renamed into place, so a test run stopped half
    /// way leaves nothing that passes for an install.
    fn installed(dir: &Path, lock: &Path, install: impl FnOnce(&Path)) -> PathBuf {
        let stamp = |dir: &Path| dir.join("installed-from.txt");
        let wanted = std::fs::read(lock).expect("the lock file");
        if std::fs::read(stamp(dir)).ok().as_ref() == Some(&wanted) {
            return dir.to_owned();
        }
        let building = dir.with_extension(format!("building-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&building);
        std::fs::create_dir_all(building.parent().expect("a parent")).expect("target/test-clients");
        install(&building);
        std::fs::write(stamp(&building), &wanted).expect("the install's stamp");
        let _ = std::fs::remove_dir_all(dir);
        if std::fs::rename(&building, dir).is_err() {
            // Another test process put its own in place first.
            let _ = std::fs::remove_dir_all(&building);
        }
        dir.to_owned()
    }

    /// The workspace's `target/`, where this test binary was built.
    fn target_dir() -> PathBuf {
        let exe = std::env::current_exe().expect("the test binary's path");
        // target/<profile>/deps/<test binary>
        exe.ancestors().nth(3).expect("target/").to_owned()
    }

    /// Runs `command`; a program that is not there, or fails, is one line
    /// that names what to install.
    fn run(command: &mut Command, what: &str, debian: &str) {
        let program = command.get_program().to_string_lossy().into_owned();
        match command.output() {
            Ok(output) if output.status.success() => {}
            Ok(output) => panic!(
                "{what} failed ({}):\n{}{}",
                output.status,
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            ),
            Err(_) => panic!(
                "`{program}` is not installed: install Debian's {debian}, as \
                 README.md's set-up line does"
            ),
        }
    }

    fn require(program: &str, debian: &str) {
        run(Command::new(program).arg("--version"), program, debian);
    }
}
