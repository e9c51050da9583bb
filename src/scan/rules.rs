//! The scan rules: pure functions from a file's name and text to findings.
//! Documented, with an example each, in `docs/scan-rules.md`.

use super::Severity;
use crate::text::{is_bidi_control, is_hidden, is_tag, is_zero_width};
use regex::Regex;
use serde::{Deserialize, Serialize};
use std::sync::OnceLock;

/// Every rule's id, as findings and `docs/scan-rules.md` name them.
pub const RULE_IDS: [&str; 9] = [
    "unicode-tag-characters",
    "unicode-bidi-control",
    "unicode-zero-width-in-word",
    "unicode-mixed-script-identifier",
    "unicode-confusable-identifier",
    "hidden-instruction",
    "encoded-payload",
    "agent-config",
    "agent-instructions",
];

/// A rule's id: one of [`RULE_IDS`]. (Named so that serde reads it back
/// through `rule_id` rather than borrowing from the input.)
pub type RuleId = &'static str;

/// Bumped whenever a rule changes what it finds, so that results cached by
/// an older rule set are not reused.
pub const RULES_VERSION: u32 = 6;

/// One finding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// The file.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column (in characters).
    pub column: usize,
    /// The rule's id (one of [`RULE_IDS`]).
    #[serde(deserialize_with = "rule_id")]
    pub rule: RuleId,
    /// How much it matters.
    pub severity: Severity,
    /// What was found.
    pub message: String,
    /// The line around it, with hidden characters made visible.
    pub excerpt: String,
}

impl Finding {
    /// A finding at byte offset `byte` of `text`, the contents of `file`.
    fn at(
        file: &str,
        text: &str,
        byte: usize,
        rule: &'static str,
        severity: Severity,
        message: String,
    ) -> Finding {
        debug_assert!(RULE_IDS.contains(&rule), "{rule} is not in RULE_IDS");
        let (line, column, excerpt) = position(text, byte);
        Finding {
            file: file.to_string(),
            line,
            column,
            rule,
            severity,
            message,
            excerpt,
        }
    }
}

/// Reads a rule id back (from a cached scan) as the rule's own `&'static str`.
fn rule_id<'de, D: serde::Deserializer<'de>>(input: D) -> Result<RuleId, D::Error> {
    let name = String::deserialize(input)?;
    RULE_IDS
        .iter()
        .copied()
        .find(|id| *id == name)
        .ok_or_else(|| serde::de::Error::custom(format!("unknown scan rule `{name}`")))
}

/// Phrases that address a model rather than a human reader. Word
/// boundaries are ASCII ones (`(?-u:\b)`): a Unicode boundary makes the
/// regex engine fall back to its slowest search on non-ASCII text.
const INSTRUCTION_PATTERN: &str = r"(?i)(?-u:\b)(?:ignore (?:all |any )?(?:the )?(?:previous|prior|above) (?:instructions|prompts?)|disregard (?:all |the )?(?:previous|prior|above)|you are now(?-u:\b)|new instructions:|do not (?:tell|inform|mention (?:this )?to) the user|don'?t tell the user|without telling the user|run (?:this|the following) command|execute (?:this|the following) command|(?:send|post|upload|exfiltrate)(?-u:\b).{0,60}(?-u:\b)to https?://|as an ai (?:assistant|agent|model),? you (?:must|should))";

fn instruction() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(INSTRUCTION_PATTERN).expect("valid"))
}

/// The phrases of [`INSTRUCTION_PATTERN`] that only a model is addressed
/// with: in a code comment "run the following command", "you are now the
/// session leader" or "send the request to https://…" is ordinary talk
/// between developers.
const MODEL_ADDRESS_PATTERN: &str = r"(?i)(?-u:\b)(?:ignore (?:all |any )?(?:the )?(?:previous|prior|above) (?:instructions|prompts?)|disregard (?:all |the )?(?:previous|prior|above)|new instructions:|do not (?:tell|inform|mention (?:this )?to) the user|don'?t tell the user|without telling the user|as an ai (?:assistant|agent|model),? you (?:must|should))";

fn model_address() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(MODEL_ADDRESS_PATTERN).expect("valid"))
}

