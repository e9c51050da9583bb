//! What of a per-session copy of a client's configuration file goes back to
//! the real file: the changes the session made to the keys a profile lists,
//! laid over the real file as it is when the session ends (so that what an
//! unconfined client wrote meanwhile stays). Every other change stays in the
//! session's copy and is only named.
//!
//! An object the real file lacks on the way to a merged key (a new project
//! entry) is made from the session's, keeping only its empty values (`[]`,
//! `{}`, `false`, `0`, `""`, `null`): what a client writes as the defaults
//! of a new entry, which widen nothing, since a missing entry means the
//! same defaults.
//!
//! Pure: values in, values out.

use serde::Serialize;
use serde_json::{Map, Value};
use std::path::{Component, Path, PathBuf};

/// How deep the changes left behind are named (`projects."/r".allowedTools`).
const NAMED_DEPTH: usize = 3;

/// A key of a JSON object, nested: `projects.{repo}.hasTrustDialogAccepted`
/// (serialized so).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyPath {
    /// The names from the top.
    pub segments: Vec<KeySegment>,
}

/// One step of a [`KeyPath`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySegment {
    /// This name.
    Name(String),
    /// Any name that is a plain absolute path at or beneath this one (no
    /// `.` or `..`, which would name something else).
    Beneath(PathBuf),
}

/// Why a `merge` entry is not a key path.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyPathError {
    /// `a..b`, `.a`, `a.`.
    #[error("`{0}` has an empty key")]
    EmptyKey(String),
    /// A `{…}` other than `{repo}`.
    #[error("`{path}`: `{segment}` is no key; only `{{repo}}` stands for keys")]
    Placeholder {
        /// The entry.
        path: String,
        /// The segment.
        segment: String,
    },
}

impl KeyPath {
    /// Parses `a.b.c`, where the segment `{repo}` becomes
    /// [`KeySegment::Beneath`] `repo`.
    pub fn parse(text: &str, repo: &Path) -> Result<KeyPath, KeyPathError> {
        let segments = text
            .split('.')
            .map(|segment| match segment {
                "" => Err(KeyPathError::EmptyKey(text.to_string())),
                "{repo}" => Ok(KeySegment::Beneath(repo.to_path_buf())),
                _ if segment.contains(['{', '}']) => Err(KeyPathError::Placeholder {
                    path: text.to_string(),
                    segment: segment.to_string(),
                }),
                _ => Ok(KeySegment::Name(segment.to_string())),
            })
            .collect::<Result<_, _>>()?;
        Ok(KeyPath { segments })
    }

    /// Every concrete key this path names in either value.
    fn expand(&self, values: [&Value; 2]) -> Vec<Vec<String>> {
        let mut found = vec![Vec::new()];
        for segment in &self.segments {
            let mut next = Vec::new();
            for prefix in found {
                match segment {
                    KeySegment::Name(name) => next.push(extended(&prefix, name)),
                    KeySegment::Beneath(root) => {
                        let mut names: Vec<&String> = values
                            .iter()
                            .filter_map(|value| get(value, &prefix)?.as_object())
                            .flat_map(Map::keys)
                            .filter(|name| is_beneath(name, root))
                            .collect();
                        names.sort();
                        names.dedup();
                        next.extend(names.into_iter().map(|name| extended(&prefix, name)));
                    }
                }
            }
            found = next;
        }
        found
    }
}

impl std::fmt::Display for KeyPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self
            .segments
            .iter()
            .map(|segment| match segment {
                KeySegment::Name(name) => name.as_str(),
                KeySegment::Beneath(_) => "{repo}",
            })
            .collect();
        f.write_str(&names.join("."))
    }
}

