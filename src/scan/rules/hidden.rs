//! Where text is read by a model but not seen by a reviewer: for each kind
//! of file, the regions that render as nothing, elsewhere, or not at all.
//! docs/scan-rules.md ("What a reviewer sees and what a model sees") lists
//! them.

use regex::Regex;
use std::sync::OnceLock;

/// What a code comment is called in findings (its phrases are judged more
/// narrowly).
pub(super) const CODE_COMMENT: &str = "a code comment";

/// A hidden region: byte range and what it is.
pub(super) type Region = (usize, usize, &'static str);

/// The name ends with one of `extensions`.
fn has_extension(name: &str, extensions: &[&str]) -> bool {
    extensions.iter().any(|ext| name.ends_with(ext))
}

/// Where instruction-like text is hidden from a human reviewer in `text`,
/// the contents of the file `name`.
pub(super) fn hidden_regions(name: &str, text: &str) -> Vec<Region> {
    let mut regions = Vec::new();
    let base = name.rsplit('/').next().unwrap_or(name);
    let markdown = has_extension(name, &[".md", ".markdown", ".mdx", ".mdc"]);
    let markup = markdown
        || has_extension(
            name,
            &[
                ".html", ".htm", ".txt", ".rst", ".xml", ".svg", ".vue", ".xhtml",
            ],
        );
    if markup {
        markup_regions(text, &mut regions);
    }
    if markdown {
        markdown_regions(text, &mut regions);
    }
    long_lines(text, &mut regions);
    if has_extension(
        name,
        &[
            ".json", ".yaml", ".yml", ".toml", ".ini", ".cfg", ".csv", ".lock",
        ],
    ) {
        data_comments(text, &mut regions);
    }
    if name.ends_with(".ipynb") {
        for key in ["outputs", "metadata"] {
            regions.extend(
                json_values(text, key)
                    .into_iter()
                    .map(|(start, end)| (start, end, "a notebook's outputs or metadata")),
            );
        }
    }
    if matches!(base, "package.json" | "composer.json") {
        for key in ["description", "keywords", "scripts"] {
            regions.extend(json_values(text, key).into_iter().map(|(start, end)| {
                (
                    start,
                    end,
                    "a package manifest's description, keywords or scripts",
                )
            }));
        }
    }
    if matches!(base, "Cargo.toml" | "pyproject.toml" | "setup.cfg") {
        static DESCRIPTION: OnceLock<Regex> = OnceLock::new();
        let description = DESCRIPTION.get_or_init(|| {
            Regex::new(r#"(?m)^\s*(?:description|keywords|summary)\s*=\s*.*$"#).expect("valid")
        });
        regions.extend(
            description
                .find_iter(text)
                .map(|m| (m.start(), m.end(), "a package manifest's description")),
        );
    }
    if let Some(syntax) = comment_syntax(name) {
        let mut comments = Vec::new();
        code_comments(text, syntax, &mut comments);
        regions.extend(merge_adjacent(text, comments));
    }
    regions
}

/// Comments on consecutive lines, as one region each run (a model reads a
/// comment block as one text; one search of it instead of one per line).
fn merge_adjacent(text: &str, comments: Vec<Region>) -> Vec<Region> {
    let mut merged: Vec<Region> = Vec::new();
    for region in comments {
        match merged.last_mut() {
            Some(last) if region.0 <= last.1 || text[last.1..region.0].trim().is_empty() => {
                last.1 = last.1.max(region.1);
            }
            _ => merged.push(region),
        }
    }
    merged
}

/// HTML, SVG and XML: comments, collapsed blocks, alt text and titles,
/// elements hidden by attributes or style, and elements that never render.
fn markup_regions(text: &str, regions: &mut Vec<Region>) {
    static COMMENT: OnceLock<Regex> = OnceLock::new();
    static DETAILS: OnceLock<Regex> = OnceLock::new();
    static ALT_OR_TITLE: OnceLock<Regex> = OnceLock::new();
    static UNRENDERED: OnceLock<Regex> = OnceLock::new();
    static TAG: OnceLock<Regex> = OnceLock::new();
    let comment = COMMENT.get_or_init(|| Regex::new(r"(?s)<!--.*?-->").expect("valid"));
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
    // Elements a browser never shows: scripts off, templates, SVG text.
    let unrendered = UNRENDERED.get_or_init(|| {
        Regex::new(r"(?is)<noscript\b[^>]*>.*?</noscript>|<template\b[^>]*>.*?</template>|<desc\b[^>]*>.*?</desc>|<metadata\b[^>]*>.*?</metadata>|<svg\b[^>]*>\s*<title\b[^>]*>.*?</title>")
            .expect("valid")
    });
    regions.extend(unrendered.find_iter(text).map(|m| {
        (
            m.start(),
            m.end(),
            "an element that never renders (noscript, template, SVG desc or metadata)",
        )
    }));
    // Elements hidden by an attribute or by their style.
    let tag =
        TAG.get_or_init(|| Regex::new(r"(?is)<([a-z][a-z0-9-]*)(\s[^<>]*)?>").expect("valid"));
    for found in tag.captures_iter(text) {
        let attributes = found.get(2).map_or("", |m| m.as_str());
        if attributes.is_empty() || !hides(attributes) {
            continue;
        }
        let whole = found.get(0).expect("the match");
        let name = found[1].to_ascii_lowercase();
        let close = format!("</{name}");
        let end = text[whole.end()..]
            .to_ascii_lowercase()
            .find(&close)
            .map_or(text.len(), |at| whole.end() + at);
        regions.push((
            whole.start(),
            end,
            "an element hidden by its attributes or style",
        ));
    }
}

/// Whether a tag's attributes hide it: `hidden`, `aria-hidden="true"`,
/// screen-reader-only classes, or a style that takes it off the page.
fn hides(attributes: &str) -> bool {
    static HIDING: OnceLock<Regex> = OnceLock::new();
    let hiding = HIDING.get_or_init(|| {
        Regex::new(concat!(
            r#"(?i)(?:^|\s)hidden(?:\s|=|/|$)|aria-hidden\s*=\s*["']?true|class\s*=\s*["'][^"']*\b(?:sr-only|visually-hidden|screen-reader-text)\b"#,
            r#"|style\s*=\s*["'][^"']*(?:display\s*:\s*none|visibility\s*:\s*hidden|opacity\s*:\s*0(?:\.0*)?\s*(?:[;"']|$)|font-size\s*:\s*0(?:px|em|rem|%)?\s*(?:[;"']|$)|(?:left|top|right|text-indent|margin-left)\s*:\s*-\d{3,}|(?:height|width|max-height|max-width)\s*:\s*0(?:px)?\s*(?:[;"']|$)|color\s*:\s*transparent|clip\s*:\s*rect\(\s*0)"#,
        ))
        .expect("valid")
    });
    hiding.is_match(attributes)
}

/// Markdown: link reference definitions, which render as nothing and are
/// the usual Markdown comment (`[//]: # (…)`), and front matter.
fn markdown_regions(text: &str, regions: &mut Vec<Region>) {
    static REFERENCE: OnceLock<Regex> = OnceLock::new();
    static FRONT_MATTER: OnceLock<Regex> = OnceLock::new();
    let reference = REFERENCE.get_or_init(|| {
        Regex::new(
            r#"(?m)^ {0,3}\[[^\]\n]+\]:[ \t]*\S+[ \t]+(?:\([^)\n]*\)|"[^"\n]*"|'[^'\n]*')[ \t]*$"#,
        )
        .expect("valid")
    });
    regions.extend(reference.find_iter(text).map(|m| {
        (
            m.start(),
            m.end(),
            "a Markdown link reference definition (renders as nothing)",
        )
    }));
    let front_matter = FRONT_MATTER.get_or_init(|| {
        Regex::new(r"(?s)\A(?:\u{FEFF})?---\r?\n.*?\n---[ \t]*\r?\n").expect("valid")
    });
    regions.extend(
        front_matter
            .find_iter(text)
            .map(|m| (m.start(), m.end(), "front matter")),
    );
}

/// Lines long enough to push text off-screen.
fn long_lines(text: &str, regions: &mut Vec<Region>) {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        // Bytes are at least characters: count only what may be long.
        if line.len() > 300 && line.chars().count() > 300 {
            let start = offset + line.char_indices().nth(200).map_or(0, |(i, _)| i);
            regions.push((
                start,
                offset + line.len(),
                "the far end of a very long line",
            ));
        }
        offset += line.len();
    }
}

/// Comments in data files.
fn data_comments(text: &str, regions: &mut Vec<Region>) {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if let Some(at) = line.find('#').or_else(|| line.find("//")) {
            regions.push((offset + at, offset + line.len(), "a comment in a data file"));
        }
        offset += line.len();
    }
}

