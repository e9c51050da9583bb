//! Profile variables (`{repo}`, `{home}`, …) and their expansion.

use serde::Serialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The values profile entries may refer to as `{name}`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Variables {
    values: BTreeMap<&'static str, PathBuf>,
}

/// A `{…}` reference to a variable that does not exist, or an unclosed brace.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("unknown variable `{{{name}}}` (known: {known})")]
pub struct UnknownVariable {
    /// The name between the braces.
    pub name: String,
    /// The known names.
    pub known: String,
}

impl Variables {
    /// Builds the variable set. XDG directories follow the XDG base directory
    /// rules: the environment variable when absolute, else the default under home.
    pub fn new(
        repo: &Path,
        home: &Path,
        session_home: &Path,
        tmp: &Path,
        xdg: impl Fn(&str) -> Option<String>,
    ) -> Variables {
        let xdg_dir = |var: &str, default: &str| {
            xdg(var)
                .map(PathBuf::from)
                .filter(|p| p.is_absolute())
                .unwrap_or_else(|| home.join(default))
        };
        let values = BTreeMap::from([
            ("repo", repo.to_path_buf()),
            ("home", home.to_path_buf()),
            ("session_home", session_home.to_path_buf()),
            ("tmp", tmp.to_path_buf()),
            ("config", xdg_dir("XDG_CONFIG_HOME", ".config")),
            ("cache", xdg_dir("XDG_CACHE_HOME", ".cache")),
            ("data", xdg_dir("XDG_DATA_HOME", ".local/share")),
            ("state", xdg_dir("XDG_STATE_HOME", ".local/state")),
        ]);
        Variables { values }
    }

    /// Replaces every `{name}` in `text`.
    pub fn expand(&self, text: &str) -> Result<String, UnknownVariable> {
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            let after = &rest[open + 1..];
            let close = after.find('}').ok_or_else(|| self.unknown(after))?;
            let name = &after[..close];
            let value = self.values.get(name).ok_or_else(|| self.unknown(name))?;
            out.push_str(&value.to_string_lossy());
            rest = &after[close + 1..];
        }
        out.push_str(rest);
        Ok(out)
    }

    fn unknown(&self, name: &str) -> UnknownVariable {
        UnknownVariable {
            name: name.to_string(),
            known: self.values.keys().copied().collect::<Vec<_>>().join(", "),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars() -> Variables {
        Variables::new(
            Path::new("/r"),
            Path::new("/h"),
            Path::new("/s/home"),
            Path::new("/s/tmp"),
            |name| (name == "XDG_CACHE_HOME").then(|| "/c".to_string()),
        )
    }

    #[test]
    fn expands_known_and_xdg_defaults() {
        let v = vars();
        assert_eq!(v.expand("{repo}/.git").unwrap(), "/r/.git");
        assert_eq!(v.expand("{config}/x").unwrap(), "/h/.config/x");
        assert_eq!(v.expand("{cache}").unwrap(), "/c");
        assert_eq!(v.expand("plain").unwrap(), "plain");
    }

    #[test]
    fn unknown_and_unclosed_are_errors() {
        let v = vars();
        assert_eq!(v.expand("{nope}/x").unwrap_err().name, "nope");
        assert_eq!(v.expand("{repo").unwrap_err().name, "repo");
    }
}