impl Serialize for KeyPath {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// What goes back, and what does not.
#[derive(Debug, Clone, PartialEq)]
pub struct MergeBack {
    /// The real file's new content.
    pub value: Value,
    /// The keys whose session value was carried over, name by name from
    /// the top.
    pub merged: Vec<Vec<String>>,
    /// The keys the session changed that stay in its copy.
    pub dropped: Vec<String>,
}

impl MergeBack {
    /// The merged keys as the log names them (`projects."/r".trusted`).
    pub fn merged_names(&self) -> Vec<String> {
        self.merged.iter().map(|path| display(path)).collect()
    }
}

/// Lays the session's changes (`original` → `session`) to `keys` over
/// `current`, the real file now; with `values`, only changes to one of
/// those strings.
pub fn merge_back(
    original: &Value,
    session: &Value,
    current: &Value,
    keys: &[KeyPath],
    values: &[String],
) -> MergeBack {
    let mut value = current.clone();
    let mut carried = original.clone();
    let mut merged = Vec::new();
    for key in keys {
        for concrete in key.expand([original, session]) {
            let now = get(session, &concrete);
            if get(original, &concrete) == now {
                continue;
            }
            let allowed = values.is_empty()
                || now
                    .and_then(Value::as_str)
                    .is_some_and(|value| values.iter().any(|v| v == value));
            if !allowed {
                continue;
            }
            seed_missing_parents(&mut value, session, &concrete);
            if !set(&mut value, &concrete, now.cloned()) {
                continue;
            }
            seed_missing_parents(&mut carried, session, &concrete);
            set(&mut carried, &concrete, now.cloned());
            merged.push(concrete);
        }
    }
    let mut dropped = Vec::new();
    differences(Some(&carried), Some(session), &mut Vec::new(), &mut dropped);
    MergeBack {
        value,
        merged,
        dropped,
    }
}

/// Makes each object missing in `value` on the way to `path` from the
/// session's, with only its empty values.
fn seed_missing_parents(value: &mut Value, session: &Value, path: &[String]) {
    for depth in 1..path.len() {
        let prefix = &path[..depth];
        if get(value, prefix).is_some() {
            continue;
        }
        let Some(theirs) = get(session, prefix).and_then(Value::as_object) else {
            return;
        };
        let empties = theirs
            .iter()
            .filter(|(_, value)| is_empty(value))
            .map(|(name, value)| (name.clone(), value.clone()))
            .collect();
        if !set(value, prefix, Some(Value::Object(empties))) {
            return;
        }
    }
}

fn is_empty(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Bool(b) => !b,
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
    }
}

fn extended(prefix: &[String], name: &str) -> Vec<String> {
    let mut path = prefix.to_vec();
    path.push(name.to_string());
    path
}

fn is_beneath(name: &str, root: &Path) -> bool {
    let path = Path::new(name);
    let mut components = path.components();
    components.next() == Some(Component::RootDir)
        && components.all(|c| matches!(c, Component::Normal(_)))
        && !name.contains("//")
        && !name.ends_with('/')
        && path.starts_with(root)
}

fn get<'a>(value: &'a Value, path: &[String]) -> Option<&'a Value> {
    path.iter()
        .try_fold(value, |value, name| value.as_object()?.get(name))
}

/// Sets (or, with `None`, removes) `path` in `value`, making the objects on
/// the way; false if something on the way is not an object.
fn set(value: &mut Value, path: &[String], new: Option<Value>) -> bool {
    let Some((last, parents)) = path.split_last() else {
        return false;
    };
    let mut object = value;
    for name in parents {
        let Some(map) = object.as_object_mut() else {
            return false;
        };
        if new.is_none() && !map.contains_key(name) {
            return true;
        }
        object = map
            .entry(name.clone())
            .or_insert_with(|| Value::Object(Map::new()));
    }
    let Some(map) = object.as_object_mut() else {
        return false;
    };
    match new {
        Some(new) => {
            map.insert(last.clone(), new);
        }
        None => {
            map.remove(last);
        }
    }
    true
}

fn differences(
    a: Option<&Value>,
    b: Option<&Value>,
    path: &mut Vec<String>,
    out: &mut Vec<String>,
) {
    if a == b {
        return;
    }
    match (a.and_then(Value::as_object), b.and_then(Value::as_object)) {
        (Some(a), Some(b)) if path.len() < NAMED_DEPTH => {
            let mut names: Vec<&String> = a.keys().chain(b.keys()).collect();
            names.sort();
            names.dedup();
            for name in names {
                path.push(name.clone());
                differences(a.get(name), b.get(name), path, out);
                path.pop();
            }
        }
        _ => out.push(display(path)),
    }
}

