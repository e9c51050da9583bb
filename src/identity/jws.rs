//! Compact JWS (RFC 7515) signed with Ed25519 (`alg: EdDSA`, RFC 8037):
//! what a session token and a sealed log's signature are.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::{Signer, SigningKey, VerifyingKey};
use serde_json::{Value, json};

/// Why a compact JWS is not one a key of the JWKS signed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JwsError {
    /// Not three base64url parts with a JSON header and payload.
    #[error("not a compact JWS")]
    Malformed,
    /// Another algorithm than EdDSA.
    #[error("algorithm {0:?} is not EdDSA")]
    Algorithm(String),
    /// The header's `kid` names no key of the JWKS.
    #[error("signed by an unknown key ({0})")]
    UnknownKey(String),
    /// The signature does not match the content.
    #[error("the signature does not match (edited, or signed by another key)")]
    BadSignature,
}

/// base64url without padding, as JOSE writes it.
pub fn base64url(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Signs `claims` as a compact JWS whose header names `kid`.
pub fn sign(key: &SigningKey, kid: &str, claims: &Value) -> String {
    let header = json!({"alg": "EdDSA", "typ": "JWT", "kid": kid});
    let signing_input = format!(
        "{}.{}",
        base64url(header.to_string().as_bytes()),
        base64url(claims.to_string().as_bytes())
    );
    let signature = key.sign(signing_input.as_bytes());
    format!("{signing_input}.{}", base64url(&signature.to_bytes()))
}

/// Checks a compact JWS against `keys` (kid → key) and returns the kid of
/// the key that signed it and the payload. The payload's claims (`exp`,
/// `aud`, …) are the caller's to judge.
pub fn verify(
    token: &str,
    keys: &dyn Fn(&str) -> Option<VerifyingKey>,
) -> Result<(String, Value), JwsError> {
    let mut parts = token.split('.');
    let (Some(header), Some(payload), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(JwsError::Malformed);
    };
    let decode = |part: &str| {
        URL_SAFE_NO_PAD
            .decode(part)
            .map_err(|_| JwsError::Malformed)
    };
    let json =
        |bytes: Vec<u8>| serde_json::from_slice::<Value>(&bytes).map_err(|_| JwsError::Malformed);
    let head = json(decode(header)?)?;
    match head["alg"].as_str() {
        Some("EdDSA") => {}
        other => return Err(JwsError::Algorithm(other.unwrap_or("").to_string())),
    }
    let kid = head["kid"].as_str().ok_or(JwsError::Malformed)?;
    let key = keys(kid).ok_or_else(|| JwsError::UnknownKey(kid.to_string()))?;
    let signature: [u8; 64] = decode(signature)?
        .try_into()
        .map_err(|_| JwsError::Malformed)?;
    let signing_input = &token[..header.len() + 1 + payload.len()];
    key.verify_strict(
        signing_input.as_bytes(),
        &ed25519_dalek::Signature::from_bytes(&signature),
    )
    .map_err(|_| JwsError::BadSignature)?;
    Ok((kid.to_string(), json(decode(payload)?)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signed_tokens_verify_and_edited_ones_do_not() {
        let key = SigningKey::from_bytes(&[7; 32]);
        let public = key.verifying_key();
        let keys = |kid: &str| (kid == "k1").then_some(public);
        let token = sign(&key, "k1", &json!({"sub": "session:x"}));
        let (kid, claims) = verify(&token, &keys).unwrap();
        assert_eq!((kid.as_str(), &claims["sub"]), ("k1", &json!("session:x")));
        // One byte of the payload changed.
        let (head, rest) = token.split_once('.').unwrap();
        let (payload, signature) = rest.split_once('.').unwrap();
        let mut edited = payload.as_bytes().to_vec();
        edited[3] = if edited[3] == b'A' { b'B' } else { b'A' };
        let edited = format!("{head}.{}.{signature}", String::from_utf8(edited).unwrap());
        assert_eq!(verify(&edited, &keys), Err(JwsError::BadSignature));
        let other = sign(&SigningKey::from_bytes(&[8; 32]), "k2", &json!({}));
        assert_eq!(
            verify(&other, &keys),
            Err(JwsError::UnknownKey("k2".into()))
        );
        assert_eq!(verify("a.b", &keys), Err(JwsError::Malformed));
    }
}
