//! Editing `scopes.toml`, end to end: a copy of the two crates is built with
//! an edited file. A new resource and endpoint reach the generated API, and a broken
//! file stops the build with a located error, not a panicking macro.
//!
//! The copies build in their own target dir under `CARGO_TARGET_TMPDIR`, so
//! the first run compiles the macros' dependencies once (about a minute on
//! two cores); later runs are incremental.

use std::path::{Path, PathBuf};
use std::process::Command;

const WORKSPACE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");

/// Lines appended to the copied `fanvue-scopes/src/lib.rs`: they compile
/// only if the generated API has the new resource.
const USES_NEW_RESOURCE: &str = "
const _: Scope = Scope::ReadVaultFolders;
const _: Resource = Resource::VaultFolders;
const _: () = assert!(Scope::COUNT == 16);
const _: Endpoint = endpoint!(GET \"/vault/folder-names\");
const _: () = assert!(Endpoint::ListVaultFolderNames.scopes().contains(Scope::ReadVaultFolders));
";

const NEW_RESOURCE: &str = "
[[resource]]
name = \"Vault Folders\"

[[resource.scope]]
name = \"read:vault_folders\"
description = \"Read the folders of the media vault.\"

[[endpoint]]
operation = \"listVaultFolderNames\"
method = \"GET\"
path = \"/vault/folder-names\"
scopes = [\"read:vault_folders\"]
summary = \"List the names of the vault's folders.\"
";

/// A resource with two scopes and no endpoint yet, as Fanvue adds them.
const NEW_RESOURCE_ALONE: &str = "
[[resource]]
name = \"Polls\"

[[resource.scope]]
name = \"read:polls\"
description = \"Read polls and their results.\"

[[resource.scope]]
name = \"write:polls\"
description = \"Create, close and delete polls.\"
";

/// The scope tests read the file, not a copy of it: after adding a
/// resource, the one test that fails is the README's copy of the table, and
/// its message is the rows to paste; pasted, every test passes.
#[test]
fn after_adding_a_resource_the_scope_tests_ask_only_for_the_readme_rows() {
    let original =
        std::fs::read_to_string(Path::new(WORKSPACE).join("scopes.toml")).expect("scopes.toml");
    let root = copy_repository("scope-tests", &format!("{original}{NEW_RESOURCE_ALONE}"));
    let first = test_scopes(&root);
    assert!(
        !first.success,
        "the README's table can't know the new scopes"
    );
    let failed: Vec<&str> = first
        .stdout
        .lines()
        .filter_map(|line| line.strip_prefix("test ")?.strip_suffix(" ... FAILED"))
        .collect();
    assert_eq!(
        failed,
        ["the_readme_table_matches_scopes_toml_word_for_word"],
        "{}{}",
        first.stdout,
        first.stderr
    );
    // The failure gives the table to paste, new rows included.
    let message = first
        .stdout
        .split("replace its rows with these:\n\n")
        .nth(1);
    let table: Vec<&str> = message
        .map(|rest| {
            rest.lines()
                .take_while(|line| line.starts_with('|'))
                .collect()
        })
        .unwrap_or_default();
    assert!(
        table.contains(&"| Polls | `write:polls` | Create, close and delete polls. |"),
        "{}",
        first.stdout
    );
    let readme = std::fs::read_to_string(root.join("README.md")).expect("README.md");
    let (before, rest) = readme
        .split_once("| Resource | Scope | What it grants |\n")
        .expect("the README's table");
    let after: String = rest
        .lines()
        .skip_while(|line| line.starts_with('|'))
        .map(|line| format!("{line}\n"))
        .collect();
    let pasted = format!("{before}{}\n{after}", table.join("\n"));
    std::fs::write(root.join("README.md"), pasted).expect("README.md");
    let second = test_scopes(&root);
    assert!(second.success, "{}{}", second.stdout, second.stderr);
}

#[test]
fn adding_a_resource_is_one_edit_and_a_broken_file_is_a_located_error() {
    let original =
        std::fs::read_to_string(Path::new(WORKSPACE).join("scopes.toml")).expect("scopes.toml");

    // Without the edit, code using the new resource does not compile: the
    // check below can fail.
    let unedited = check(&copy_workspace("unedited", &original, USES_NEW_RESOURCE));
    assert!(
        !unedited.success,
        "the new resource exists before it was added"
    );
    assert!(
        unedited.stderr.contains("ReadVaultFolders"),
        "{}",
        unedited.stderr
    );

    // One edit to scopes.toml, and it does.
    let edited = format!("{original}{NEW_RESOURCE}");
    let added = check(&copy_workspace("added", &edited, USES_NEW_RESOURCE));
    assert!(added.success, "{}", added.stderr);

    // A duplicate scope: the user sees where, and the macro did not panic.
    let broken = original.replacen("name = \"write:chat\"", "name = \"read:chat\"", 1);
    let line = original
        .lines()
        .position(|line| line == "name = \"write:chat\"")
        .map(|index| index + 1)
        .expect("write:chat in scopes.toml");
    let first = original
        .lines()
        .position(|line| line == "name = \"read:chat\"")
        .map(|index| index + 1)
        .expect("read:chat in scopes.toml");
    let failed = check(&copy_workspace("broken", &broken, ""));
    assert!(!failed.success);
    let expected = format!(
        "error: invalid scopes.toml: scopes.toml:{line}:8: duplicate scope `read:chat` \
         (first defined at scopes.toml:{first}:8)"
    );
    assert!(failed.stderr.contains(&expected), "{}", failed.stderr);
    assert!(!failed.stderr.contains("panicked"), "{}", failed.stderr);
}

struct Outcome {
    success: bool,
    stdout: String,
    stderr: String,
}

fn check(root: &Path) -> Outcome {
    cargo(root, &["check", "--quiet", "-p", "fanvue-scopes", "--lib"])
}

/// `cargo test -p fanvue-scopes --test scopes` in the copy at `root`.
fn test_scopes(root: &Path) -> Outcome {
    cargo(root, &["test", "-p", "fanvue-scopes", "--test", "scopes"])
}

/// Cargo, offline, in the copy at `root`, building into the scratch target.
fn cargo(root: &Path, args: &[&str]) -> Outcome {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let output = Command::new(cargo)
        .args(args)
        .arg("--offline")
        .current_dir(root)
        .env("CARGO_TARGET_DIR", scratch().join("target"))
        .env_remove("RUSTFLAGS")
        .output()
        .expect("cargo runs");
    Outcome {
        success: output.status.success(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// The whole repository as it is here (its build output, git data and
/// installed packages left out), with `scopes_toml` as its file.
fn copy_repository(name: &str, scopes_toml: &str) -> PathBuf {
    let root = scratch().join(name);
    let _ = std::fs::remove_dir_all(&root);
    copy_dir(Path::new(WORKSPACE), &root);
    std::fs::write(root.join("scopes.toml"), scopes_toml).expect("scopes.toml");
    root
}

fn scratch() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("scope-file-edits")
}

/// A workspace of just the two crates, with `scopes_toml` as its file.
fn copy_workspace(name: &str, scopes_toml: &str, append_to_lib: &str) -> PathBuf {
    let source = Path::new(WORKSPACE);
    let root = scratch().join(name);
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root).expect("scratch dir");
    for crate_dir in ["fanvue-scopes", "fanvue-scopes-macros"] {
        copy_dir(&source.join(crate_dir), &root.join(crate_dir));
    }
    for file in ["Cargo.lock", "README.md"] {
        std::fs::copy(source.join(file), root.join(file)).expect("copy");
    }
    let manifest = std::fs::read_to_string(source.join("Cargo.toml")).expect("Cargo.toml");
    let manifest: String = manifest
        .lines()
        .map(|line| match line.split_once('=') {
            Some((key, _)) if matches!(key.trim(), "members" | "default-members") => {
                format!("{key}= [\"fanvue-scopes\", \"fanvue-scopes-macros\"]\n")
            }
            _ => format!("{line}\n"),
        })
        .collect();
    std::fs::write(root.join("Cargo.toml"), manifest).expect("manifest");
    std::fs::write(root.join("scopes.toml"), scopes_toml).expect("scopes.toml");
    let lib = root.join("fanvue-scopes/src/lib.rs");
    let code = std::fs::read_to_string(&lib).expect("lib.rs") + append_to_lib;
    std::fs::write(lib, code).expect("lib.rs");
    root
}

/// Copies a directory, but for build output, git data and installed
/// packages; symbolic links stay links (the macros crate's `scopes.toml`
/// points at the workspace's).
fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("dir");
    for entry in std::fs::read_dir(from).expect("read dir").flatten() {
        let name = entry.file_name();
        if matches!(name.to_str(), Some("target" | ".git" | "node_modules")) {
            continue;
        }
        let (path, target) = (entry.path(), to.join(&name));
        let kind = entry.file_type().expect("file type");
        if kind.is_symlink() {
            let link = std::fs::read_link(&path).expect("link");
            std::os::unix::fs::symlink(link, &target).expect("symlink");
        } else if kind.is_dir() {
            copy_dir(&path, &target);
        } else {
            std::fs::copy(&path, &target).expect("copy");
        }
    }
}
