//! The generated API against the facts of Fanvue's scope table.

use fanvue_scopes::{ParseScopeSetError, Resource, Scope, ScopeSet};

/// One `[[resource.scope]]` of `scopes.toml`, with its resource.
struct FileScope {
    resource: String,
    name: String,
    description: String,
}

/// The scopes of `scopes.toml`, in file order, read here on their own: the
/// generated code must agree with the file, whatever resources it holds.
/// (The Rust names derived from them are checked by compiling code that
/// uses them, in `tests/scope_file_edits.rs`.)
fn file_scopes() -> Vec<FileScope> {
    let text = include_str!("../../scopes.toml");
    let file: toml::Table = text.parse().expect("scopes.toml is TOML");
    let text_of = |table: &toml::Table, key: &str| -> Option<String> {
        table
            .get(key)
            .and_then(toml::Value::as_str)
            .map(str::to_owned)
    };
    let mut scopes = Vec::new();
    for resource in file["resource"].as_array().expect("[[resource]]") {
        let resource = resource.as_table().expect("a table");
        let name = text_of(resource, "name").expect("a resource name");
        for scope in resource["scope"].as_array().expect("[[resource.scope]]") {
            let scope = scope.as_table().expect("a table");
            scopes.push(FileScope {
                resource: name.clone(),
                name: text_of(scope, "name").expect("a scope name"),
                description: text_of(scope, "description").expect("a description"),
            });
        }
    }
    scopes
}

#[test]
fn every_scope_has_its_string_variant_resource_and_description() {
    let file = file_scopes();
    assert_eq!(Scope::ALL.len(), file.len());
    assert_eq!(Scope::COUNT, file.len());
    for (index, expected) in file.iter().enumerate() {
        let scope = Scope::ALL[index];
        let name = expected.name.as_str();
        assert_eq!(scope.as_str(), name, "file order");
        assert_eq!(scope.to_string(), name);
        assert_eq!(name.parse::<Scope>(), Ok(scope));
        assert_eq!(Scope::try_from(name), Ok(scope));
        assert_eq!(scope.description(), expected.description);
        let resource = scope.resource();
        assert_eq!(resource.name(), expected.resource);
        assert!(resource.scopes().contains(scope));
    }
}

/// Facts of Fanvue's scope table that our descriptions must keep.
#[test]
fn descriptions_keep_the_facts_of_the_reference() {
    assert!(Scope::WriteMedia.description().contains("vault folders"));
    assert!(
        Scope::ReadTrackingLinks
            .description()
            .contains("tracking metadata")
    );
    assert!(Scope::WriteAgency.description().contains("invit"));
    assert!(Scope::ReadPost.description().contains("tips"));
}

#[test]
fn resources_follow_the_file_in_order_and_name() {
    let mut expected: Vec<String> = file_scopes().into_iter().map(|s| s.resource).collect();
    expected.dedup();
    let names: Vec<&str> = Resource::ALL.iter().map(|r| r.name()).collect();
    assert_eq!(names, expected);
    let union = Resource::ALL
        .iter()
        .fold(ScopeSet::EMPTY, |all, resource| all | resource.scopes());
    assert_eq!(union, ScopeSet::ALL);
    assert_eq!(Resource::Chat.scopes().to_string(), "read:chat write:chat");
}

#[test]
fn unknown_scopes_are_rejected_with_a_suggestion() {
    let typo = "read:chats".parse::<Scope>().unwrap_err();
    assert_eq!(typo.name(), "read:chats");
    assert_eq!(typo.suggestion(), Some(Scope::ReadChat));
    let case = "Read:Self".parse::<Scope>().unwrap_err();
    assert_eq!(
        case.to_string(),
        "unknown scope `Read:Self`; scopes are case-sensitive: did you mean `read:self`?"
    );
    let far = "openid".parse::<Scope>().unwrap_err();
    assert_eq!(
        (far.suggestion(), far.to_string()),
        (None, "unknown scope `openid`".to_owned())
    );
}

#[test]
fn hostile_names_are_shown_escaped_and_short() {
    let name = format!("\u{1b}[31m{}", "x".repeat(10_000));
    let error = name.parse::<Scope>().unwrap_err();
    assert_eq!(error.name(), name, "the name is kept whole");
    let shown = error.to_string();
    assert!(
        shown.starts_with("unknown scope `\\u{1b}[31mxxx"),
        "{shown}"
    );
    assert!(shown.ends_with("x…`"), "{shown}");
    assert!(shown.len() < 100);
}

