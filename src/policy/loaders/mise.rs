//! What a repository's mise configuration makes `mise activate` load at the
//! user's every `cd`: its `[env]` directives (mise's docs, "Environments"):
//! `_.source` (a shell script sourced), `_.file` (dotenv files read), and
//! `_.path` (directories put first on `PATH`). The configuration file
//! itself is protected by the base profile; these are what it names.

use super::Loaded;

/// What the mise configuration `text` loads, with the directive that loads
/// it; paths relative to the configuration's directory (`{{config_root}}/`
/// taken away), others left out.
pub fn loaded(text: &str) -> Vec<(Loaded, &'static str)> {
    let Ok(table) = toml::from_str::<toml::Table>(text) else {
        return Vec::new();
    };
    let Some(directives) = table
        .get("env")
        .and_then(|env| env.get("_"))
        .and_then(toml::Value::as_table)
    else {
        return Vec::new();
    };
    let mut found = Vec::new();
    for (key, why) in [
        ("source", "sourced by mise's _.source"),
        ("file", "read by mise's _.file"),
        ("path", "put on PATH by mise's _.path"),
    ] {
        for path in directives.get(key).map(paths).unwrap_or_default() {
            let path = path
                .strip_prefix("{{config_root}}/")
                .or_else(|| path.strip_prefix("./"))
                .unwrap_or(&path)
                .to_string();
            found.push(match key {
                "path" => (Loaded::OnPath(path), why),
                _ => (Loaded::File(path), why),
            });
        }
    }
    super::keep_followable(&mut found);
    found
}

/// A directive's paths: a string, a table with `path`, or an array of
/// either.
fn paths(value: &toml::Value) -> Vec<String> {
    match value {
        toml::Value::String(path) => vec![path.clone()],
        toml::Value::Table(table) => table.get("path").map(paths).unwrap_or_default(),
        toml::Value::Array(items) => items.iter().flat_map(paths).collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_env_directives_that_load_or_run_files() {
        let text = r#"
[tools]
node = "22"

[env]
NODE_ENV = "development"
_.source = "./scripts/env.sh"
_.file = [".env", { path = ".env.secret", redact = true }]
_.path = ["{{config_root}}/bin", "tools/bin", "{{env.HOME}}/x", "node_modules/.bin"]
"#;
        use Loaded::{File, OnPath};
        let found: Vec<Loaded> = loaded(text).into_iter().map(|(l, _)| l).collect();
        assert_eq!(
            found,
            [
                File("scripts/env.sh".into()),
                File(".env".into()),
                File(".env.secret".into()),
                OnPath("bin".into()),
                OnPath("tools/bin".into()),
            ]
        );
        assert!(loaded("not toml [").is_empty());
        assert!(loaded("[env]\nA = \"1\"\n").is_empty());
    }
}
