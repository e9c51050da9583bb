//! Escaping what a confined process chose (paths, argv) before it reaches a
//! terminal: control characters and bidirectional overrides could otherwise
//! rewrite what the reader sees.

/// `text` with control, bidi-control and other invisible format characters
/// replaced by `\u{…}` escapes.
pub fn for_terminal(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if crate::text::is_hidden(c) {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_what_a_terminal_would_act_on() {
        assert_eq!(for_terminal("a\x1b[2Jb"), "a\\u{1b}[2Jb");
        assert_eq!(for_terminal("evil\u{202e}txt.exe"), "evil\\u{202e}txt.exe");
        assert_eq!(for_terminal("plain/path ü"), "plain/path ü");
    }
}
