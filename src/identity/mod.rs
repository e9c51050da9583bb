//! guard's signing identity: one Ed25519 key per machine and user, kept in
//! guard's state directory (`identity/`), which no session can read. It signs
//! each session's token (a JWT that a secrets server verifies against the
//! published keys, [`jwks`]) and seals each session's log.
//!
//! On disk: `KID.key` (the 32-byte private seed, mode 0600), `KID.pub.json`
//! (the public key, when it was made and, once rotated out, when its tokens
//! have all expired) and `current` (the kid that signs). A kid is the key's
//! RFC 7638 thumbprint. Rotation makes a new key current and deletes the old
//! private key at once; its public key stays in the JWKS until the last token
//! it signed has expired, and on disk for ever, to verify old logs.

pub mod jws;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::{SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::io::{Read, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

/// Why the identity could not be made, read or used.
#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    /// `guard identity init` has not been run.
    #[error("no signing identity in {0} (run `guard identity init`)")]
    Missing(PathBuf),
    /// `guard identity init` on an identity that exists.
    #[error("{0} already holds a signing identity (`guard identity rotate` makes a new key)")]
    Exists(PathBuf),
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// A file is not what guard wrote.
    #[error("{path}: {reason}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
}

/// The key that signs now.
#[derive(Debug)]
pub struct Identity {
    /// Its kid.
    pub kid: String,
    key: SigningKey,
}

impl Identity {
    /// Signs `claims` as a compact JWS.
    pub fn sign(&self, claims: &Value) -> String {
        jws::sign(&self.key, &self.kid, claims)
    }
}

/// Signs one session's tokens: its claims, each token with its own
/// audience and lifetime.
#[derive(Debug)]
pub struct Signer {
    identity: Identity,
    claims: Value,
}

impl Signer {
    /// A signer of tokens that say `claims` (an object; `aud`, `iat`, `nbf`
    /// and `exp` are set per token).
    pub fn new(identity: Identity, claims: Value) -> Signer {
        Signer { identity, claims }
    }

    /// What every token of the session says.
    pub fn claims(&self) -> &Value {
        &self.claims
    }

    /// A token for `audience`, valid from now for `lifetime` seconds.
    pub fn token(&self, audience: &str, lifetime: u64) -> String {
        let now = crate::clock::now().as_secs();
        let mut claims = self.claims.clone();
        if let Some(object) = claims.as_object_mut() {
            object.insert("aud".into(), json!(audience));
            object.insert("iat".into(), json!(now));
            object.insert("nbf".into(), json!(now));
            object.insert("exp".into(), json!(now + lifetime));
        }
        self.identity.sign(&claims)
    }
}

/// A public key, as `KID.pub.json` has it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PublicKey {
    /// The RFC 7638 thumbprint.
    pub kid: String,
    /// The key (base64url, as a JWK's `x`).
    pub x: String,
    /// When it was made (Unix seconds).
    pub created_at: u64,
    /// Once rotated out: when the last token it signed has expired.
    #[serde(default)]
    pub retire_after: Option<u64>,
}

impl PublicKey {
    /// The key itself, if `x` is one.
    pub fn verifying_key(&self) -> Option<VerifyingKey> {
        let bytes: [u8; 32] = URL_SAFE_NO_PAD.decode(&self.x).ok()?.try_into().ok()?;
        VerifyingKey::from_bytes(&bytes).ok()
    }

    /// The key as a PEM `PUBLIC KEY` (SubjectPublicKeyInfo, RFC 8410).
    pub fn pem(&self) -> Option<String> {
        use base64::engine::general_purpose::STANDARD;
        // The DER of an Ed25519 SubjectPublicKeyInfo up to the key's bytes.
        const PREFIX: [u8; 12] = [
            0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
        ];
        let mut der = PREFIX.to_vec();
        der.extend_from_slice(self.verifying_key()?.as_bytes());
        Some(format!(
            "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
            STANDARD.encode(der)
        ))
    }

    /// The key as a JWK.
    pub fn jwk(&self) -> Value {
        json!({"kty": "OKP", "crv": "Ed25519", "x": self.x, "kid": self.kid, "alg": "EdDSA", "use": "sig"})
    }
}