/// `a.b."/some/path".c`: names that hold a `.`, `/` or space quoted.
fn display(path: &[String]) -> String {
    path.iter()
        .map(
            |name| match name.contains(['.', '/', ' ', '"']) || name.is_empty() {
                true => Value::String(name.clone()).to_string(),
                false => name.clone(),
            },
        )
        .collect::<Vec<_>>()
        .join(".")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn keys(list: &[&str]) -> Vec<KeyPath> {
        list.iter()
            .map(|key| KeyPath::parse(key, Path::new("/work/repo")).unwrap())
            .collect()
    }

    #[test]
    fn listed_changes_go_back_over_the_file_as_it_is_now() {
        let original = json!({"numStartups": 3, "mcpServers": {}, "projects": {}});
        let session = json!({
            "numStartups": 4,
            "mcpServers": {"x": {"command": "/tmp/evil"}},
            "projects": {
                "/work/repo": {
                    "hasTrustDialogAccepted": true,
                    "allowedTools": ["Bash"],
                    "mcpServers": {},
                    "projectOnboardingSeenCount": 0,
                },
                "/work/repo/sub": {"hasTrustDialogAccepted": true},
                "/work/other": {"hasTrustDialogAccepted": true},
                "/work/repo/../other": {"hasTrustDialogAccepted": true},
            },
        });
        // An unconfined run changed the real file meanwhile.
        let current = json!({"numStartups": 7, "theme": "dark", "projects": {}});
        let result = merge_back(
            &original,
            &session,
            &current,
            &keys(&["numStartups", "projects.{repo}.hasTrustDialogAccepted"]),
            &[],
        );
        assert_eq!(
            result.value,
            json!({
                "numStartups": 4,
                "theme": "dark",
                "projects": {
                    "/work/repo": {
                        "hasTrustDialogAccepted": true,
                        "mcpServers": {},
                        "projectOnboardingSeenCount": 0,
                    },
                    "/work/repo/sub": {"hasTrustDialogAccepted": true},
                },
            })
        );
        assert_eq!(
            result.merged_names(),
            [
                "numStartups",
                r#"projects."/work/repo".hasTrustDialogAccepted"#,
                r#"projects."/work/repo/sub".hasTrustDialogAccepted"#,
            ]
        );
        assert_eq!(
            result.dropped,
            [
                "mcpServers.x",
                r#"projects."/work/other""#,
                r#"projects."/work/repo".allowedTools"#,
                r#"projects."/work/repo/../other""#,
            ]
        );
    }

    #[test]
    fn an_unchanged_key_leaves_the_real_value_and_a_removed_one_goes() {
        let original = json!({"a": 1, "b": 2});
        let session = json!({"a": 1});
        let current = json!({"a": 5, "b": 6});
        let result = merge_back(&original, &session, &current, &keys(&["a", "b"]), &[]);
        assert_eq!(result.value, json!({"a": 5}));
        assert_eq!(result.merged_names(), ["b"]);
        assert!(result.dropped.is_empty());
    }

    #[test]
    fn a_path_through_something_not_an_object_is_left_alone() {
        let result = merge_back(
            &json!({}),
            &json!({"projects": {"/work/repo": {"hasTrustDialogAccepted": true}}}),
            &json!({"projects": "odd"}),
            &keys(&["projects.{repo}.hasTrustDialogAccepted"]),
            &[],
        );
        assert_eq!(result.value, json!({"projects": "odd"}));
        assert!(result.merged.is_empty());
        assert_eq!(result.dropped, ["projects"]);
    }

    #[test]
    fn a_change_to_a_value_not_listed_stays_behind() {
        let session = json!({"/work/repo": "TRUST_PARENT", "/work/repo/sub": "TRUST_FOLDER"});
        let result = merge_back(
            &json!({}),
            &session,
            &json!({}),
            &keys(&["{repo}"]),
            &["TRUST_FOLDER".to_string(), "DO_NOT_TRUST".to_string()],
        );
        assert_eq!(result.value, json!({"/work/repo/sub": "TRUST_FOLDER"}));
        assert_eq!(result.dropped, [r#""/work/repo""#]);
    }

    #[test]
    fn only_repo_stands_for_keys() {
        assert!(matches!(
            KeyPath::parse("projects.{home}.x", Path::new("/r")),
            Err(KeyPathError::Placeholder { .. })
        ));
        assert_eq!(
            KeyPath::parse("a..b", Path::new("/r")).unwrap_err(),
            KeyPathError::EmptyKey("a..b".into())
        );
    }
}