#[test]
fn sets_round_trip_through_their_text_form() {
    let samples = [
        ScopeSet::EMPTY,
        ScopeSet::ALL,
        ScopeSet::from_scopes(&[Scope::WriteAgency, Scope::ReadSelf]),
        Resource::TrackingLinks.scopes(),
    ];
    for set in samples {
        assert_eq!(set.to_string().parse::<ScopeSet>(), Ok(set), "{set}");
    }
    // Every one of the 2^COUNT sets would be slow in debug; every 7th covers all bits.
    for bits in (0..=ScopeSet::ALL.bits()).step_by(7) {
        let set = ScopeSet::from_bits(bits).unwrap();
        assert_eq!(set.to_string().parse::<ScopeSet>(), Ok(set));
    }
}

#[test]
fn display_is_space_delimited_in_file_order() {
    let set = ScopeSet::from_scopes(&[Scope::WriteChat, Scope::ReadSelf, Scope::ReadChat]);
    assert_eq!(set.to_string(), "read:self read:chat write:chat");
    assert_eq!(format!("{set:?}"), "{read:self, read:chat, write:chat}");
    assert_eq!(set.iter().len(), 3);
}

#[test]
fn strict_parsing_rejects_unknown_names_and_stray_spaces() {
    assert_eq!(
        "read:self read:chats"
            .parse::<ScopeSet>()
            .unwrap_err()
            .to_string(),
        "unknown scope `read:chats`; did you mean `read:chat`?"
    );
    assert_eq!(
        "read:self  read:chat".parse::<ScopeSet>(),
        Err(ParseScopeSetError::EmptyName { offset: 10 })
    );
    assert!(" read:self".parse::<ScopeSet>().is_err());
    assert!("read:self ".parse::<ScopeSet>().is_err());
    assert!("read:self\tread:chat".parse::<ScopeSet>().is_err());
}

#[test]
fn lenient_parsing_keeps_unknown_names_aside() {
    let token = ScopeSet::parse_lenient("  openid read:chat\tread:future\n\nread:chat Read:Self ");
    assert_eq!(token.known(), ScopeSet::from_scope(Scope::ReadChat));
    assert!(token.has_unknown());
    assert_eq!(
        token.unknown().collect::<Vec<_>>(),
        ["read:future", "Read:Self"]
    );
    let protocol: Vec<_> = token.protocol().map(|scope| scope.as_str()).collect();
    assert_eq!(
        protocol,
        ["openid"],
        "protocol scopes are recognized, not unknown"
    );
    let clean = ScopeSet::parse_lenient("read:self write:chat");
    assert!(!clean.has_unknown());
    assert_eq!(clean.unknown().count(), 0);
    assert_eq!(ScopeSet::parse_lenient("").known(), ScopeSet::EMPTY);
}

#[test]
fn set_algebra_is_const() {
    const READ: ScopeSet = ScopeSet::from_scopes(&[Scope::ReadChat, Scope::ReadSelf]);
    const CHAT: ScopeSet = Resource::Chat.scopes();
    const BOTH: ScopeSet = READ.union(CHAT);
    const ONLY_READ: ScopeSet = READ.difference(CHAT);
    assert_eq!(BOTH.len(), 3);
    assert_eq!(ONLY_READ, ScopeSet::from_scope(Scope::ReadSelf));
    assert_eq!(READ & CHAT, ScopeSet::from_scope(Scope::ReadChat));
    assert!(BOTH.contains_all(READ) && !READ.contains_all(BOTH));
    assert!(READ.intersects(CHAT) && !ONLY_READ.intersects(CHAT));
    assert_eq!(READ.complement().len(), Scope::COUNT - 2);
    assert_eq!(ScopeSet::from_bits(1 << 63), None);
    let mut set = ScopeSet::EMPTY;
    assert!(set.insert(Scope::ReadFan) && !set.insert(Scope::ReadFan));
    assert!(set.remove(Scope::ReadFan) && set.is_empty());
}

#[cfg(feature = "serde")]
#[test]
fn serde_uses_the_text_forms() {
    use serde::de::value::{Error, StrDeserializer};
    use serde::de::{Deserialize, IntoDeserializer};

    let scope: Result<Scope, Error> = Scope::deserialize(StrDeserializer::new("write:post"));
    assert_eq!(scope, Ok(Scope::WritePost));
    let bad: Result<Scope, Error> = Scope::deserialize("write:posts".into_deserializer());
    assert_eq!(
        bad.unwrap_err().to_string(),
        "unknown scope `write:posts`; did you mean `write:post`?"
    );
    let set: Result<ScopeSet, Error> =
        ScopeSet::deserialize("read:self read:fan".into_deserializer());
    assert_eq!(
        set,
        Ok(ScopeSet::from_scopes(&[Scope::ReadSelf, Scope::ReadFan]))
    );
}

