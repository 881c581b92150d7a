//! Tokens sealed at rest: XChaCha20-Poly1305 (RustCrypto's
//! `chacha20poly1305`) under the app's keys, each sealed value bound to its
//! row and field, and each row naming the key that sealed it, so a key can
//! be added and an old one retired without signing anyone out.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use chacha20poly1305::aead::{Aead, Payload};
use chacha20poly1305::{KeyInit, XChaCha20Poly1305, XNonce};
use std::fmt;
use std::sync::Arc;

/// A nonce's length: 24 random bytes, as XChaCha20 takes, so random nonces
/// never meet.
const NONCE_LEN: usize = 24;

/// The keys that seal tokens at rest: the current one, which seals, and
/// older ones, which still open what they sealed.
///
/// Each key is 32 random bytes with an id of the app's choosing, stored in
/// every row it seals. To rotate, make a new key current and keep the old
/// one beside it; [`GrantStore::reseal`](super::GrantStore::reseal) moves
/// every row to the current key, after which the old one can go.
///
/// ```
/// use fanvue_scopes::grant::Keys;
///
/// // From configuration: `id:key` pairs, the current one first, each key
/// // 32 bytes in base64.
/// let keys = Keys::parse("2026-12:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=,2026-06:ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8=")?;
/// assert_eq!(keys.current_id(), "2026-12");
/// # Ok::<(), fanvue_scopes::grant::InvalidKeys>(())
/// ```
#[derive(Clone)]
pub struct Keys(Arc<[(Box<str>, XChaCha20Poly1305)]>);

impl fmt::Debug for Keys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The ids only: a key never reaches a log.
        f.debug_list()
            .entries(self.0.iter().map(|(id, _)| id))
            .finish()
    }
}

/// Keys that can't be used, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvalidKeys(String);

impl fmt::Display for InvalidKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for InvalidKeys {}

impl Keys {
    /// One key, `id`, current.
    pub fn new(id: &str, key: [u8; 32]) -> Result<Self, InvalidKeys> {
        Keys::from_pairs(vec![(id.to_owned(), key)])
    }

    /// `id`, an older key that still opens what it sealed.
    pub fn with_old(self, id: &str, key: [u8; 32]) -> Result<Self, InvalidKeys> {
        check_id(id)?;
        if self.0.iter().any(|(known, _)| **known == *id) {
            return Err(InvalidKeys(format!("the key id `{id}` is given twice")));
        }
        let mut all = self.0.to_vec();
        all.push((id.into(), XChaCha20Poly1305::new(&key.into())));
        Ok(Keys(all.into()))
    }

    /// Keys from configuration: `id:key` pairs separated by commas, the
    /// current one first, each key 32 bytes in base64 (standard or URL-safe,
    /// padded or not). The error names what is wrong, never a key.
    pub fn parse(text: &str) -> Result<Self, InvalidKeys> {
        let mut pairs = Vec::new();
        for pair in text
            .split(',')
            .map(str::trim)
            .filter(|pair| !pair.is_empty())
        {
            let Some((id, encoded)) = pair.split_once(':') else {
                return Err(InvalidKeys(
                    "each key is `id:base64`, and one has no `:`".to_owned(),
                ));
            };
            let encoded = encoded.trim();
            let bytes = STANDARD
                .decode(encoded)
                .or_else(|_| URL_SAFE_NO_PAD.decode(encoded.trim_end_matches('=')))
                .map_err(|_| InvalidKeys(format!("the key `{id}` is not base64")))?;
            let key: [u8; 32] = bytes.try_into().map_err(|bytes: Vec<u8>| {
                InvalidKeys(format!(
                    "the key `{id}` has {} bytes; a key has 32",
                    bytes.len()
                ))
            })?;
            pairs.push((id.trim().to_owned(), key));
        }
        Keys::from_pairs(pairs)
    }

