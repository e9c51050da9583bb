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
pub const RULES_VERSION: u32 = 4;

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

/// Phrases that address a model rather than a human reader.
const INSTRUCTION_PATTERN: &str = r"(?i)\b(?:ignore (?:all |any )?(?:the )?(?:previous|prior|above) (?:instructions|prompts?)|disregard (?:all |the )?(?:previous|prior|above)|you are now\b|new instructions:|do not (?:tell|inform|mention (?:this )?to) the user|don'?t tell the user|without telling the user|run (?:this|the following) command|execute (?:this|the following) command|(?:send|post|upload|exfiltrate)\b.{0,60}\bto https?://|as an ai (?:assistant|agent|model),? you (?:must|should))";

fn instruction() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(INSTRUCTION_PATTERN).expect("valid"))
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

/// Pictographic enough for an emoji ZWJ sequence (👨‍👩‍👧, 🏳️‍🌈).
fn is_emoji_like(c: char) -> bool {
    matches!(c as u32, 0x1F000..=0x1FAFF | 0x2600..=0x27BF | 0x2B00..=0x2BFF | 0xFE0F)
}

/// The scripts an identifier's letters come from (Latin, Cyrillic, Greek).
fn script(c: char) -> Option<&'static str> {
    match c as u32 {
        0x41..=0x5A | 0x61..=0x7A | 0xC0..=0x24F => Some("Latin"),
        0x370..=0x3FF => Some("Greek"),
        0x400..=0x52F => Some("Cyrillic"),
        _ => None,
    }
}

/// The Latin letter a Cyrillic or Greek letter is drawn like in common fonts
/// (after Unicode's confusables list), if any: `а` (U+0430) for `a`.
fn latin_look_alike(c: char) -> Option<char> {
    let latin = match c {
        'а' | 'α' => 'a',
        'с' => 'c',
        'ԁ' => 'd',
        'е' => 'e',
        'һ' => 'h',
        'і' | 'ι' => 'i',
        'ј' => 'j',
        'ӏ' => 'l',
        'о' | 'ο' => 'o',
        'р' | 'ρ' => 'p',
        'ԛ' => 'q',
        'ѕ' => 's',
        'υ' => 'u',
        'ν' => 'v',
        'ԝ' => 'w',
        'х' => 'x',
        'у' => 'y',
        'А' | 'Α' => 'A',
        'В' | 'Β' => 'B',
        'Е' | 'Ε' => 'E',
        'Н' | 'Η' | 'Һ' => 'H',
        'І' | 'Ι' | 'Ӏ' => 'I',
        'Ј' => 'J',
        'К' | 'Κ' => 'K',
        'М' | 'Μ' => 'M',
        'Ν' => 'N',
        'О' | 'Ο' => 'O',
        'Р' | 'Ρ' => 'P',
        'Ѕ' => 'S',
        'Т' | 'Τ' => 'T',
        'Х' | 'Χ' => 'X',
        'У' | 'Υ' | 'Ү' => 'Y',
        'Ζ' => 'Z',
        _ => return None,
    };
    Some(latin)
}

/// The Latin spelling of an identifier written only in Cyrillic or Greek
/// letters that each look like a Latin one (`раура` → `paypa`), if it is one.
fn whole_script_confusable(
    word: &str,
    scripts: &std::collections::BTreeSet<&str>,
) -> Option<String> {
    if scripts.contains("Latin") || scripts.is_empty() {
        return None;
    }
    word.chars()
        .map(|c| match script(c) {
            Some(_) => latin_look_alike(c),
            None => Some(c).filter(|c| c.is_ascii_digit() || *c == '_'),
        })
        .collect()
}