/// Makes hidden characters visible for an excerpt.
pub fn visible(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars().take(200) {
        if c != '\t' && is_hidden(c) {
            out.push_str(&format!("<U+{:04X}>", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

fn position(text: &str, byte: usize) -> (usize, usize, String) {
    let before = &text[..byte.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |n| n + 1);
    let column = text[line_start..byte.min(text.len())].chars().count() + 1;
    let line_text = text[line_start..].lines().next().unwrap_or("");
    (line, column, visible(line_text.trim()))
}

/// Every finding in one file.
pub fn scan_text(name: &str, text: &str) -> Vec<Finding> {
    let mut findings = Vec::new();
    let mut add = |byte: usize, rule: &'static str, severity: Severity, message: String| {
        findings.push(Finding::at(name, text, byte, rule, severity, message));
    };
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut tag_run: Option<(usize, String)> = None;
    for (index, &(byte, c)) in chars.iter().enumerate() {
        if is_tag(c) {
            let decoded =
                char::from_u32(c as u32 - 0xE0000).filter(|d| d.is_ascii_graphic() || *d == ' ');
            match &mut tag_run {
                Some((_, hidden)) => hidden.extend(decoded),
                None => tag_run = Some((byte, decoded.into_iter().collect())),
            }
            continue;
        }
        if let Some((start, hidden)) = tag_run.take()
            && spells_hidden_text(text, start, &hidden)
        {
            add(
                start,
                "unicode-tag-characters",
                Severity::High,
                format!("invisible tag characters spelling {:?}", hidden),
            );
        }
        if is_bidi_control(c) && !names_itself(text, byte, c) {
            add(
                byte,
                "unicode-bidi-control",
                Severity::High,
                format!("bidirectional control U+{:04X} (Trojan Source)", c as u32),
            );
        } else if is_zero_width(c) {
            let prev = index.checked_sub(1).map(|i| chars[i].1);
            let next = chars.get(index + 1).map(|&(_, c)| c);
            // Between two letters, one of them ASCII: `pass<U+200B>word`. Between
            // letters of a script that writes words with them (Persian's
            // non-joiner, Thai's and Khmer's word breaks), it is spelling.
            let inside_word = prev.is_some_and(char::is_alphanumeric)
                && next.is_some_and(char::is_alphanumeric)
                && (prev.is_some_and(|c| c.is_ascii_alphanumeric())
                    || next.is_some_and(|c| c.is_ascii_alphanumeric()));
            let emoji_join = c == '\u{200D}'
                && (prev.is_some_and(is_emoji_like) || next.is_some_and(is_emoji_like));
            let bom = c == '\u{FEFF}' && byte == 0;
            if inside_word && !emoji_join && !bom {
                add(
                    byte,
                    "unicode-zero-width-in-word",
                    Severity::Medium,
                    format!("zero-width U+{:04X} inside a word", c as u32),
                );
            }
        }
    }
    if let Some((start, hidden)) =
        tag_run.filter(|(start, hidden)| spells_hidden_text(text, *start, hidden))
    {
        add(
            start,
            "unicode-tag-characters",
            Severity::High,
            format!("invisible tag characters spelling {:?}", hidden),
        );
    }
    // Identifiers mixing Latin with Cyrillic or Greek letters (none in
    // ASCII text, which is most of a repository: skip the Unicode regex).
    static IDENTIFIER: OnceLock<Regex> = OnceLock::new();
    let identifier =
        IDENTIFIER.get_or_init(|| Regex::new(r"\b[\p{L}_][\p{L}\p{N}_]{2,}\b").expect("valid"));
    let words: Vec<regex::Match> = if text.is_ascii() {
        Vec::new()
    } else {
        identifier.find_iter(text).collect()
    };
    // The file's plain identifiers, which a look-alike spelling imitates.
    let ascii_words: std::collections::HashSet<&str> = words
        .iter()
        .map(|word| word.as_str())
        .filter(|word| word.is_ascii())
        .collect();
    for word in words {
        let scripts = Scripts::of(word.as_str());
        // Three letters are a word of the other language as often as a
        // disguise (`Μαρ`, March in Greek, next to `Map`).
        if let Some(imitated) = whole_script_confusable(word.as_str(), scripts)
            .filter(|skeleton| skeleton.chars().filter(|c| c.is_alphabetic()).count() >= 4)
            .filter(|skeleton| ascii_words.contains(skeleton.as_str()))
        {
            add(
                word.start(),
                "unicode-confusable-identifier",
                Severity::High,
                format!(
                    "`{}` is written in {} letters that look like `{imitated}`, another identifier of this file",
                    word.as_str(),
                    scripts.joined()
                ),
            );
        }
        // `\u0301λος` is an escape followed by Greek, not a mixed word.
        let judged = without_escape_prefix(word.as_str());
        let scripts = Scripts::of(judged);
        if scripts.len() > 1 {
            // A look-alike letter among plain ASCII ones is a homoglyph
            // attack; `βa1`, `xσxς` in test data or a code page's table
            // (`αßΓπΣσµτΦΘΩδ`, no ASCII letter) is ordinary text, worth
            // only a glance.
            let look_alike = judged
                .chars()
                .find_map(|c| latin_look_alike(c).map(|latin| (c, latin)))
                .filter(|_| judged.chars().any(|c| c.is_ascii_alphabetic()));
            let (severity, why) = match look_alike {
                Some((c, latin)) => (
                    Severity::High,
                    format!("; U+{:04X} looks like `{latin}`", c as u32),
                ),
                None => (Severity::Low, String::from(" (no look-alike letters)")),
            };
            add(
                word.start(),
                "unicode-mixed-script-identifier",
                severity,
                format!("`{}` mixes {}{why}", word.as_str(), scripts.joined()),
            );
        }
    }
    // Instructions aimed at a model, where a reviewer does not look.
    static BLOB: OnceLock<Regex> = OnceLock::new();
    let blob =
        BLOB.get_or_init(|| Regex::new(r"[A-Za-z0-9+/=]{200,}|(?i)[0-9a-f]{200,}").expect("valid"));
    for (start, end, place) in hidden_regions(name, text) {
        let phrases = match place {
            hidden::CODE_COMMENT => model_address(),
            _ => instruction(),
        };
        if let Some(found) = phrases.find(&text[start..end]) {
            add(
                start + found.start(),
                "hidden-instruction",
                Severity::High,
                format!("instruction-like text ({:?}) in {place}", found.as_str()),
            );
        }
        // A long line's end is often minified code, and a code comment's
        // blob an inline source map: neither is where a payload hides.
        if !matches!(
            place,
            "the far end of a very long line" | hidden::CODE_COMMENT
        ) && let Some(found) = blob.find(&text[start..end])
        {
            add(
                start + found.start(),
                "encoded-payload",
                Severity::Medium,
                format!("a {}-character encoded blob in {place}", found.len()),
            );
        }
    }
    findings.extend(agent_configuration(name, text));
    findings.sort_by(|a, b| (a.line, a.column, a.rule).cmp(&(b.line, b.column, b.rule)));
    findings.dedup_by(|a, b| a.line == b.line && a.column == b.column && a.rule == b.rule);
    findings
}

/// Agent configuration a repository can use to give itself power.
fn agent_configuration(name: &str, text: &str) -> Vec<Finding> {
    let base = name.rsplit('/').next().unwrap_or(name);
    let finding = |rule: &'static str, severity: Severity, message: String, needle: &str| {
        let byte = text.find(needle).unwrap_or(0);
        Finding::at(name, text, byte, rule, severity, message)
    };
    let mut findings = Vec::new();
    if name.contains(".claude/") && base.starts_with("settings") && base.ends_with(".json") {
        for key in [
            "\"hooks\"",
            "\"apiKeyHelper\"",
            "\"permissions\"",
            "\"env\"",
        ] {
            if text.contains(key) {
                findings.push(finding(
                    "agent-config",
                    Severity::High,
                    format!("Claude Code settings in the repository set {key}"),
                    key,
                ));
            }
        }
    }
    if base == ".mcp.json" || (base.ends_with(".json") && text.contains("\"mcpServers\"")) {
        findings.push(finding(
            "agent-config",
            Severity::High,
            "an MCP server list: it starts programs for the assistant".into(),
            "mcpServers",
        ));
    }
    if base == "tasks.json" && name.contains(".vscode/") && text.contains("folderOpen") {
        findings.push(finding(
            "agent-config",
            Severity::High,
            "a VS Code task that runs when the folder opens".into(),
            "folderOpen",
        ));
    }
    if let Some(row) = super::agent_files::agent_file(name)
        .filter(|row| row.used_as == super::agent_files::Use::Instructions)
    {
        // The whole file is read as instructions: text that tries to take
        // the model over matters wherever it is, not only where it hides.
        if let Some(found) = instruction().find(text) {
            findings.push(finding(
                "agent-instructions",
                Severity::High,
                format!(
                    "{base} ({} loads it as instructions) tells the model {:?}",
                    row.clients,
                    found.as_str()
                ),
                found.as_str(),
            ));
        }
        static COMMAND: OnceLock<Regex> = OnceLock::new();
        let command = COMMAND.get_or_init(|| Regex::new(r"(?m)https?://\S+|^\s*(?:\$ )?(?:curl|wget|bash|sh|sudo|chmod|nc|python3? -c)\b|```(?:bash|sh|shell|console)").expect("valid"));
        if let Some(found) = command.find(text) {
            findings.push(finding(
                "agent-instructions",
                Severity::Medium,
                format!(
                    "{base} ({} loads it as instructions) contains commands or URLs",
                    row.clients
                ),
                found.as_str(),
            ));
        }
    }
    if base == "config.toml"
        && name.contains(".codex/")
        && let Some(key) = ["[mcp_servers", "notify", "[hooks"]
            .into_iter()
            .find(|key| text.contains(key))
    {
        findings.push(finding(
            "agent-config",
            Severity::High,
            format!("Codex configuration in the repository sets {key}: it runs programs"),
            key,
        ));
    }
    if base == "settings.json" && name.contains(".gemini/") && text.contains("\"hooks\"") {
        findings.push(finding(
            "agent-config",
            Severity::High,
            "Gemini CLI settings in the repository set hooks".into(),
            "\"hooks\"",
        ));
    }
    findings
}

mod hidden;
mod unicode;

use hidden::hidden_regions;
use unicode::{
    Scripts, is_emoji_like, latin_look_alike, names_itself, spells_hidden_text,
    whole_script_confusable, without_escape_prefix,
};

#[cfg(test)]
mod tests;
