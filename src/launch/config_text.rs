//! The text of a client's configuration file, read and written in its own
//! format for the merge of a per-session copy ([`crate::policy::merge_back`]).

use crate::policy::{CopyFormat, MergeBack};
use serde_json::Value;

/// The file's content as a JSON value (an empty object for an empty file).
pub fn parse(format: CopyFormat, bytes: &[u8]) -> Result<Value, String> {
    match format {
        CopyFormat::Json => serde_json::from_slice(bytes).map_err(|e| format!("not JSON: {e}")),
        CopyFormat::Toml => {
            let text = std::str::from_utf8(bytes).map_err(|e| format!("not UTF-8: {e}"))?;
            let table: toml::Table = toml::from_str(text).map_err(|e| format!("not TOML: {e}"))?;
            serde_json::to_value(table).map_err(|e| e.to_string())
        }
    }
}

/// The real file's new text: JSON written anew (two-space indent, as the
/// clients write it); TOML as it is with a table appended for each merged
/// key whose table it lacks. A key whose table the file has already would
/// need an edit in place: it is not merged, and named in the error.
pub fn render(
    format: CopyFormat,
    current: &[u8],
    current_value: &Value,
    outcome: &MergeBack,
) -> Result<Vec<u8>, String> {
    match format {
        CopyFormat::Json => serde_json::to_vec_pretty(&outcome.value).map_err(|e| e.to_string()),
        CopyFormat::Toml => append_tables(current, current_value, outcome),
    }
}

fn append_tables(
    current: &[u8],
    current_value: &Value,
    outcome: &MergeBack,
) -> Result<Vec<u8>, String> {
    let mut text = String::from_utf8_lossy(current).into_owned();
    for path in &outcome.merged {
        let Some((key, parents)) = path.split_last() else {
            continue;
        };
        let new = lookup(&outcome.value, path);
        if lookup(current_value, parents).is_some() || new.is_none() {
            return Err(format!(
                "{}: merging it would need an edit in place",
                path.join(".")
            ));
        }
        // The nested tables down to the key, as TOML writes them: a header
        // for the innermost, which the file did not define.
        let mut value = toml::Value::try_from(new).map_err(|e| e.to_string())?;
        value = toml::Value::Table(toml::Table::from_iter([(key.clone(), value)]));
        for name in parents.iter().rev() {
            value = toml::Value::Table(toml::Table::from_iter([(name.clone(), value)]));
        }
        let toml::Value::Table(table) = value else {
            unreachable!("built as a table");
        };
        if !text.is_empty() && !text.ends_with('\n') {
            text.push('\n');
        }
        text.push('\n');
        text.push_str(&toml::to_string(&table).map_err(|e| e.to_string())?);
    }
    // What is written must read back as exactly the merged content.
    match parse(CopyFormat::Toml, text.as_bytes()) {
        Ok(value) if value == outcome.value => Ok(text.into_bytes()),
        Ok(_) => Err("appending the merged tables would change other keys".to_string()),
        Err(why) => Err(format!("appending the merged tables: {why}")),
    }
}

fn lookup<'a>(value: &'a Value, path: &[String]) -> Option<&'a Value> {
    path.iter()
        .try_fold(value, |value, name| value.as_object()?.get(name))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{KeyPath, merge_back};
    use std::path::Path;

    #[test]
    fn an_overlay_merges_objects_appends_to_arrays_and_replaces_the_rest() {
        let mut base = serde_json::json!({
            "model": "pro",
            "hooks": {"BeforeTool": [{"matcher": "mine"}]},
            "hooksConfig": {"enabled": false, "disabled": ["x"]},
        });
        let top = serde_json::json!({
            "hooks": {"BeforeTool": [{"matcher": "*"}], "AfterTool": [{"matcher": "*"}]},
            "hooksConfig": {"enabled": true},
        });
        crate::policy::client_hooks::overlay(&mut base, &top);
        assert_eq!(
            base,
            serde_json::json!({
                "model": "pro",
                "hooks": {
                    "BeforeTool": [{"matcher": "mine"}, {"matcher": "*"}],
                    "AfterTool": [{"matcher": "*"}],
                },
                "hooksConfig": {"enabled": true, "disabled": ["x"]},
            })
        );
    }

    #[test]
    fn toml_gets_new_tables_appended_and_keeps_the_rest_as_written() {
        let current = "# my settings\nmodel = \"o3\"  # the one I like\n\n[projects.\"/other\"]\ntrust_level = \"trusted\"\n";
        let session = "model = \"o3\"\n[projects.\"/work/repo\"]\ntrust_level = \"trusted\"\n[mcp_servers.x]\ncommand = \"/tmp/evil\"\n";
        let keys =
            [KeyPath::parse("projects.{repo}.trust_level", Path::new("/work/repo")).unwrap()];
        let parse = |text: &str| parse(CopyFormat::Toml, text.as_bytes()).unwrap();
        let current_value = parse(current);
        let outcome = merge_back(&parse(current), &parse(session), &current_value, &keys, &[]);
        let text = render(
            CopyFormat::Toml,
            current.as_bytes(),
            &current_value,
            &outcome,
        )
        .unwrap();
        let text = String::from_utf8(text).unwrap();
        assert!(text.starts_with(current), "{text}");
        assert!(
            text.ends_with("[projects.\"/work/repo\"]\ntrust_level = \"trusted\"\n"),
            "{text}"
        );
        assert!(!text.contains("evil"));
    }

    #[test]
    fn a_key_in_a_table_the_file_has_is_not_merged_by_rewriting_it() {
        let current = "[projects.\"/work/repo\"]\ntrust_level = \"untrusted\"\n";
        let session = "[projects.\"/work/repo\"]\ntrust_level = \"trusted\"\n";
        let keys =
            [KeyPath::parse("projects.{repo}.trust_level", Path::new("/work/repo")).unwrap()];
        let parse = |text: &str| parse(CopyFormat::Toml, text.as_bytes()).unwrap();
        let outcome = merge_back(
            &parse(current),
            &parse(session),
            &parse(current),
            &keys,
            &[],
        );
        let rendered = render(
            CopyFormat::Toml,
            current.as_bytes(),
            &parse(current),
            &outcome,
        );
        assert!(rendered.unwrap_err().contains("edit in place"));
    }
}
