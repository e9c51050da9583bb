//! The human-readable form of a policy, as `guard policy` prints it.

use super::*;
use std::fmt;

impl fmt::Display for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "profile   {} ({})",
            self.profile.name, self.profile.origin
        )?;
        writeln!(f, "  chain   {}", self.profile.chain.join(" → "))?;
        writeln!(f, "repo      {}", self.repo.display())?;
        writeln!(
            f,
            "command   {} ({})",
            self.command.argv.join(" "),
            self.command.program.display()
        )?;
        writeln!(
            f,
            "session   {} (home, tmp; removed at exit)",
            self.session.dir.display()
        )?;
        let unix = match &self.network.unix_sockets {
            UnixSockets::None => "none (no socket(AF_UNIX))".to_string(),
            UnixSockets::Any => "any (every socket file the session can name)".to_string(),
            UnixSockets::Listed { files, .. } => format!(
                "listed, each connect performed by the supervisor: socket files in writable paths{}",
                files
                    .iter()
                    .map(|f| format!(", {}", f.display()))
                    .collect::<String>()
            ),
        };
        let allowed: Vec<String> = self
            .network
            .allow
            .iter()
            .map(|rule| rule.to_string())
            .collect();
        let mode = match self.network.mode {
            NetworkMode::None => "none (no TCP, no UDP)".to_string(),
            NetworkMode::Allow => format!("allow, through guard's proxy: {}", allowed.join(" ")),
            NetworkMode::Host => "host (unrestricted)".to_string(),
        };
        writeln!(f, "network   {mode}; unix sockets {unix}")?;
        if let Some(proxy) = &self.network.upstream {
            let except = match proxy.no_proxy.is_empty() {
                true => String::new(),
                false => format!(", but for {} (NO_PROXY)", proxy.no_proxy.join(" ")),
            };
            writeln!(
                f,
                "          then on through the user's proxy {}:{} ({}){except}",
                proxy.host, proxy.port, proxy.variable
            )?;
        }
        writeln!(
            f,
            "\nfilesystem (r read, w write, x execute; a directory covers what is beneath)"
        )?;
        for (path, rule) in &self.filesystem {
            let kind = match rule.kind {
                PathKind::Dir => "/",
                PathKind::File => "",
            };
            writeln!(f, "  {} {}{}", rule.access.letters(), path.display(), kind)?;
        }
        if !self.create_dirs.is_empty() {
            writeln!(f, "\ncreated if missing")?;
            for dir in &self.create_dirs {
                writeln!(f, "  {}", dir.display())?;
            }
        }
        writeln!(
            f,
            "\nprotected paths: {}",
            mechanism_text(self.protection.mechanism)
        )?;
        for protected in &self.protection.paths {
            let note = match (protected.exists, protected.allow.is_empty()) {
                (true, true) => String::new(),
                (false, true) => " (missing now: cannot be created)".to_string(),
                (_, false) => format!(" (only {} may change)", protected.allow.join(" ")),
            };
            writeln!(
                f,
                "  {}{}  [{}]",
                protected.path.display(),
                note,
                protected.because
            )?;
        }
        for tree in &self.protection.everywhere {
            for protected in &tree.paths {
                writeln!(
                    f,
                    "  {} at every depth of {}  [{}]",
                    protected.components.join("/"),
                    tree.within.display(),
                    protected.because
                )?;
            }
        }
        for tree in &self.protection.at_tops {
            writeln!(
                f,
                "  the repository's {} protected paths relative to its top, at the top of \
                 every work tree in {} too (a directory holding .git)",
                tree.paths.len(),
                tree.within.display()
            )?;
        }
        match &self.namespace {
            Some(plan) => {
                writeln!(f, "\nprivate mount namespace")?;
                for path in &plan.no_exec {
                    writeln!(f, "  noexec     {}", path.display())?;
                }
                for path in &plan.exec_again {
                    writeln!(f, "  exec again {}", path.display())?;
                }
                for path in &plan.read_only {
                    writeln!(f, "  read-only  {}", path.display())?;
                }
            }
            None => writeln!(
                f,
                "\nno mount namespace: files the session writes can be run through the dynamic loader"
            )?,
        }
        for client in &self.client_dirs {
            writeln!(
                f,
                "\nclient directory {} seen through a stand-in (${})",
                client.dir.real.display(),
                client.env
            )?;
            for copy in &client.copies {
                writeln!(
                    f,
                    "  {} is a per-session copy of {}; back when it ends: {}",
                    copy.name,
                    copy.real.display(),
                    copy.merge
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(" ")
                )?;
            }
            if !client.keep.is_empty() {
                writeln!(f, "  back when replaced: {}", client.keep.join(" "))?;
            }
            if !client.private.is_empty() {
                writeln!(f, "  the session's own: {}", client.private.join(" "))?;
            }
        }
        writeln!(f, "\ntools")?;
        for (name, path) in &self.tools {
            writeln!(f, "  {name:<12} {}", path.display())?;
        }
        if !self.credentials.is_empty() {
            writeln!(f, "\ncredentials (minted at start, revoked at exit)")?;
            for credential in &self.credentials {
                let provider = match &credential.provider {
                    ProviderPlan::Command { mint, revoke, .. } => format!(
                        "command: mint {}, revoke {}",
                        mint.join(" "),
                        if revoke.is_empty() {
                            "(none: TTL only)".to_string()
                        } else {
                            revoke.join(" ")
                        }
                    ),
                    ProviderPlan::Postgres {
                        admin_url_env,
                        role,
                    } => {
                        format!("postgres: role in {role}, admin URL from ${admin_url_env}")
                    }
                    ProviderPlan::OpenBao {
                        address,
                        role,
                        secret,
                        auth_mount,
                        ..
                    } => format!(
                        "openbao: {secret} at {address}, logged in as role {role} of auth/{auth_mount} with the session's token"
                    ),
                };
                writeln!(
                    f,
                    "  {:<12} ttl {} s, {provider}",
                    credential.name, credential.ttl_seconds
                )?;
            }
        }
        match self.scan.on_start {
            ScanOnStart::Off => writeln!(f, "\nscan before start: off")?,
            ScanOnStart::Warn => writeln!(
                f,
                "\nscan before start: warn on findings of {} severity and up",
                self.scan.fail_on.name()
            )?,
            ScanOnStart::Block => writeln!(
                f,
                "\nscan before start: refuse to start on findings of {} severity and up",
                self.scan.fail_on.name()
            )?,
        }
        writeln!(f, "\nenvironment")?;
        writeln!(f, "  passed from parent: {}", self.env.pass.join(" "))?;
        for (name, value) in &self.env.set {
            writeln!(f, "  {name}={value}")?;
        }
        Ok(())
    }
}

/// One line explaining a protection mechanism.
pub fn mechanism_text(mechanism: ProtectionMechanism) -> &'static str {
    match mechanism {
        ProtectionMechanism::NotNeeded => "none inside a writable tree",
        ProtectionMechanism::SupervisorAndMounts => {
            "every change made by guard's supervisor, which refuses these (race-free), plus read-only bind mounts in a private mount namespace; checked again at session end"
        }
        ProtectionMechanism::Supervisor => {
            "every change made by guard's supervisor, which refuses these (race-free; no namespaces, so no read-only mounts beneath); checked again at session end"
        }
    }
}