/// The RFC 7638 thumbprint of an Ed25519 public key.
pub fn thumbprint(key: &VerifyingKey) -> String {
    // The required members in lexicographic order, no whitespace.
    let canonical = format!(
        r#"{{"crv":"Ed25519","kty":"OKP","x":"{}"}}"#,
        jws::base64url(key.as_bytes())
    );
    jws::base64url(&crate::digest::sha256(canonical.as_bytes()))
}

/// Makes the first key. Fails if there is one.
pub fn init(dir: &Path) -> Result<PublicKey, IdentityError> {
    if dir.join("current").exists() {
        return Err(IdentityError::Exists(dir.to_path_buf()));
    }
    make_current(dir)
}

/// Makes a new key current; the old one's public key stays published
/// until `token_lifetime` seconds from now, and its private key is
/// deleted. Returns the new key and the kid rotated out.
pub fn rotate(dir: &Path, token_lifetime: u64) -> Result<(PublicKey, String), IdentityError> {
    let old = current(dir)?;
    let mut public = read_public(dir, &old.kid)?;
    public.retire_after = Some(crate::clock::now().as_secs() + token_lifetime);
    let new = make_current(dir)?;
    write_new(
        &dir.join(format!("{}.pub.json", old.kid)),
        &serde_json::to_vec_pretty(&public).expect("a public key serializes"),
        0o644,
        true,
    )?;
    let private = dir.join(format!("{}.key", old.kid));
    std::fs::remove_file(&private).map_err(|source| IdentityError::Io {
        path: private,
        source,
    })?;
    Ok((new, old.kid))
}

/// The key that signs now.
pub fn current(dir: &Path) -> Result<Identity, IdentityError> {
    let pointer = dir.join("current");
    let kid = match std::fs::read_to_string(&pointer) {
        Ok(kid) => kid.trim().to_string(),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            return Err(IdentityError::Missing(dir.to_path_buf()));
        }
        Err(source) => {
            return Err(IdentityError::Io {
                path: pointer,
                source,
            });
        }
    };
    let path = dir.join(format!("{kid}.key"));
    let mut seed = [0u8; 32];
    std::fs::File::open(&path)
        .and_then(|mut file| file.read_exact(&mut seed))
        .map_err(|source| IdentityError::Io {
            path: path.clone(),
            source,
        })?;
    let key = SigningKey::from_bytes(&seed);
    if thumbprint(&key.verifying_key()) != kid {
        return Err(IdentityError::Corrupt {
            path,
            reason: "the key is not the one its name says".into(),
        });
    }
    Ok(Identity { kid, key })
}

/// Every public key on disk, retired ones included (old logs verify with
/// them).
pub fn all_public_keys(dir: &Path) -> Result<Vec<PublicKey>, IdentityError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => {
            return Err(IdentityError::Io {
                path: dir.to_path_buf(),
                source,
            });
        }
    };
    let mut keys = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if let Some(kid) = name.strip_suffix(".pub.json") {
            keys.push(read_public(dir, kid)?);
        }
    }
    keys.sort_by(|a, b| (a.created_at, &a.kid).cmp(&(b.created_at, &b.kid)));
    Ok(keys)
}

/// Every key whose tokens may still be valid.
pub fn published_keys(dir: &Path) -> Result<Vec<PublicKey>, IdentityError> {
    let now = crate::clock::now().as_secs();
    Ok(all_public_keys(dir)?
        .into_iter()
        .filter(|key| key.retire_after.is_none_or(|after| after > now))
        .collect())
}

/// The JWKS a verifier of session tokens needs: every key whose tokens may
/// still be valid.
pub fn jwks(dir: &Path) -> Result<Value, IdentityError> {
    let keys: Vec<Value> = published_keys(dir)?.iter().map(PublicKey::jwk).collect();
    Ok(json!({ "keys": keys }))
}

/// The keys of a JWKS document (Ed25519 ones; others are skipped).
pub fn keys_of_jwks(jwks: &Value) -> Vec<PublicKey> {
    jwks["keys"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|jwk| jwk["kty"] == "OKP" && jwk["crv"] == "Ed25519")
        .filter_map(|jwk| {
            let public = PublicKey {
                kid: jwk["kid"].as_str()?.to_string(),
                x: jwk["x"].as_str()?.to_string(),
                created_at: 0,
                retire_after: None,
            };
            public.verifying_key().map(|_| public)
        })
        .collect()
}