    /// The keys in the file at `path`, as [`Keys::parse`] reads them; when
    /// there is no file, one is made first, with one random key (id
    /// `local`), readable by its owner only. For a database on one machine:
    /// keep the file apart from the database and its backups. Instances
    /// starting at once all read the one file the first of them made.
    ///
    /// # Errors
    ///
    /// When the file can't be made or read, or holds no valid keys.
    pub fn in_file(path: &std::path::Path) -> std::io::Result<Self> {
        use std::io::{Error, ErrorKind, Write};
        if !path.exists() {
            // Written whole beside it, then linked into place: a reader
            // never meets half a file, and a second maker loses the race.
            // The draft's name is its own (threads of one process too).
            let mut key = [0u8; 32];
            let mut draft_id = [0u8; 8];
            getrandom::fill(&mut key)
                .and_then(|()| getrandom::fill(&mut draft_id))
                .map_err(|_| Error::other("no randomness from the OS"))?;
            let draft = path.with_extension(format!("draft-{:x}", u64::from_le_bytes(draft_id)));
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            let written = options.open(&draft).and_then(|mut file| {
                file.write_all(format!("local:{}\n", STANDARD.encode(key)).as_bytes())?;
                file.sync_all()
            });
            let linked = written.and_then(|()| std::fs::hard_link(&draft, path));
            let _ = std::fs::remove_file(&draft);
            match linked {
                Err(error) if error.kind() != ErrorKind::AlreadyExists => return Err(error),
                _ => {}
            }
        }
        let text = std::fs::read_to_string(path)?;
        Keys::parse(text.trim()).map_err(|error| Error::new(ErrorKind::InvalidData, error))
    }

    fn from_pairs(pairs: Vec<(String, [u8; 32])>) -> Result<Self, InvalidKeys> {
        if pairs.is_empty() {
            return Err(InvalidKeys("no key is given".to_owned()));
        }
        let mut keys: Vec<(Box<str>, XChaCha20Poly1305)> = Vec::with_capacity(pairs.len());
        for (id, key) in pairs {
            check_id(&id)?;
            if keys.iter().any(|(known, _)| **known == *id) {
                return Err(InvalidKeys(format!("the key id `{id}` is given twice")));
            }
            keys.push((id.into(), XChaCha20Poly1305::new(&key.into())));
        }
        Ok(Keys(keys.into()))
    }

    /// The id of the key that seals.
    pub fn current_id(&self) -> &str {
        &self.0[0].0
    }

    /// `plain` sealed under the current key, bound to `context` (the row
    /// and field it is stored in): the nonce, then the ciphertext and tag.
    pub(crate) fn seal(&self, plain: &str, context: &[u8]) -> Result<Vec<u8>, SealError> {
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::fill(&mut nonce).map_err(|_| SealError::NoRandomness)?;
        let sealed = self.0[0]
            .1
            .encrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: plain.as_bytes(),
                    aad: context,
                },
            )
            .map_err(|_| SealError::Open {
                key_id: self.current_id().to_owned(),
            })?;
        let mut out = Vec::with_capacity(NONCE_LEN + sealed.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    /// What [`seal`](Self::seal) sealed under `key_id` for `context`.
    pub(crate) fn open(
        &self,
        key_id: &str,
        sealed: &[u8],
        context: &[u8],
    ) -> Result<String, SealError> {
        let Some((_, cipher)) = self.0.iter().find(|(id, _)| **id == *key_id) else {
            return Err(SealError::UnknownKey {
                key_id: key_id.to_owned(),
            });
        };
        let wrong = || SealError::Open {
            key_id: key_id.to_owned(),
        };
        let (nonce, ciphertext) = sealed.split_at_checked(NONCE_LEN).ok_or_else(wrong)?;
        let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| wrong())?;
        let plain = cipher
            .decrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: ciphertext,
                    aad: context,
                },
            )
            .map_err(|_| wrong())?;
        String::from_utf8(plain).map_err(|_| wrong())
    }
}

fn check_id(id: &str) -> Result<(), InvalidKeys> {
    if id.is_empty() || id.len() > 64 || !id.bytes().all(|b| b.is_ascii_graphic() && b != b',') {
        return Err(InvalidKeys(format!(
            "a key id is 1 to 64 printable ASCII characters without `,`; `{}` is not",
            id.escape_debug()
        )));
    }
    Ok(())
}

