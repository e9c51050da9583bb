//! guard's signing identity: the key no session reads, the session tokens
//! an independent verifier (PyJWT) accepts, and the signature that seals
//! each log, which tells a log guard wrote from one rewritten and re-signed
//! elsewhere (the rewriting done here by an independent implementation of
//! the chain, in Python).

use crate::support::*;
use std::process::{Command, Output};

/// Python with PyJWT and cryptography (`.ci/run` installs them).
fn pyjwt_python() -> String {
    std::env::var("GUARD_TEST_PYJWT_PYTHON")
        .unwrap_or_else(|_| "/opt/guard-pyjwt/bin/python".to_string())
}

fn init(env: &TestEnv) {
    let init = env.guard(&["identity", "init"]).output().unwrap();
    assert!(init.status.success(), "{}", all_output(&init));
}

/// PyJWT, not guard, checks the token a helper receives: signed by a key of
/// `guard identity jwks`, for the helper's audience, saying what the session
/// is. One edited byte and it fails. The session itself never sees it.
#[test]
fn pyjwt_verifies_the_session_token_and_not_an_edited_one() {
    let env = TestEnv::new(identities()[0]);
    init(&env);
    let token_file = env.home.join("token.txt");
    let helper = env.home.join("mint.sh");
    std::fs::write(
        &helper,
        format!(
            "#!/bin/sh\nprintf %s \"$GUARD_SESSION_TOKEN\" > {}\necho '{{\"env\": {{\"DEMO\": \"x\"}}, \"expires_in\": 60}}'\n",
            token_file.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&helper, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let text = format!(
        "extends = [\"builtin:default\"]\n[[credential]]\nname = \"demo\"\nprovider = \"command\"\nmint = [\"{}\"]\naudience = \"sts.example\"\n",
        helper.display()
    );
    let profile = env.profile_file("tok", &text);
    let output = env
        .guard(&[
            "run",
            "-p",
            profile.to_str().unwrap(),
            "--",
            "bash",
            "-c",
            "echo \"${GUARD_SESSION_TOKEN:-absent}\" > seen.txt",
        ])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", all_output(&output));
    assert_eq!(
        std::fs::read_to_string(env.repo.join("seen.txt"))
            .unwrap()
            .trim(),
        "absent"
    );
    let token = std::fs::read_to_string(&token_file).unwrap();
    let jwks = env.guard(&["identity", "jwks"]).output().unwrap();
    let jwks_file = env.home.join("jwks.json");
    std::fs::write(&jwks_file, &jwks.stdout).unwrap();
    let python = pyjwt_python();
    let verify = |token: &str| {
        Command::new(&python)
            .args([
                "-c",
                "import json, sys, jwt\n\
                 keys = jwt.PyJWKSet.from_dict(json.load(open(sys.argv[1])))\n\
                 token = sys.argv[2]\n\
                 kid = jwt.get_unverified_header(token)['kid']\n\
                 key = next(k for k in keys.keys if k.key_id == kid)\n\
                 print(json.dumps(jwt.decode(token, key, algorithms=['EdDSA'], audience='sts.example')))",
                jwks_file.to_str().unwrap(),
                token,
            ])
            .output()
            .unwrap_or_else(|e| panic!("{python} (PyJWT, installed by .ci/run): {e}"))
    };
    let verified = verify(&token);
    assert!(verified.status.success(), "{}", all_output(&verified));
    let claims: serde_json::Value = serde_json::from_slice(&verified.stdout).unwrap();
    assert!(
        claims["sub"].as_str().unwrap().starts_with("session:"),
        "{claims}"
    );
    assert_eq!(claims["profile"], "tok");
    assert_eq!(claims["repo_path"], env.repo.to_str().unwrap());
    assert_eq!(claims["aud"], "sts.example");
    assert_eq!(claims["repo_dirty"], false, "{claims}");
    assert!(
        claims["repo_head"].as_str().is_some_and(|h| h.len() == 40),
        "{claims}"
    );
    assert!(claims["exp"].as_u64().unwrap() > claims["iat"].as_u64().unwrap());
    // One byte of the payload changed.
    let mut edited = token.into_bytes();
    let at = edited.iter().position(|&b| b == b'.').unwrap() + 5;
    edited[at] = if edited[at] == b'A' { b'B' } else { b'A' };
    let refused = verify(&String::from_utf8(edited).unwrap());
    assert!(!refused.status.success(), "an edited token verified");
}

/// No session reads the signing key, in either mode, as either identity;
/// a profile that would let it is refused.
#[test]
fn no_session_reads_the_signing_key() {
    for_each_identity(|env| {
        init(env);
        let identity = env.state.join("guard/identity");
        let key = std::fs::read_dir(&identity)
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .find(|p| p.extension().is_some_and(|e| e == "key"))
            .unwrap();
        for mode in [&[][..], &["--no-namespaces"][..]] {
            let script = format!(
                "cat {} > leaked.bin; ls {} > listed.txt",
                key.display(),
                identity.display()
            );
            let output = env.run_script(mode, &script);
            let leaked = std::fs::read(env.repo.join("leaked.bin")).unwrap_or_default();
            assert!(
                leaked.is_empty(),
                "{mode:?}: the key was read: {}",
                all_output(&output)
            );
            let listed = std::fs::read_to_string(env.repo.join("listed.txt")).unwrap_or_default();
            assert!(!listed.contains(".key"), "{mode:?}: {listed}");
        }
        // A profile that grants the key's directory: hidden under an empty
        // file system with a mount namespace; refused without one.
        let wide = env.profile_file(
            "wide",
            &format!(
                "extends = [\"builtin:default\"]\n[filesystem]\nread = [\"{}\"]\n",
                env.state.display()
            ),
        );
        let script = format!(
            "cat {} > leaked.bin; ls {} > listed.txt; echo ran > ran.txt",
            key.display(),
            identity.display()
        );
        let _ = std::fs::remove_file(env.repo.join("leaked.bin"));
        let output = env
            .guard(&[
                "run",
                "-p",
                wide.to_str().unwrap(),
                "--",
                "bash",
                "-c",
                &script,
            ])
            .output()
            .unwrap();
        assert!(env.repo.join("ran.txt").exists(), "{}", all_output(&output));
        let leaked = std::fs::read(env.repo.join("leaked.bin")).unwrap_or_default();
        assert!(leaked.is_empty(), "the key was read through a wide profile");
        let output = env
            .guard(&[
                "--no-namespaces",
                "run",
                "-p",
                wide.to_str().unwrap(),
                "--",
                "true",
            ])
            .output()
            .unwrap();
        let text = all_output(&output);
        assert_eq!(output.status.code(), Some(125), "{text}");
        assert!(text.contains("signing key"), "{text}");
    });
}

/// Rewrites a log as someone without guard's key could: `edit` changes the
/// records (a Python expression over `records`, a list of dicts), the chain
/// is recomputed from the first record, and the end record is signed with a
/// key of the rewriter's own (`sign = True`) or left unsigned.
fn rewrite(log: &std::path::Path, edit: &str, sign: bool) -> Output {
    let script = format!(
        r#"
import hashlib, json, sys, jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
path = sys.argv[1]
records = [json.loads(line) for line in open(path)]
{edit}
def text(record):
    return json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
prev = "0" * 64
for record in records:
    record.pop("hash", None)
    record["prev"] = prev
    if record is records[-1]:
        record.pop("signature", None)
        if {sign}:
            payload = {{"session": record["session"], "seq": record["seq"],
                       "record": hashlib.sha256(text(record).encode()).hexdigest()}}
            record["signature"] = jwt.encode(payload, Ed25519PrivateKey.generate(),
                                             algorithm="EdDSA", headers={{"kid": "rewriter"}})
    prev = hashlib.sha256(text(record).encode()).hexdigest()
    record["hash"] = prev
with open(path, "w") as out:
    for record in records:
        out.write(text(record) + "\n")
"#,
        sign = if sign { "True" } else { "False" }
    );
    let output = Command::new(pyjwt_python())
        .args(["-c", &script, log.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", all_output(&output));
    output
}

/// Each way a sealed log can be tampered with is told apart: edited
/// (exit 1), cut off (3), rewritten and re-signed with another key (5),
/// its signature stripped (1). A copy verifies elsewhere with the JWKS.
#[test]
fn a_signed_log_tells_edits_cuts_and_foreign_signatures_apart() {
    let env = TestEnv::new(identities()[0]);
    // A session before the identity existed: sealed, unsigned, fine.
    assert!(env.run_script(&[], "true").status.success());
    std::thread::sleep(std::time::Duration::from_millis(1100));
    init(&env);
    // Records keep whole seconds: a session is expected to be signed once
    // the key is older than it.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    assert!(env.run_script(&[], "echo hi > note.txt").status.success());
    let (log, records) = env.last_log();
    assert!(
        records.last().unwrap()["signature"].is_string(),
        "{records:#?}"
    );
    let verify = |extra: &[&str]| {
        let mut args = vec!["log", "verify"];
        args.extend_from_slice(extra);
        let output = env.guard(&args).output().unwrap();
        (
            output.status.code(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
        )
    };
    let (code, text) = verify(&["--all"]);
    assert_eq!(code, Some(0), "{text}");
    assert!(
        text.contains("signed by") && text.contains("unsigned: guard had no signing identity"),
        "{text}"
    );
    let id = log.file_stem().unwrap().to_str().unwrap().to_string();
    // Verified on another machine with the JWKS, or without the key.
    let jwks = env.home.join("jwks.json");
    std::fs::write(
        &jwks,
        env.guard(&["identity", "jwks"]).output().unwrap().stdout,
    )
    .unwrap();
    let (code, text) = verify(&[&id, "--jwks", jwks.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{text}");
    let empty = env.home.join("empty.json");
    std::fs::write(&empty, r#"{"keys": []}"#).unwrap();
    let (code, text) = verify(&[&id, "--jwks", empty.to_str().unwrap()]);
    assert_eq!(code, Some(5), "{text}");
    let original = std::fs::read_to_string(&log).unwrap();
    let restore = || std::fs::write(&log, &original).unwrap();
    // Edited in place (the record of the session's write).
    let written = original
        .lines()
        .position(|l| l.contains("\"path\"") && l.contains("/note.txt"))
        .expect("the write is recorded");
    let edited: String = original
        .lines()
        .enumerate()
        .map(|(n, l)| match n == written {
            true => format!("{}\n", l.replace("note.txt", "nope.txt")),
            false => format!("{l}\n"),
        })
        .collect();
    std::fs::write(&log, edited).unwrap();
    let (code, text) = verify(&[&id]);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("edited"), "{text}");
    restore();
    // Cut off.
    let cut: String = original
        .lines()
        .take(original.lines().count() - 1)
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&log, cut).unwrap();
    let (code, text) = verify(&[&id]);
    assert_eq!(code, Some(3), "{text}");
    restore();
    // Rewritten: the record of the session's write dropped, the chain
    // recomputed, the end re-signed with the rewriter's key.
    let drop_write = "records = [r for r in records if not str(r.get('path', '')).endswith('note.txt')]\nfor i, r in enumerate(records): r['seq'] = i";
    rewrite(&log, drop_write, true);
    let (code, text) = verify(&[&id]);
    assert_eq!(code, Some(5), "{text}");
    assert!(text.contains("unknown key rewriter"), "{text}");
    restore();
    // Rewritten with the signature stripped.
    rewrite(&log, drop_write, false);
    let (code, text) = verify(&[&id]);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("not signed"), "{text}");
    restore();
    // The rewriter's chain itself is right: the same rewrite, signature
    // kept from nothing, with no edit, verifies as a chain (so the checks
    // above fail on the signature, not on a mistake of the rewriter).
    rewrite(&log, "pass", false);
    let chain = env
        .guard(&["log", "verify", &id, "--jwks", empty.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&chain.stdout).contains("not signed"),
        "{}",
        all_output(&chain)
    );
}