fn make_current(dir: &Path) -> Result<PublicKey, IdentityError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| IdentityError::Io { path, source }
    };
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(io(dir))?;
    let mut seed = [0u8; 32];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut random| random.read_exact(&mut seed))
        .map_err(io(Path::new("/dev/urandom")))?;
    let key = SigningKey::from_bytes(&seed);
    let kid = thumbprint(&key.verifying_key());
    write_new(&dir.join(format!("{kid}.key")), &seed, 0o600, false)?;
    let public = PublicKey {
        kid: kid.clone(),
        x: jws::base64url(key.verifying_key().as_bytes()),
        created_at: crate::clock::now().as_secs(),
        retire_after: None,
    };
    write_new(
        &dir.join(format!("{kid}.pub.json")),
        &serde_json::to_vec_pretty(&public).expect("a public key serializes"),
        0o644,
        false,
    )?;
    write_new(&dir.join("current"), kid.as_bytes(), 0o644, true)?;
    Ok(public)
}

fn read_public(dir: &Path, kid: &str) -> Result<PublicKey, IdentityError> {
    let path = dir.join(format!("{kid}.pub.json"));
    let bytes = std::fs::read(&path).map_err(|source| IdentityError::Io {
        path: path.clone(),
        source,
    })?;
    let public: PublicKey = serde_json::from_slice(&bytes).map_err(|e| IdentityError::Corrupt {
        path: path.clone(),
        reason: e.to_string(),
    })?;
    match public.verifying_key() {
        Some(key) if thumbprint(&key) == public.kid && public.kid == kid => Ok(public),
        _ => Err(IdentityError::Corrupt {
            path,
            reason: "the key is not the one its name says".into(),
        }),
    }
}

/// Writes `bytes` to `path` with `mode`: a new file, or with `replace` a
/// new file renamed over the old one. Never through a symbolic link.
fn write_new(path: &Path, bytes: &[u8], mode: u32, replace: bool) -> Result<(), IdentityError> {
    let io = |source| IdentityError::Io {
        path: path.to_path_buf(),
        source,
    };
    let target = match replace {
        true => path.with_extension("new"),
        false => path.to_path_buf(),
    };
    if replace {
        let _ = std::fs::remove_file(&target);
    }
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(&target)
        .map_err(io)?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(io)?;
    if replace {
        std::fs::rename(&target, path).map_err(io)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn init_rotate_and_the_published_keys() {
        let dir = tempfile::tempdir().unwrap();
        let dir = dir.path().join("identity");
        assert!(matches!(current(&dir), Err(IdentityError::Missing(_))));
        let first = init(&dir).unwrap();
        assert!(matches!(init(&dir), Err(IdentityError::Exists(_))));
        let private = dir.join(format!("{}.key", first.kid));
        assert_eq!(
            std::fs::metadata(&private).unwrap().permissions().mode() & 0o777,
            0o600
        );
        let signer = current(&dir).unwrap();
        assert_eq!(signer.kid, first.kid);
        let (second, retired) = rotate(&dir, 3600).unwrap();
        assert_eq!(retired, first.kid);
        assert!(!private.exists(), "the old private key is gone");
        assert_eq!(current(&dir).unwrap().kid, second.kid);
        // Both are published while the old key's tokens may live.
        let published = keys_of_jwks(&jwks(&dir).unwrap());
        let kids: Vec<_> = published.iter().map(|k| k.kid.as_str()).collect();
        assert_eq!(kids.len(), 2, "{kids:?}");
        // Rotated out with no token lifetime left: only the new one.
        rotate(&dir, 0).unwrap();
        assert_eq!(keys_of_jwks(&jwks(&dir).unwrap()).len(), 2);
        assert_eq!(all_public_keys(&dir).unwrap().len(), 3);
    }

    #[test]
    fn the_thumbprint_is_rfc_7638s() {
        // RFC 8037, appendix A.3.
        let x = URL_SAFE_NO_PAD
            .decode("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo")
            .unwrap();
        let key = VerifyingKey::from_bytes(&x.try_into().unwrap()).unwrap();
        assert_eq!(
            thumbprint(&key),
            "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"
        );
    }
}