/// Why a sealed token could not be opened, or sealed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum SealError {
    /// No key of this id is configured.
    UnknownKey { key_id: String },
    /// The key of this id does not open it: another key under the same id,
    /// or the bytes were changed.
    Open { key_id: String },
    /// The OS gave no random bytes for a nonce.
    NoRandomness,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> Keys {
        Keys::new("k1", [7; 32]).expect("a key")
    }

    #[test]
    fn a_key_file_is_made_once_for_its_owner_and_read_after() {
        let path =
            std::env::temp_dir().join(format!("fanvue-keys-{}.grant-key", std::process::id()));
        let _ = std::fs::remove_file(&path);
        let made = Keys::in_file(&path).expect("made");
        let text = std::fs::read_to_string(&path).expect("the file");
        assert!(text.starts_with("local:"), "{text}");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path)
                .expect("metadata")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let sealed = made.seal("token", b"row").expect("sealed");
        let read = Keys::in_file(&path).expect("read");
        assert_eq!(
            std::fs::read_to_string(&path).expect("the file"),
            text,
            "not made again"
        );
        assert_eq!(read.open("local", &sealed, b"row"), Ok("token".to_owned()));
        // Threads making it at once all read the one key the first made.
        let _ = std::fs::remove_file(&path);
        let made: Vec<Keys> = std::thread::scope(|scope| {
            let makers: Vec<_> = (0..4)
                .map(|_| scope.spawn(|| Keys::in_file(&path)))
                .collect();
            makers
                .into_iter()
                .map(|maker| maker.join().expect("no panic").expect("made or read"))
                .collect()
        });
        let sealed = made[0].seal("token", b"row").expect("sealed");
        for keys in &made {
            assert_eq!(keys.open("local", &sealed, b"row"), Ok("token".to_owned()));
        }
        std::fs::write(&path, "not a key").expect("spoiled");
        let error = Keys::in_file(&path).expect_err("no keys");
        assert_eq!(error.kind(), std::io::ErrorKind::InvalidData);
        let _ = std::fs::remove_file(&path);
    }

    #[test]
    fn a_sealed_token_opens_only_with_its_key_and_context() {
        let keys = keys();
        let sealed = keys
            .seal("at-secret", b"grant\0alice\0access")
            .expect("sealed");
        assert!(!sealed.windows(9).any(|w| w == b"at-secret"));
        assert_eq!(
            keys.open("k1", &sealed, b"grant\0alice\0access"),
            Ok("at-secret".to_owned())
        );
        // Another row or field: refused, not opened.
        assert_eq!(
            keys.open("k1", &sealed, b"grant\0mallory\0access"),
            Err(SealError::Open {
                key_id: "k1".to_owned()
            })
        );
        // Another key under the same id, an unknown id, a cut value.
        let other = Keys::new("k1", [8; 32]).expect("a key");
        assert!(other.open("k1", &sealed, b"grant\0alice\0access").is_err());
        assert_eq!(
            keys.open("k0", &sealed, b"grant\0alice\0access"),
            Err(SealError::UnknownKey {
                key_id: "k0".to_owned()
            })
        );
        assert!(
            keys.open("k1", &sealed[..10], b"grant\0alice\0access")
                .is_err()
        );
        // Two seals of one token differ: each has its own nonce.
        assert_ne!(
            sealed,
            keys.seal("at-secret", b"grant\0alice\0access")
                .expect("sealed")
        );
    }

    #[test]
    fn an_old_key_opens_what_it_sealed_and_the_new_one_seals() {
        let old = keys();
        let sealed = old.seal("rt-1", b"c").expect("sealed");
        let rotated = Keys::new("k2", [9; 32])
            .and_then(|keys| keys.with_old("k1", [7; 32]))
            .expect("keys");
        assert_eq!(rotated.current_id(), "k2");
        assert_eq!(rotated.open("k1", &sealed, b"c"), Ok("rt-1".to_owned()));
        let resealed = rotated.seal("rt-1", b"c").expect("sealed");
        assert_eq!(rotated.open("k2", &resealed, b"c"), Ok("rt-1".to_owned()));
        assert!(old.open("k2", &resealed, b"c").is_err());
    }

    #[test]
    fn keys_from_configuration_say_what_is_wrong_and_never_show_a_key() {
        let key = STANDARD.encode([1u8; 32]);
        let keys = Keys::parse(&format!(
            " new:{key} , old:{} ",
            URL_SAFE_NO_PAD.encode([2u8; 32])
        ))
        .expect("keys");
        assert_eq!(keys.current_id(), "new");
        assert_eq!(format!("{keys:?}"), r#"["new", "old"]"#);
        for (text, said) in [
            ("", "no key is given"),
            ("k1", "has no `:`"),
            ("k1:!!!", "the key `k1` is not base64"),
            ("k1:AAAA", "the key `k1` has 3 bytes; a key has 32"),
            (&format!("k1:{key},k1:{key}"), "`k1` is given twice"),
            (&format!(":{key}"), "a key id is 1 to 64"),
        ] {
            let error = Keys::parse(text).expect_err(text).to_string();
            assert!(error.contains(said), "{text:?}: {error}");
            assert!(!error.contains(&key), "{error}");
        }
        assert!(keys.with_old("new", [3; 32]).is_err());
    }
}