/// How a language writes comments.
#[derive(Clone, Copy)]
struct CommentSyntax {
    line: &'static [&'static str],
    block: Option<(&'static str, &'static str)>,
}

fn comment_syntax(name: &str) -> Option<CommentSyntax> {
    const C_LIKE: CommentSyntax = CommentSyntax {
        line: &["//"],
        block: Some(("/*", "*/")),
    };
    const HASH: CommentSyntax = CommentSyntax {
        line: &["#"],
        block: None,
    };
    const DASH: CommentSyntax = CommentSyntax {
        line: &["--"],
        block: None,
    };
    let c_like = [
        ".rs", ".c", ".h", ".cc", ".cpp", ".hpp", ".go", ".java", ".kt", ".js", ".mjs", ".cjs",
        ".jsx", ".ts", ".tsx", ".swift", ".scala", ".cs", ".php", ".dart", ".css", ".scss",
    ];
    let hash = [
        ".py", ".sh", ".bash", ".zsh", ".rb", ".pl", ".r", ".ps1", ".nix", ".tf",
    ];
    if has_extension(name, &c_like) {
        Some(C_LIKE)
    } else if has_extension(name, &hash)
        || name.ends_with("Dockerfile")
        || name.ends_with("Makefile")
    {
        Some(HASH)
    } else if has_extension(name, &[".sql", ".lua", ".hs"]) {
        Some(DASH)
    } else {
        None
    }
}

