//! How a profile is laid over the profiles it `extends`.
//!
//! Lists are appended (without duplicates), maps are merged with the later
//! profile winning, and single values are replaced when the later profile sets
//! them. A profile can therefore only add to what it extends; a narrower
//! profile extends a narrower base instead (see `profiles/base.toml`).

use super::Profile;

/// Lays `top` over `base`.
pub fn merge(base: Profile, top: Profile) -> Profile {
    Profile {
        description: top.description.or(base.description),
        extends: Vec::new(),
        filesystem: super::FilesystemSection {
            read: append(base.filesystem.read, top.filesystem.read),
            write: append(base.filesystem.write, top.filesystem.write),
            exec: append(base.filesystem.exec, top.filesystem.exec),
            protected: append(base.filesystem.protected, top.filesystem.protected),
            guarded: base
                .filesystem
                .guarded
                .into_iter()
                .chain(top.filesystem.guarded)
                .collect(),
            session_rc: append(base.filesystem.session_rc, top.filesystem.session_rc),
            layered: base
                .filesystem
                .layered
                .into_iter()
                .chain(top.filesystem.layered)
                .collect(),
            stand_in: base
                .filesystem
                .stand_in
                .into_iter()
                .chain(top.filesystem.stand_in)
                .collect(),
        },
        tools: super::ToolsSection {
            allow: append(base.tools.allow, top.tools.allow),
            command_args: base
                .tools
                .command_args
                .into_iter()
                .chain(top.tools.command_args)
                .collect(),
            client_hooks: append(base.tools.client_hooks, top.tools.client_hooks),
        },
        env: super::EnvSection {
            pass: append(base.env.pass, top.env.pass),
            set: base.env.set.into_iter().chain(top.env.set).collect(),
        },
        network: super::NetworkSection {
            mode: top.network.mode.or(base.network.mode),
            allow: append(base.network.allow, top.network.allow),
            allow_private: top.network.allow_private.or(base.network.allow_private),
            resolve: append(base.network.resolve, top.network.resolve),
            unix_sockets: top.network.unix_sockets.or(base.network.unix_sockets),
            unix_socket_paths: append(
                base.network.unix_socket_paths,
                top.network.unix_socket_paths,
            ),
        },
        log: super::LogSection {
            files: top.log.files.or(base.log.files),
            prompts: top.log.prompts.or(base.log.prompts),
        },
        scan: super::ScanSection {
            on_start: top.scan.on_start.or(base.scan.on_start),
            fail_on: top.scan.fail_on.or(base.scan.fail_on),
            max_files: top.scan.max_files.or(base.scan.max_files),
        },
        trust: top.trust.merged_over(base.trust),
        credentials: {
            let mut credentials = base.credentials;
            for credential in top.credentials {
                credentials.retain(|existing| existing.name != credential.name);
                credentials.push(credential);
            }
            credentials
        },
    }
}

fn append(mut base: Vec<String>, top: Vec<String>) -> Vec<String> {
    for item in top {
        if !base.contains(&item) {
            base.push(item);
        }
    }
    base
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::NetworkModeSetting;

    #[test]
    fn lists_append_and_scalars_override() {
        let base = Profile::parse(
            "[tools]\nallow = [\"ls\", \"git\"]\n[network]\nmode = \"none\"\n[env.set]\nA = \"1\"\nB = \"1\"",
            "base",
        )
        .unwrap();
        let top = Profile::parse(
            "[tools]\nallow = [\"git\", \"node\"]\n[network]\nmode = \"host\"\n[env.set]\nB = \"2\"",
            "top",
        )
        .unwrap();
        let merged = merge(base, top);
        assert_eq!(merged.tools.allow, ["ls", "git", "node"]);
        assert_eq!(merged.network.mode, Some(NetworkModeSetting::Host));
        assert_eq!(merged.env.set["A"], "1");
        assert_eq!(merged.env.set["B"], "2");
    }
}
