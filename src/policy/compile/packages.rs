//! What a tool's package brings along: npm packages it declares, the
//! program a distribution's wrapper runs in its place.

use super::super::HostView;
use std::path::{Component, Path, PathBuf};

/// The programs a distribution's wrapper runs in place of `name`:
/// Debian's `pg_wrapper` (behind `psql`, `pg_dump`, …) picks a cluster's
/// version and runs `/usr/lib/postgresql/VERSION/bin/NAME`.
pub(super) fn wrapper_targets(host: &dyn HostView, name: &str, real: &Path) -> Vec<PathBuf> {
    const PG_VERSIONS: &str = "/usr/lib/postgresql";
    let Some(name) = Path::new(name).file_name() else {
        return Vec::new();
    };
    if real.file_name().is_none_or(|file| file != "pg_wrapper") {
        return Vec::new();
    }
    host.read_dir(Path::new(PG_VERSIONS))
        .unwrap_or_default()
        .into_iter()
        .map(|version| Path::new(PG_VERSIONS).join(version).join("bin").join(name))
        .filter_map(|target| host.canonicalize(&target).ok())
        .collect()
}

/// The installed packages `root`'s package.json names as dependencies
/// or optional dependencies: in its own `node_modules`, else in the
/// `node_modules` it lies in (npm hoists them there).
pub(super) fn dependencies(host: &dyn HostView, root: &Path) -> Vec<PathBuf> {
    const MANIFEST_BYTES: usize = 256 * 1024;
    let Ok(head) = host.read_head(&root.join("package.json"), MANIFEST_BYTES) else {
        return Vec::new();
    };
    let Ok(manifest) = serde_json::from_slice::<serde_json::Value>(&head) else {
        return Vec::new();
    };
    let hoisted = root
        .ancestors()
        .find(|dir| dir.file_name().is_some_and(|name| name == "node_modules"));
    let names = ["dependencies", "optionalDependencies"]
        .iter()
        .filter_map(|field| manifest.get(field)?.as_object())
        .flat_map(|deps| deps.keys())
        .filter(|name| is_package_name(name));
    let mut found = Vec::new();
    for name in names {
        let candidates = [
            Some(root.join("node_modules")),
            hoisted.map(Path::to_path_buf),
        ];
        if let Some(dir) = candidates
            .into_iter()
            .flatten()
            .map(|dir| dir.join(name))
            .find(|dir| host.is_dir(dir))
        {
            found.push(host.canonicalize(&dir).unwrap_or(dir));
        }
    }
    found
}

/// Whether `name` is an npm package name (`pkg`, `@scope/pkg`), not a path
/// (`../x` would leave `node_modules`).
pub(super) fn is_package_name(name: &str) -> bool {
    let plain = |part: &str| !part.is_empty() && part != "." && part != "..";
    match name.split('/').collect::<Vec<_>>()[..] {
        [scope, package] => scope.starts_with('@') && plain(scope) && plain(package),
        [package] => !package.starts_with('@') && plain(package),
        _ => false,
    }
}

/// `node_modules/pkg` or `node_modules/@scope/pkg` above `path`, if any.
pub(super) fn node_package_root(path: &Path) -> Option<PathBuf> {
    let components: Vec<Component> = path.components().collect();
    let at = components
        .iter()
        .rposition(|c| c.as_os_str() == "node_modules")?;
    let first = components.get(at + 1)?.as_os_str();
    let take = if first.to_string_lossy().starts_with('@') {
        at + 3
    } else {
        at + 2
    };
    (take < components.len()).then(|| components[..take].iter().collect())
}
