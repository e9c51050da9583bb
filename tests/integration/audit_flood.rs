//! The audit log under load: a session that makes records faster than they
//! are written waits for room, and every record reaches the log; a thread
//! that executes a program is recorded as that program afterwards.

use crate::support::*;
use serde_json::Value;

fn log_all(env: &TestEnv) -> String {
    let text = "extends = [\"builtin:default\"]\n[log]\nfiles = \"all\"\n";
    env.profile_file("log-all", text)
        .to_str()
        .unwrap()
        .to_string()
}

fn count(records: &[Value], kind: &str, path: &std::path::Path) -> usize {
    records
        .iter()
        .filter(|r| r["kind"] == kind && r["path"] == path.to_str().unwrap())
        .count()
}

#[test]
fn a_flood_of_opens_from_many_threads_loses_no_record() {
    // As the user guard is for (root runs the same code).
    let env = TestEnv::new(*identities().last().unwrap());
    let work = env.repo.join("flood");
    std::fs::create_dir(&work).unwrap();
    const THREADS: usize = 4;
    const OPENS: usize = 5_000;
    for thread in 0..THREADS {
        std::fs::write(work.join(format!("flood-{thread}.txt")), "x").unwrap();
    }
    env.give(&work);
    let profile = log_all(&env);
    let script = format!(
        "{} flood {} {THREADS} {OPENS}",
        probe().display(),
        work.display()
    );
    let output = env.run_script(&["-p", &profile], &script);
    assert!(output.status.success(), "{}", all_output(&output));
    let (_, records) = env.last_log();
    for thread in 0..THREADS {
        let path = work.join(format!("flood-{thread}.txt"));
        assert_eq!(
            count(&records, "open", &path),
            OPENS,
            "opens of {} recorded",
            path.display()
        );
    }
    let verify = env.guard(&["log", "verify", "last"]).output().unwrap();
    assert_eq!(verify.status.code(), Some(0), "{}", all_output(&verify));
}

#[test]
fn a_thread_that_executes_a_program_is_recorded_as_that_program() {
    for_each_identity(|env| {
        let file = env.repo.join("read-twice.txt");
        std::fs::write(&file, "x").unwrap();
        env.give(&file);
        let profile = log_all(env);
        let script = format!("{} thread_exec {}", probe().display(), file.display());
        let output = env.run_script(&["-p", &profile], &script);
        assert!(output.status.success(), "{}", all_output(&output));
        let (_, records) = env.last_log();
        let opens: Vec<&Value> = records
            .iter()
            .filter(|r| r["kind"] == "open" && r["path"] == file.to_str().unwrap())
            .collect();
        assert_eq!(opens.len(), 2, "{opens:?}");
        let cat = std::fs::canonicalize("/bin/cat").unwrap();
        assert_eq!(opens[0]["exe"], probe().to_str().unwrap());
        assert_eq!(opens[1]["exe"], cat.to_str().unwrap(), "{}", opens[1]);
        assert_eq!(opens[0]["pid"], opens[1]["pid"], "the same process");
        assert_eq!(opens[1]["tid"], opens[1]["pid"], "cat runs as the leader");
    });
}
