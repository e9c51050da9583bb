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

/// On a terminal, the opens the supervisor makes for the session give what
/// the kernel gives outside: `/dev/tty` is the user's terminal, in both
/// modes.
#[test]
fn opens_on_a_terminal_give_what_they_give_outside() {
    let env = TestEnv::new(identities()[0]);
    let dir = env.repo.join("open-kinds");
    std::fs::create_dir_all(&dir).unwrap();
    env.give(&dir);
    let (guard, probe) = (guard_binary().display(), probe().display());
    let (dir, home) = (dir.display(), env.home.display());
    let outer =
        format!("env -i HOME={home} PATH=/usr/bin:/bin TERM=xterm bash --norc --noprofile -i");
    let pane = Pane::start(&env, &outer);
    pane.keys(&["PS1='outer$ '", "Enter"]);
    let runs = [
        ("outside", String::new()),
        ("inside-0", format!("{guard} run --allow-exec {probe} -- ")),
        (
            "inside-1",
            format!("{guard} --no-namespaces run --allow-exec {probe} -- "),
        ),
    ];
    for (name, prefix) in &runs {
        pane.keys(&[
            // The marker is computed, so the command line, however it
            // wraps, does not show it.
            &format!(
                "{prefix}{probe} open_kinds {dir} > {home}/{name}.txt; echo done-$((6*7))-{name}"
            ),
            "Enter",
        ]);
        pane.wait_for(&format!("done-42-{name}"));
    }
    let read = |name: &str| std::fs::read_to_string(env.home.join(format!("{name}.txt"))).unwrap();
    let outside = read("outside");
    // The terminal opened (a character device, not `ENXIO`).
    assert!(outside.contains("\ndev_tty type=20000 "), "{outside}");
    for (name, _) in &runs[1..] {
        assert_eq!(read(name), outside, "{name}: {}", pane.text());
    }
}
