//! The session stays on the user's terminal: a real tmux pane drives an
//! interactive confined shell through ^C, ^Z/fg, a window resize and exit.

use crate::support::*;
use std::time::Duration;

#[test]
fn an_interactive_shell_keeps_job_control_and_the_terminal() {
    let env = TestEnv::new(identities()[0]);
    let guard = guard_binary().display().to_string();
    let outer = format!(
        "env -i HOME={} PATH=/usr/bin:/bin TERM=xterm bash --norc --noprofile",
        env.home.display()
    );
    let pane = Pane::start(&env, &outer);
    pane.keys(&[
        &format!("PS1='outer$ ' && {guard} run -- bash --norc --noprofile"),
        "Enter",
    ]);
    pane.keys(&["PS1='inner$ '", "Enter"]);
    pane.wait_for("inner$");
    // ^C interrupts the foreground job, not the session.
    pane.keys(&["sleep 100", "Enter"]);
    std::thread::sleep(Duration::from_millis(300));
    pane.keys(&["C-c"]);
    pane.keys(&["echo after-interrupt", "Enter"]);
    pane.wait_for("\nafter-interrupt");
    // ^Z and fg inside the confined shell.
    pane.keys(&["sleep 100", "Enter"]);
    std::thread::sleep(Duration::from_millis(300));
    pane.keys(&["C-z"]);
    pane.wait_for("Stopped");
    pane.keys(&["fg", "Enter"]);
    std::thread::sleep(Duration::from_millis(300));
    pane.keys(&["C-c"]);
    // The window size follows a resize.
    let status = pane
        .tmux()
        .args(["resize-window", "-t", &pane.name, "-x", "100", "-y", "25"])
        .status()
        .unwrap();
    assert!(status.success());
    std::thread::sleep(Duration::from_millis(200));
    pane.keys(&["stty size", "Enter"]);
    pane.wait_for("25 100");
    // The exit status reaches the outer shell.
    pane.keys(&["exit 3", "Enter"]);
    pane.wait_for("outer$");
    pane.keys(&["echo status=$?", "Enter"]);
    pane.wait_for("status=3");
}

/// A command that stops itself (as Claude Code does on ^Z, which it reads as
/// a key: `kill(getpid(), SIGTSTP)`) stops the whole job: the user's shell
/// gets its prompt back, and `fg` continues the command. Both modes.
#[test]
fn a_command_that_stops_itself_stops_the_job() {
    let env = TestEnv::new(identities()[0]);
    let guard = guard_binary().display().to_string();
    let outer = format!(
        "env -i HOME={} PATH=/usr/bin:/bin TERM=xterm bash --norc --noprofile -i",
        env.home.display()
    );
    let pane = Pane::start(&env, &outer);
    pane.keys(&["PS1='outer$ '", "Enter"]);
    for (index, mode) in ["", "--no-namespaces "].iter().enumerate() {
        let word = format!("resumed-{index}");
        pane.keys(&[
            &format!("{guard} {mode}run -- bash -c 'kill -TSTP $$; echo {word}'"),
            "Enter",
        ]);
        let screen = pane.wait_for("Stopped");
        assert!(!screen.lines().any(|line| line == word), "{screen}");
        pane.keys(&["fg", "Enter"]);
        pane.wait_for(&format!("\n{word}"));
        pane.keys(&["clear", "Enter"]);
        pane.wait_for("outer$");
        std::thread::sleep(Duration::from_millis(200));
    }
}
