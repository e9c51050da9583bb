//! Shell completions and the man page, both generated from [`crate::cli::Cli`].

use crate::cli::Cli;
use clap::CommandFactory;

/// The completion script for `shell`.
pub fn completions(shell: clap_complete::Shell) -> String {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "guard", &mut out);
    String::from_utf8(out).expect("completion scripts are UTF-8")
}

/// The man page, in roff.
pub fn man_page() -> String {
    let mut out = Vec::new();
    clap_mangen::Man::new(Cli::command())
        .render(&mut out)
        .expect("rendering into memory cannot fail");
    String::from_utf8(out).expect("the man page is UTF-8")
}
