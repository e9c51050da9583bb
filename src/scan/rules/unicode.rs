//! The Unicode side of the rules: scripts, look-alike letters, and what
//! makes a hidden or reordering character benign (a flag, a character
//! table, an escape).

/// Whether a run of tag characters at `start` hides text: it spells three
/// or more characters, and it is not an emoji flag of a subdivision (🏴 U+1F3F4,
/// the region's code in tag letters, U+E007F: 🏴󠁧󠁢󠁳󠁣󠁴󠁿 Scotland).
pub(super) fn spells_hidden_text(text: &str, start: usize, spelled: &str) -> bool {
    let flag = text[..start].ends_with('\u{1F3F4}');
    spelled.chars().count() >= 3 && !flag
}

/// Whether the line of the character at `byte` also names its code point
/// (`0x202E`, `U+202E`, `\u202E`, `&#x202E;`): a character table or a font,
/// not text made to read differently than it runs.
pub(super) fn names_itself(text: &str, byte: usize, c: char) -> bool {
    let start = text[..byte].rfind('\n').map_or(0, |n| n + 1);
    let end = text[byte..].find('\n').map_or(text.len(), |n| byte + n);
    let line = text[start..end].to_ascii_uppercase();
    let code = format!("{:04X}", c as u32);
    ["0X", "U+", "\\U", "&#X"]
        .iter()
        .any(|prefix| line.contains(&format!("{prefix}{code}")))
}

/// A word without the escape it may start with (`u0301`, `x41`, `U0001F600`):
/// the letters of an escape are not part of the word they precede.
pub(super) fn without_escape_prefix(word: &str) -> &str {
    let bytes = word.as_bytes();
    let hex_run = |from: usize| {
        bytes[from..]
            .iter()
            .take_while(|b| b.is_ascii_hexdigit())
            .count()
    };
    let digits = match bytes.first() {
        Some(b'u') | Some(b'U') | Some(b'x') => hex_run(1),
        _ => 0,
    };
    match digits {
        2 | 4 | 8
            if word[1 + digits..]
                .chars()
                .next()
                .is_some_and(|c| !c.is_ascii()) =>
        {
            &word[1 + digits..]
        }
        _ => word,
    }
}

/// Pictographic enough for an emoji ZWJ sequence (👨‍👩‍👧, 🏳️‍🌈).
pub(super) fn is_emoji_like(c: char) -> bool {
    matches!(c as u32, 0x1F000..=0x1FAFF | 0x2600..=0x27BF | 0x2B00..=0x2BFF | 0xFE0F)
}

/// The script a letter comes from, of those the rules compare.
pub(super) fn script(c: char) -> Option<&'static str> {
    Scripts::of_char(c).names().next()
}

/// A set of the scripts the rules compare (Latin, Greek, Cyrillic), as
/// bits: made for every word of a non-ASCII file, so no allocation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Scripts(u8);

impl Scripts {
    const NAMES: [&'static str; 3] = ["Cyrillic", "Greek", "Latin"];

    fn of_char(c: char) -> Scripts {
        Scripts(match c as u32 {
            0x41..=0x5A | 0x61..=0x7A | 0xC0..=0x24F => 4,
            0x370..=0x3FF => 2,
            0x400..=0x52F => 1,
            _ => 0,
        })
    }

    /// The scripts of a word's letters.
    pub(super) fn of(word: &str) -> Scripts {
        Scripts(word.chars().fold(0, |bits, c| bits | Scripts::of_char(c).0))
    }

    /// How many.
    pub(super) fn len(self) -> u32 {
        self.0.count_ones()
    }

    /// Whether Latin is one.
    pub(super) fn has_latin(self) -> bool {
        self.0 & 4 != 0
    }

    /// Their names, in alphabetical order.
    pub(super) fn names(self) -> impl Iterator<Item = &'static str> {
        Scripts::NAMES
            .into_iter()
            .enumerate()
            .filter(move |(bit, _)| self.0 & (1 << bit) != 0)
            .map(|(_, name)| name)
    }

    /// Their names joined by "and".
    pub(super) fn joined(self) -> String {
        self.names().collect::<Vec<_>>().join(" and ")
    }
}

/// The Latin letter a Cyrillic or Greek letter is drawn like in common fonts
/// (after Unicode's confusables list), if any: `а` (U+0430) for `a`.
pub(super) fn latin_look_alike(c: char) -> Option<char> {
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
pub(super) fn whole_script_confusable(word: &str, scripts: Scripts) -> Option<String> {
    if scripts.has_latin() || scripts.len() == 0 {
        return None;
    }
    word.chars()
        .map(|c| match script(c) {
            Some(_) => latin_look_alike(c),
            None => Some(c).filter(|c| c.is_ascii_digit() || *c == '_'),
        })
        .collect()
}
