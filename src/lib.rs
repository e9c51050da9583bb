//! guard: run AI coding assistants in a confined session.
//!
//! The layers, from data to kernel:
//!
//! - [`profile`]: the TOML profiles as written, and where they come from;
//! - [`policy`]: a profile compiled against the host into plain data;
//! - [`sandbox`]: kernel enforcement of a policy (Landlock, seccomp, mounts);
//! - [`identity`]: guard's signing key, session tokens and sealed logs;
//! - [`session`]: one session, start to end (prepare, log, scan, mint, run,
//!   revoke, seal): the place to read to follow a `guard run`;
//! - [`launch`]: the session's processes, from fork to cleanup;
//! - [`commands`] and [`cli`]: the command line.
//!
//! Every `unsafe` system call lives in [`sys`].

pub mod audit;
pub mod channel;
pub mod cli;
pub mod clock;
pub mod commands;
pub mod credentials;
pub mod digest;
pub mod exit;
pub mod hooks;
pub mod identity;
pub mod jsonc;
pub mod launch;
pub mod policy;
pub mod profile;
pub mod proxy;
pub mod sandbox;
pub mod scan;
pub mod session;
pub mod supervisor;
pub mod sys;
pub mod text;
pub mod trust;