/// Comments in source code: what a model reads along with the code and a
/// reviewer skims. One pass over the bytes: a comment marker inside a
/// string (a URL's `//`) does not count; a string ends at its quote or, for
/// `"` and `'` (a Rust lifetime is not a string), at the end of its line.
fn code_comments(text: &str, syntax: CommentSyntax, regions: &mut Vec<Region>) {
    let bytes = text.as_bytes();
    // The first byte decides before any comparison of a whole marker.
    let starts = |at: usize, marker: &str| {
        bytes[at] == marker.as_bytes()[0] && bytes[at..].starts_with(marker.as_bytes())
    };
    let line_end = |at: usize| {
        bytes[at..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(bytes.len(), |n| at + n + 1)
    };
    // Outside a string only quotes and the markers' first bytes matter:
    // every other byte is passed over with one table lookup.
    let mut marks = [false; 256];
    for marker in syntax
        .line
        .iter()
        .chain(syntax.block.iter().map(|(open, _)| open))
    {
        marks[usize::from(marker.as_bytes()[0])] = true;
    }
    for quote in [b'"', b'\'', b'`'] {
        marks[usize::from(quote)] = true;
    }
    let mut quote: Option<u8> = None;
    let mut at = 0;
    while at < bytes.len() {
        let b = bytes[at];
        if quote.is_none() && !marks[usize::from(b)] {
            at += 1;
            continue;
        }
        if let Some(open) = quote {
            match b {
                b'\\' => at += 1,
                b'\n' if open != b'`' => quote = None,
                _ if b == open => quote = None,
                _ => {}
            }
            at += 1;
            continue;
        }
        if matches!(b, b'"' | b'\'' | b'`') {
            quote = Some(b);
            at += 1;
            continue;
        }
        if syntax.line.iter().any(|marker| starts(at, marker)) {
            let end = line_end(at);
            regions.push((at, end, CODE_COMMENT));
            at = end;
            continue;
        }
        if let Some((open, close)) = syntax.block
            && starts(at, open)
        {
            let body = at + open.len();
            let end = text[body..]
                .find(close)
                .map_or(text.len(), |n| body + n + close.len());
            regions.push((at, end, CODE_COMMENT));
            at = end;
            continue;
        }
        at += 1;
    }
}

/// The byte ranges of the values of every `"key": value` in JSON text
/// (found by scanning, strings and nesting respected; a malformed document
/// yields what was found up to the fault).
fn json_values(text: &str, key: &str) -> Vec<(usize, usize)> {
    let needle = format!("\"{key}\"");
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(at) = text[from..].find(&needle) {
        let mut i = from + at + needle.len();
        from = i;
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        if bytes.get(i) != Some(&b':') {
            continue;
        }
        i += 1;
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        if let Some(end) = value_end(bytes, i) {
            found.push((i, end));
            from = end;
        }
    }
    found
}

/// Where the JSON value starting at `start` ends.
fn value_end(bytes: &[u8], start: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for (i, &b) in bytes.iter().enumerate().skip(start) {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => {
                    in_string = false;
                    if depth == 0 {
                        return Some(i + 1);
                    }
                }
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => depth += 1,
            b']' | b'}' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(i + 1);
                }
            }
            b',' if depth == 0 => return Some(i),
            _ => {}
        }
    }
    None
}
