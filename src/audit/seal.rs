//! The signature that seals a log: the `session_end` record's `signature`,
//! a compact JWS by guard's signing key ([`crate::identity`]) over the
//! session, the record's number and the hash of the record without its
//! signature. That record's `prev` ties it to every record before it, so the
//! signature covers the whole log; and since the chain's hashes are unkeyed,
//! it is what tells a log guard wrote from one rewritten and re-chained
//! elsewhere.

use crate::identity::jws::{self, JwsError};
use ed25519_dalek::VerifyingKey;
use serde_json::{Map, Value, json};

/// The field of the end record that holds the signature.
pub const FIELD: &str = "signature";

/// What a sealing signature signs for `record` (without `hash` and
/// `signature`).
pub fn payload(record: &Map<String, Value>) -> Value {
    let mut body = record.clone();
    body.remove("hash");
    body.remove(FIELD);
    let text = serde_json::to_string(&Value::Object(body)).expect("JSON values always serialise");
    json!({
        "session": record.get("session").cloned().unwrap_or(Value::Null),
        "seq": record.get("seq").cloned().unwrap_or(Value::Null),
        "record": super::chain::body_hash(&text),
    })
}

/// A log's seal, as `guard log verify` judges it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SealVerdict {
    /// Signed by a key the verifier knows (its kid).
    Signed(String),
    /// No signature (a session guard ran without a signing identity).
    Unsigned,
    /// Signed by a key the verifier does not know: re-signed elsewhere, or
    /// the JWKS given lacks the key.
    UnknownKey(String),
    /// The signature is not over this record (edited), or not a valid one.
    Invalid(String),
}

/// Judges the end record's signature against `keys`.
pub fn judge(end: &Map<String, Value>, keys: &dyn Fn(&str) -> Option<VerifyingKey>) -> SealVerdict {
    let Some(signature) = end.get(FIELD) else {
        return SealVerdict::Unsigned;
    };
    let Some(token) = signature.as_str() else {
        return SealVerdict::Invalid("the signature is not a JWS".into());
    };
    match jws::verify(token, keys) {
        Ok((kid, signed)) if signed == payload(end) => SealVerdict::Signed(kid),
        Ok(_) => SealVerdict::Invalid("the signature is for another record".into()),
        Err(JwsError::UnknownKey(kid)) => SealVerdict::UnknownKey(kid),
        Err(error) => SealVerdict::Invalid(error.to_string()),
    }
}
