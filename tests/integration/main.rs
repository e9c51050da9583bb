//! Integration tests: the real `guard` binary against the real kernel.
//!
//! Escape tests run once per [`support::Identity`]: as root when the suite runs
//! as root (CI, git hooks), and always as an unprivileged uid.

mod support;

mod audit;
mod audit_flood;
mod audit_race;
mod audit_strace;
mod bad_input;
mod boundary;
mod caches;
mod cd_loaders;
mod checkpoints;
mod claude_hooks;
mod client_state;
mod client_trust;
mod clients;
mod codex_hooks;
mod command_credentials;
mod credentials;
mod credentials_on_demand;

mod escape;
mod gemini_hooks;
mod generated;
mod git_links;
mod git_objects;
mod git_state;
mod hook_scripts;
mod hooks;
mod identity;
mod lifecycle;
mod network;
mod openbao;
mod project_agents;
mod protected;
mod scan;
mod shell_init;
mod sockets;
mod terminal;
mod tool_settings;
mod trust;
mod trust_ask;
mod trust_gate;
mod work_trees;
