//! Two parts of a policy made from what the rest of the compile found: the
//! binds of the private mount namespace, and the command as it will run.

use super::super::{CacheLayer, HostView, NamespacePlan, PathRule, Protection};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The command with the arguments that register guard's hooks, then those
/// the profile puts after its program's name (each unless the user gave
/// it already), before the user's own.
pub(super) fn with_command_args(
    command: &[String],
    extra: &BTreeMap<String, Vec<String>>,
    hooks: Option<&super::super::ClientHooks>,
) -> Vec<String> {
    let mut argv = command.to_vec();
    let name = argv
        .first()
        .and_then(|program| Path::new(program).file_name())
        .and_then(|name| name.to_str())
        .unwrap_or_default();
    if let Some(extra) = extra.get(name) {
        let missing: Vec<String> = extra
            .iter()
            .filter(|arg| !argv[1..].contains(arg))
            .cloned()
            .collect();
        argv.splice(1..1, missing);
    }
    // Always, whatever the user passed: the hooks are guard's, not a
    // default the user's own flags replace. The user's own settings are
    // taken into guard's file instead.
    if let Some(hooks) = hooks {
        if hooks.user_settings.is_some() {
            argv = std::iter::once(argv[0].clone())
                .chain(super::super::client_hooks::without_user_settings(
                    &argv[1..],
                ))
                .collect();
        }
        argv.splice(1..1, hooks.command_args());
    }
    argv
}

/// guard's hooks for the session's client, when the profile registers them
/// for the program the command runs and guard knows its own binary.
pub(super) fn client_hooks(
    command: &[String],
    clients: &[String],
    guard: Option<&Path>,
    session: &super::super::SessionPaths,
) -> Option<super::super::ClientHooks> {
    use super::super::HookClient;
    let name = command
        .first()
        .and_then(|program| Path::new(program).file_name())
        .and_then(|name| name.to_str())?;
    let client = HookClient::for_program(name)
        .filter(|client| clients.iter().any(|listed| listed == client.name()))?;
    Some(super::super::ClientHooks {
        client,
        // Claude Code reads its hooks from a file; Codex from its flags.
        settings: (client == HookClient::Claude).then(|| session.client_settings(client.name())),
        guard: guard?.to_path_buf(),
        user_settings: (client == HookClient::Claude)
            .then(|| super::super::client_hooks::user_settings(&command[1..]))
            .flatten(),
    })
}

/// Lays guard's hooks over the session's copy of the settings of a client
/// that reads them there (Gemini CLI); an error if the profile gives it no
/// such copy, since the hooks could not be registered otherwise.
pub(super) fn register_in_settings(
    profile: &str,
    hooks: &super::super::ClientHooks,
    client_dirs: &mut [super::super::ClientDir],
    session: &super::super::SessionPaths,
    (host, repo): (&dyn HostView, &Path),
) -> Result<(), super::super::CompileError> {
    let Some((env, name)) = hooks.client.settings_copy() else {
        return Ok(());
    };
    // The repository's own settings could switch the hooks off: the session
    // does not start then, rather than start without them.
    let workspace = repo.join(".gemini/settings.json");
    if let Ok(text) = host.read_head(&workspace, 1 << 20)
        && let Some(why) = super::super::client_hooks::gemini_workspace_turns_hooks_off(
            &String::from_utf8_lossy(&text),
        )
    {
        return Err(super::super::CompileError::Conflict {
            profile: profile.to_string(),
            message: format!(
                "{} would switch off guard's hooks for {} ({why}); remove that, or run it \
                 with a profile without client_hooks",
                workspace.display(),
                hooks.client.display_name()
            ),
        });
    }
    let copy = client_dirs
        .iter_mut()
        .filter(|dir| dir.env == env)
        .flat_map(|dir| dir.copies.iter_mut())
        .find(|copy| copy.name == name && copy.format == super::super::CopyFormat::Json);
    let Some(copy) = copy else {
        return Err(super::super::CompileError::Conflict {
            profile: profile.to_string(),
            message: format!(
                "tools.client_hooks lists {}, whose hooks go in its settings: it needs a \
                 [filesystem.stand_in] with env = \"{env}\" and a copy of {name}",
                hooks.client.name()
            ),
        });
    };
    // The session directory's name is the session's own random id.
    let nonce = session
        .dir
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    copy.session_only = Some(super::super::client_hooks::gemini_settings(
        &hooks.guard,
        &nonce,
    ));
    Ok(())
}

/// Which binds the private mount namespace makes.
pub(super) fn namespace_plan(
    filesystem: &BTreeMap<PathBuf, PathRule>,
    protection: &Protection,
    host: &dyn HostView,
    layers: &[CacheLayer],
) -> NamespacePlan {
    // Devices and /proc are not files a loader could map; everything else the
    // session can write but not execute is bound `noexec`.
    let is_special = |path: &Path| path.starts_with("/dev") || path.starts_with("/proc");
    let no_exec: Vec<PathBuf> = filesystem
        .iter()
        .filter(|(path, rule)| rule.access.write && !rule.access.exec && !is_special(path))
        .map(|(path, _)| path.clone())
        .collect();
    let exec_again = filesystem
        .iter()
        .filter(|(path, rule)| {
            rule.access.exec
                && no_exec
                    .iter()
                    .any(|dir| path.starts_with(dir) && *path != dir)
        })
        .map(|(path, _)| path.clone())
        .collect();
    // A protected tree that allows some entries is bound read-only entry by
    // entry: each existing entry no pattern could allow (`.git/config`,
    // `.git/hooks`), while the supervisor judges the rest.
    // A path protected twice (`.git/config`: an entry of `.git`, and the
    // file git's configuration is read from) is bound once.
    let mut read_only = Vec::new();
    let mut bind = |path: PathBuf| {
        if !read_only.contains(&path) {
            read_only.push(path);
        }
    };
    for protected in protection.paths.iter().filter(|p| p.exists) {
        if protected.allow.is_empty() {
            bind(protected.path.clone());
            continue;
        }
        for name in host.read_dir(&protected.path).unwrap_or_default() {
            if !protected.may_change_beneath(name.as_ref()) {
                bind(protected.path.join(name));
            }
        }
    }
    NamespacePlan {
        read_only,
        no_exec,
        exec_again,
        overlays: layers.to_vec(),
        hidden: Vec::new(),
    }
}
