//! `unix_sockets = "listed"`: the supervisor performs each `connect` itself,
//! so only listed socket files (and those inside the session's writable paths)
//! can be reached, whatever a racing thread does to the address.

use crate::support::*;
use std::os::unix::net::UnixListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// A socket file outside the session that accepts and counts connections.
struct CountingServer {
    accepted: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl CountingServer {
    fn start(env: &TestEnv, path: &std::path::Path) -> CountingServer {
        let listener = UnixListener::bind(path).unwrap();
        std::fs::set_permissions(path, std::os::unix::fs::PermissionsExt::from_mode(0o777))
            .unwrap();
        env.give(path);
        listener.set_nonblocking(true).unwrap();
        let accepted = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (count, halt) = (Arc::clone(&accepted), Arc::clone(&stop));
        let thread = std::thread::spawn(move || {
            while !halt.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok(_) => {
                        count.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(_) => std::thread::sleep(std::time::Duration::from_micros(200)),
                }
            }
        });
        CountingServer {
            accepted,
            stop,
            thread: Some(thread),
        }
    }

    fn finish(mut self) -> usize {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.take().unwrap().join().unwrap();
        self.accepted.load(Ordering::Relaxed)
    }
}

fn listed_profile(env: &TestEnv, allowed: &std::path::Path) -> String {
    let text = format!(
        "extends = [\"builtin:default\"]\n[network]\nunix_socket_paths = [\"{}\"]\n",
        allowed.display()
    );
    env.profile_file("listed", &text)
        .to_str()
        .unwrap()
        .to_string()
}

/// The last session's log holds the refused connect to `path` as a
/// `denied` record whose rule mentions `rule`.
fn assert_refusal_recorded(env: &TestEnv, path: &str, rule: &str) {
    let (_, records) = env.last_log();
    assert!(
        records.iter().any(|r| r["kind"] == "denied"
            && r["operation"] == "connect"
            && r["path"] == path
            && r["errno"] == "EACCES"
            && r["rule"].as_str().is_some_and(|text| text.contains(rule))),
        "no denial of the connect to {path}: {records:?}"
    );
}

#[test]
fn only_listed_sockets_and_session_sockets_are_reachable() {
    for_each_identity(|env| {
        let allowed = env.home.join("allowed.sock");
        let forbidden = env.home.join("forbidden.sock");
        let allowed_server = CountingServer::start(env, &allowed);
        let forbidden_server = CountingServer::start(env, &forbidden);
        let profile = listed_profile(env, &allowed);
        let p = ["-p", profile.as_str()];

        let (ok, text) = env.probe(&p, "unix", allowed.to_str().unwrap());
        assert!(ok, "listed socket: {text}");
        let (ok, text) = env.probe(&p, "unix", forbidden.to_str().unwrap());
        assert!(!ok && text.contains("EACCES"), "unlisted socket: {text}");
        assert_refusal_recorded(env, forbidden.to_str().unwrap(), "not a listed socket");
        std::os::unix::fs::symlink(&forbidden, env.repo.join("link.sock")).unwrap();
        env.give(&env.repo.join("link.sock"));
        let (ok, text) = env.probe(&p, "unix", "link.sock");
        assert!(!ok, "a symlink in the repo to an unlisted socket: {text}");
        let output = env.run_script(
            &p,
            &format!("{} selfconnect \"$TMPDIR/own.sock\"", probe().display()),
        );
        assert!(
            all_output(&output).starts_with("ok"),
            "a socket of the session's own"
        );
        let (ok, text) = env.probe(&p, "abstract", "guard-test");
        assert!(!ok, "abstract: {text}");
        assert_refusal_recorded(env, "(abstract or unnamed)", "abstract");
        let (ok, text) = env.probe(&p, "unix_dgram", "");
        assert!(!ok, "datagram sockets: {text}");

        assert!(allowed_server.finish() >= 1);
        assert_eq!(
            forbidden_server.finish(),
            0,
            "the unlisted server was reached"
        );
    });
}

#[test]
fn a_racing_thread_cannot_redirect_a_checked_connect() {
    for_each_identity(|env| {
        let allowed = env.home.join("allowed.sock");
        let forbidden = env.home.join("forbidden.sock");
        let allowed_server = CountingServer::start(env, &allowed);
        let forbidden_server = CountingServer::start(env, &forbidden);
        let profile = listed_profile(env, &allowed);
        let script = format!(
            "{} race {} {} 3000",
            probe().display(),
            allowed.display(),
            forbidden.display()
        );
        let output = env.run_script(&["-p", &profile], &script);
        assert!(
            all_output(&output).starts_with("ok"),
            "{}",
            all_output(&output)
        );
        let reached_allowed = allowed_server.finish();
        let reached_forbidden = forbidden_server.finish();
        assert_eq!(
            reached_forbidden, 0,
            "a racing thread redirected {reached_forbidden} connects"
        );
        assert!(reached_allowed > 0, "no connect went through at all");
    });
}