/// Where instruction-like text is hidden from a human reviewer.
fn hidden_regions(name: &str, text: &str) -> Vec<(usize, usize, &'static str)> {
    static HTML_COMMENT: OnceLock<Regex> = OnceLock::new();
    static DETAILS: OnceLock<Regex> = OnceLock::new();
    static ALT_OR_TITLE: OnceLock<Regex> = OnceLock::new();
    let mut regions = Vec::new();
    let markup = [
        ".md",
        ".markdown",
        ".html",
        ".htm",
        ".mdx",
        ".txt",
        ".rst",
        ".xml",
        ".svg",
    ]
    .iter()
    .any(|ext| name.ends_with(ext));
    if markup {
        let comment = HTML_COMMENT.get_or_init(|| Regex::new(r"(?s)<!--.*?-->").expect("valid"));
        regions.extend(
            comment
                .find_iter(text)
                .map(|m| (m.start(), m.end(), "an HTML comment")),
        );
        let details = DETAILS
            .get_or_init(|| Regex::new(r"(?is)<details(?:\s[^>]*)?>.*?</details>").expect("valid"));
        regions.extend(
            details
                .find_iter(text)
                .map(|m| (m.start(), m.end(), "a collapsed <details> block")),
        );
        let alt = ALT_OR_TITLE.get_or_init(|| {
            Regex::new(r#"(?s)!\[[^\]]{20,}\]\(|\]\([^)\s]+\s+"[^"]{20,}"\)|\balt\s*=\s*"[^"]{20,}"|\btitle\s*=\s*"[^"]{20,}""#).expect("valid")
        });
        regions.extend(
            alt.find_iter(text)
                .map(|m| (m.start(), m.end(), "image alt text or a link title")),
        );
    }
    // Lines long enough to push text off-screen.
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if line.chars().count() > 300 {
            let start = offset + line.char_indices().nth(200).map_or(0, |(i, _)| i);
            regions.push((
                start,
                offset + line.len(),
                "the far end of a very long line",
            ));
        }
        offset += line.len();
    }
    // Comments in data files.
    let data = [
        ".json", ".yaml", ".yml", ".toml", ".ini", ".cfg", ".csv", ".lock",
    ]
    .iter()
    .any(|ext| name.ends_with(ext));
    if data {
        let mut offset = 0;
        for line in text.split_inclusive('\n') {
            if let Some(at) = line.find('#').or_else(|| line.find("//")) {
                regions.push((offset + at, offset + line.len(), "a comment in a data file"));
            }
            offset += line.len();
        }
    }
    regions
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
        if let Some((start, hidden)) = tag_run.take() {
            add(
                start,
                "unicode-tag-characters",
                Severity::High,
                format!("invisible tag characters spelling {:?}", hidden),
            );
        }
        if is_bidi_control(c) {
            add(
                byte,
                "unicode-bidi-control",
                Severity::High,
                format!("bidirectional control U+{:04X} (Trojan Source)", c as u32),
            );
        } else if is_zero_width(c) {
            let prev = index.checked_sub(1).map(|i| chars[i].1);
            let next = chars.get(index + 1).map(|&(_, c)| c);
            let inside_word =
                prev.is_some_and(char::is_alphanumeric) && next.is_some_and(char::is_alphanumeric);
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
    if let Some((start, hidden)) = tag_run {
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
        let scripts: std::collections::BTreeSet<&str> =
            word.as_str().chars().filter_map(script).collect();
        if let Some(imitated) = whole_script_confusable(word.as_str(), &scripts)
            .filter(|skeleton| ascii_words.contains(skeleton.as_str()))
        {
            add(
                word.start(),
                "unicode-confusable-identifier",
                Severity::High,
                format!(
                    "`{}` is written in {} letters that look like `{imitated}`, another identifier of this file",
                    word.as_str(),
                    scripts.iter().copied().collect::<Vec<_>>().join(" and ")
                ),
            );
        }
        if scripts.len() > 1 {
            // A look-alike letter is a homoglyph attack; `βa1` or `xσxς` in
            // test data is ordinary multilingual text, worth only a glance.
            let look_alike = word
                .as_str()
                .chars()
                .find_map(|c| latin_look_alike(c).map(|latin| (c, latin)));
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
                format!(
                    "`{}` mixes {}{why}",
                    word.as_str(),
                    scripts.into_iter().collect::<Vec<_>>().join(" and ")
                ),
            );
        }
    }
    // Instructions aimed at a model, where a reviewer does not look.
    static BLOB: OnceLock<Regex> = OnceLock::new();
    let blob =
        BLOB.get_or_init(|| Regex::new(r"[A-Za-z0-9+/=]{200,}|(?i)[0-9a-f]{200,}").expect("valid"));
    for (start, end, place) in hidden_regions(name, text) {
        if let Some(found) = instruction().find(&text[start..end]) {
            add(
                start + found.start(),
                "hidden-instruction",
                Severity::High,
                format!("instruction-like text ({:?}) in {place}", found.as_str()),
            );
        }
        if place != "the far end of a very long line"
            && let Some(found) = blob.find(&text[start..end])
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
    if matches!(
        base,
        "CLAUDE.md"
            | "AGENTS.md"
            | "GEMINI.md"
            | ".cursorrules"
            | "CLAUDE.local.md"
            | ".windsurfrules"
    ) {
        static COMMAND: OnceLock<Regex> = OnceLock::new();
        let command = COMMAND.get_or_init(|| Regex::new(r"(?m)https?://\S+|^\s*(?:\$ )?(?:curl|wget|bash|sh|sudo|chmod|nc|python3? -c)\b|```(?:bash|sh|shell|console)").expect("valid"));
        if let Some(found) = command.find(text) {
            findings.push(finding(
                "agent-instructions",
                Severity::Medium,
                format!("{base} contains commands or URLs the assistant will read as instructions"),
                found.as_str(),
            ));
        }
    }
    findings
}

#[cfg(test)]
mod tests;
