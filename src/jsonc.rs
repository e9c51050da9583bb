//! JSON with comments, as clients write their settings files (Gemini
//! CLI's `settings.json` may have `//` and `/* */` comments; it strips them
//! before it parses).

/// `text` parsed as JSON once its comments are gone.
pub fn parse(text: &str) -> serde_json::Result<serde_json::Value> {
    serde_json::from_str(&without_comments(text))
}

/// `text` without its `//` and `/* */` comments (those outside strings).
pub fn without_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    let mut in_string = false;
    while let Some(c) = chars.next() {
        if in_string {
            out.push(c);
            match c {
                '\\' => out.extend(chars.next()),
                '"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match (c, chars.peek()) {
            ('"', _) => {
                in_string = true;
                out.push(c);
            }
            ('/', Some('/')) => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        out.push('\n');
                        break;
                    }
                }
            }
            ('/', Some('*')) => {
                chars.next();
                let mut last = ' ';
                for c in chars.by_ref() {
                    if last == '*' && c == '/' {
                        break;
                    }
                    last = c;
                }
            }
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn comments_go_and_strings_stay() {
        let text = "{\n  // a comment\n  \"a\": \"x // y /* z */\", /* b */ \"b\": \"q\\\"//\"\n}";
        let value = super::parse(text).unwrap();
        assert_eq!(value["a"], "x // y /* z */");
        assert_eq!(value["b"], "q\"//");
    }
}
