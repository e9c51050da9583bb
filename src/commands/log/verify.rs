//! `guard log verify`: the chain of each log, then the signature that seals
//! it, against this machine's keys or a JWKS from the machine it came from.

use super::CommandError;
use crate::audit::seal::{self, SealVerdict};
use crate::audit::{self, SessionSummary, Verdict};
use crate::exit::ExitCode;
use crate::identity::PublicKey;
use std::io::Write;
use std::path::Path;

/// The keys signatures are checked against.
pub struct Keys {
    keys: Vec<PublicKey>,
    /// From a JWKS file: every log must be signed then.
    given: bool,
}

impl Keys {
    /// The keys of `jwks`, else every key this machine's guard ever had.
    pub fn load(jwks: Option<&Path>) -> Result<Keys, CommandError> {
        match jwks {
            Some(file) => {
                let text = std::fs::read(file)?;
                let document: serde_json::Value = serde_json::from_slice(&text).map_err(|e| {
                    CommandError::Io(std::io::Error::other(format!(
                        "{}: not a JWKS: {e}",
                        file.display()
                    )))
                })?;
                Ok(Keys {
                    keys: crate::identity::keys_of_jwks(&document),
                    given: true,
                })
            }
            None => Ok(Keys {
                keys: crate::identity::all_public_keys(
                    &crate::session::StateDir::from_process().identity(),
                )?,
                given: false,
            }),
        }
    }

    fn find(&self, kid: &str) -> Option<ed25519_dalek::VerifyingKey> {
        self.keys
            .iter()
            .find(|key| key.kid == kid)
            .and_then(PublicKey::verifying_key)
    }

    /// Whether a session started at `start` (Unix seconds) should have been
    /// signed: a JWKS was given, or this machine had a key by then (made
    /// in an earlier second: the records keep whole seconds).
    fn expected_at(&self, start: Option<u64>) -> bool {
        self.given
            || self
                .keys
                .iter()
                .any(|key| start.is_some_and(|start| key.created_at < start))
    }
}

/// Verifies each session's log; the exit code is the worst verdict's.
pub fn verify(
    sessions: &[SessionSummary],
    keys: &Keys,
    out: &mut impl Write,
) -> Result<ExitCode, CommandError> {
    let mut code = ExitCode::SUCCESS;
    let mut worst = |new: ExitCode| {
        let rank = |c: ExitCode| match c {
            ExitCode::SUCCESS => 0,
            ExitCode::UNSEALED => 1,
            ExitCode::UNKNOWN_SIGNER => 2,
            _ => 3,
        };
        if rank(new) > rank(code) {
            code = new;
        }
    };
    for session in sessions {
        let id = &session.id;
        match audit::verify(&session.path)? {
            Verdict::Sealed { records } => {
                let (start, end) = audit::first_and_last_records(&session.path)?
                    .expect("a sealed log has a first and a last record");
                let started = start
                    .get("time")
                    .and_then(|time| crate::clock::parse_rfc3339(time.as_str()?));
                match seal::judge(&end, &|kid| keys.find(kid)) {
                    SealVerdict::Signed(kid) => writeln!(
                        out,
                        "{id}: ok, sealed and signed by {kid} ({records} records)"
                    )?,
                    SealVerdict::Unsigned if keys.expected_at(started) => {
                        writeln!(
                            out,
                            "{id}: BROKEN: the end record is not signed, though guard had a signing key when the session started (signature removed, log rewritten)"
                        )?;
                        worst(ExitCode::CHECK_FAILED);
                    }
                    SealVerdict::Unsigned => writeln!(
                        out,
                        "{id}: ok, sealed ({records} records; unsigned: guard had no signing identity)"
                    )?,
                    SealVerdict::UnknownKey(kid) => {
                        writeln!(
                            out,
                            "{id}: NOT guard's: signed by an unknown key {kid} (re-signed elsewhere, or the JWKS lacks the key)"
                        )?;
                        worst(ExitCode::UNKNOWN_SIGNER);
                    }
                    SealVerdict::Invalid(reason) => {
                        writeln!(out, "{id}: BROKEN: the end record's signature: {reason}")?;
                        worst(ExitCode::CHECK_FAILED);
                    }
                }
            }
            Verdict::Unsealed { records } => {
                writeln!(
                    out,
                    "{id}: intact but no end record after {records} records (guard was killed, or the end of the log was cut off)"
                )?;
                worst(ExitCode::UNSEALED);
            }
            Verdict::Broken { line, reason } => {
                writeln!(out, "{id}: BROKEN at line {line}: {reason}")?;
                worst(ExitCode::CHECK_FAILED);
            }
        }
    }
    Ok(code)
}