/// README.md's copy of the scope table. A resource or scope added to
/// `scopes.toml` fails this check alone, and its message is the table to
/// paste.
#[test]
fn the_readme_table_matches_scopes_toml_word_for_word() {
    let readme = include_str!("../../README.md");
    let table: Vec<&str> = readme
        .lines()
        .skip_while(|line| *line != "| Resource | Scope | What it grants |")
        .skip(2)
        .take_while(|line| line.starts_with('|'))
        .collect();
    let expected: Vec<String> = Scope::ALL
        .iter()
        .map(|scope| {
            format!(
                "| {} | `{}` | {} |",
                scope.resource(),
                scope.as_str(),
                scope.description()
            )
        })
        .collect();
    assert!(
        table == expected,
        "README.md's scope table is not scopes.toml's; replace its rows with these:\n\n\
         | Resource | Scope | What it grants |\n|---|---|---|\n{}\n",
        expected.join("\n")
    );
}

#[test]
fn the_readme_shows_the_quickstart_example_as_it_is() {
    let readme = include_str!("../../README.md");
    let program = include_str!("../examples/quickstart.rs");
    assert!(
        readme.contains(&format!("```rust\n{program}```")),
        "README.md must show examples/quickstart.rs verbatim"
    );
}

/// Every path the README names in backticks, from the repository's root,
/// is there (build output under `target/` aside).
#[test]
fn every_path_the_readme_names_exists() {
    let readme = include_str!("../../README.md");
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut checked = 0;
    for (index, quoted) in readme.split('`').enumerate() {
        let is_path = index % 2 == 1
            && quoted.contains('/')
            && !quoted.starts_with('/')
            && !quoted.starts_with("target/")
            && !quoted.contains(|c: char| c.is_whitespace() || "{}:\"=<>*".contains(c))
            && quoted.starts_with(|c: char| c.is_ascii_alphabetic())
            // A file (its last part has an extension) or a folder (`dir/`):
            // not `tools/call` or `io.fanvue/scopes`.
            && (quoted.ends_with('/') || quoted.rsplit('/').next().is_some_and(|last| last.contains('.')));
        if is_path {
            assert!(
                root.join(quoted).exists(),
                "README.md names `{quoted}`, which is not there"
            );
            checked += 1;
        }
    }
    assert!(checked >= 5, "found only {checked} paths in README.md");
}

/// Every `cargo run -p fanvue-scopes --example NAME --features ..` in the
/// README names an example that exists, with the features it requires.
#[test]
fn every_example_command_in_the_readme_runs_as_written() {
    let readme = include_str!("../../README.md");
    let manifest: toml::Table = include_str!("../Cargo.toml").parse().expect("Cargo.toml");
    let examples = manifest["example"].as_array().expect("[[example]] tables");
    let mut commands = 0;
    for command in readme
        .split('`')
        .filter(|text| text.starts_with("cargo run -p fanvue-scopes --example "))
    {
        let words: Vec<&str> = command.split_whitespace().collect();
        let name = words[words
            .iter()
            .position(|word| *word == "--example")
            .expect("--example")
            + 1];
        let features: Vec<&str> = words
            .iter()
            .position(|word| *word == "--features")
            .map(|at| words[at + 1].split(',').collect())
            .unwrap_or_default();
        let example = examples
            .iter()
            .find(|example| example["name"].as_str() == Some(name))
            .unwrap_or_else(|| panic!("`{command}`: no example `{name}`"));
        let required = example.get("required-features").and_then(|f| f.as_array());
        for feature in required.into_iter().flatten() {
            let feature = feature.as_str().expect("a feature name");
            assert!(
                features.contains(&feature),
                "`{command}` lacks the feature `{feature}`"
            );
        }
        commands += 1;
    }
    assert!(
        commands >= 5,
        "found only {commands} example commands in README.md"
    );
}

/// The numbers the README states about the catalog are the catalog's.
#[test]
fn the_readme_counts_the_catalog_as_it_is() {
    let readme = include_str!("../../README.md");
    let stated = format!(
        "Fanvue's {} API operations (API version\n{})",
        fanvue_scopes::Endpoint::ALL.len(),
        fanvue_scopes::API_VERSION
    );
    assert!(readme.contains(&stated), "README.md should say {stated:?}");
}

/// The suggestions the macros give at compile time too, from the corpus
/// both crates test (`tests/suggestions.tsv`).
#[test]
fn suggestions_agree_with_the_macros() {
    let corpus = include_str!("../../tests/suggestions.tsv");
    for line in corpus.lines().filter(|line| !line.starts_with('#')) {
        let (typo, expected) = line.split_once('\t').expect("typo<TAB>suggestion");
        let error = typo.parse::<Scope>().expect_err(typo);
        let suggested = error.suggestion().map_or("", Scope::as_str);
        assert_eq!(suggested, expected, "{typo:?}");
    }
}
