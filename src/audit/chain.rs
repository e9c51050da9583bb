//! The hash chain.

use serde_json::{Map, Value};

/// The `prev` of the first record.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The hash of a record: SHA-256 over its JSON without the `hash` field (keys
/// sorted, as `serde_json` writes a `Map`), as lowercase hex. The record's own
/// `prev` field ties it to the one before.
pub fn record_hash(record: &Map<String, Value>) -> String {
    let mut body = record.clone();
    body.remove("hash");
    body_hash(&serde_json::to_string(&Value::Object(body)).expect("JSON values always serialise"))
}

/// SHA-256 of a record's JSON text (without `hash`), as lowercase hex.
pub fn body_hash(body: &str) -> String {
    crate::digest::sha256_hex(body.as_bytes())
}
