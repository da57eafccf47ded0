//! HTML character references that leaked into scraped text (`&amp;`, `&rsquo;`, `&#8217;`),
//! decoded. Only well-formed references with their `;` count, so "AT&T" or "&copy 2019"
//! stay as they are. The named table holds the HTML 4 set (the Latin-1 letters and
//! symbols, typography, Greek, arrows, math), which covers what leaks in practice.

use super::mojibake::cp1252_high;

/// Decodes the character reference that starts right after a `&`: the character and how
/// many bytes it took (up to and including the `;`).
pub(super) fn parse(s: &[u8]) -> Option<(char, usize)> {
    if s.first() == Some(&b'#') {
        let (from, radix) = match s.get(1) {
            Some(b'x' | b'X') => (2, 16),
            _ => (1, 10),
        };
        let mut value: u32 = 0;
        let mut end = from;
        // Eight digits hold any code point (with leading zeros) and cannot overflow a u32.
        while end < s.len() && end - from < 8 {
            match (s[end] as char).to_digit(radix) {
                Some(d) => value = value * radix + d,
                None => break,
            }
            end += 1;
        }
        if end == from || s.get(end) != Some(&b';') {
            return None;
        }
        Some((numeric(value)?, end + 1))
    } else {
        let end = s
            .iter()
            .take(32)
            .take_while(|b| b.is_ascii_alphanumeric())
            .count();
        if end == 0 || s.get(end) != Some(&b';') {
            return None;
        }
        // The name is ASCII alphanumeric, so this cannot fail.
        let name = std::str::from_utf8(&s[..end]).ok()?;
        Some((named(name)?, end + 1))
    }
}

/// The character a numeric reference stands for. As in HTML, 0x80..=0x9F mean their
/// windows-1252 characters (`&#146;` is a right quote); NUL, surrogates and values past
/// U+10FFFF are not characters and stay undecoded.
fn numeric(value: u32) -> Option<char> {
    match value {
        0 => None,
        0x80..=0x9F => cp1252_high(value as u8),
        _ => char::from_u32(value),
    }
}

/// Named references of U+00A0..=U+00FF, in code point order (HTML 4 `HTMLlat1`).
const LATIN1: [&str; 96] = [
    "nbsp", "iexcl", "cent", "pound", "curren", "yen", "brvbar", "sect", "uml", "copy", "ordf",
    "laquo", "not", "shy", "reg", "macr", "deg", "plusmn", "sup2", "sup3", "acute", "micro",
    "para", "middot", "cedil", "sup1", "ordm", "raquo", "frac14", "frac12", "frac34", "iquest",
    "Agrave", "Aacute", "Acirc", "Atilde", "Auml", "Aring", "AElig", "Ccedil", "Egrave", "Eacute",
    "Ecirc", "Euml", "Igrave", "Iacute", "Icirc", "Iuml", "ETH", "Ntilde", "Ograve", "Oacute",
    "Ocirc", "Otilde", "Ouml", "times", "Oslash", "Ugrave", "Uacute", "Ucirc", "Uuml", "Yacute",
    "THORN", "szlig", "agrave", "aacute", "acirc", "atilde", "auml", "aring", "aelig", "ccedil",
    "egrave", "eacute", "ecirc", "euml", "igrave", "iacute", "icirc", "iuml", "eth", "ntilde",
    "ograve", "oacute", "ocirc", "otilde", "ouml", "divide", "oslash", "ugrave", "uacute", "ucirc",
    "uuml", "yacute", "thorn", "yuml",
];

/// The character a named reference stands for.
fn named(name: &str) -> Option<char> {
    if let Some(i) = LATIN1.iter().position(|&n| n == name) {
        return char::from_u32(0xA0 + i as u32);
    }
    Some(match name {
        "quot" => '"',
        "amp" => '&',
        "apos" => '\u{27}',
        "lt" => '<',
        "gt" => '>',
        "OElig" => 'Œ',
        "oelig" => 'œ',
        "Scaron" => 'Š',
        "scaron" => 'š',
        "Yuml" => 'Ÿ',
        "fnof" => 'ƒ',
        "circ" => 'ˆ',
        "tilde" => '˜',
        "ensp" => '\u{2002}',
        "emsp" => '\u{2003}',
        "thinsp" => '\u{2009}',
        "zwnj" => '\u{200C}',
        "zwj" => '\u{200D}',
        "lrm" => '\u{200E}',
        "rlm" => '\u{200F}',
        "ndash" => '–',
        "mdash" => '—',
        "lsquo" => '‘',
        "rsquo" => '’',
        "sbquo" => '‚',
        "ldquo" => '“',
        "rdquo" => '”',
        "bdquo" => '„',
        "dagger" => '†',
        "Dagger" => '‡',
        "bull" => '•',
        "hellip" => '…',
        "permil" => '‰',
        "prime" => '′',
        "Prime" => '″',
        "lsaquo" => '‹',
        "rsaquo" => '›',
        "oline" => '‾',
        "frasl" => '⁄',
        "euro" => '€',
        "trade" => '™',
        "larr" => '←',
        "uarr" => '↑',
        "rarr" => '→',
        "darr" => '↓',
        "harr" => '↔',
        "minus" => '−',
        "lowast" => '∗',
        "radic" => '√',
        "infin" => '∞',
        "ne" => '≠',
        "le" => '≤',
        "ge" => '≥',
        "asymp" => '≈',
        "equiv" => '≡',
        "sum" => '∑',
        "prod" => '∏',
        "part" => '∂',
        "nabla" => '∇',
        "isin" => '∈',
        "notin" => '∉',
        "cap" => '∩',
        "cup" => '∪',
        "int" => '∫',
        "there4" => '∴',
        "sim" => '∼',
        "cong" => '≅',
        "sub" => '⊂',
        "sup" => '⊃',
        "sube" => '⊆',
        "supe" => '⊇',
        "oplus" => '⊕',
        "otimes" => '⊗',
        "perp" => '⊥',
        "sdot" => '⋅',
        "loz" => '◊',
        "spades" => '♠',
        "clubs" => '♣',
        "hearts" => '♥',
        "diams" => '♦',
        "Alpha" => 'Α',
        "Beta" => 'Β',
        "Gamma" => 'Γ',
        "Delta" => 'Δ',
        "Epsilon" => 'Ε',
        "Zeta" => 'Ζ',
        "Eta" => 'Η',
        "Theta" => 'Θ',
        "Iota" => 'Ι',
        "Kappa" => 'Κ',
        "Lambda" => 'Λ',
        "Mu" => 'Μ',
        "Nu" => 'Ν',
        "Xi" => 'Ξ',
        "Omicron" => 'Ο',
        "Pi" => 'Π',
        "Rho" => 'Ρ',
        "Sigma" => 'Σ',
        "Tau" => 'Τ',
        "Upsilon" => 'Υ',
        "Phi" => 'Φ',
        "Chi" => 'Χ',
        "Psi" => 'Ψ',
        "Omega" => 'Ω',
        "alpha" => 'α',
        "beta" => 'β',
        "gamma" => 'γ',
        "delta" => 'δ',
        "epsilon" => 'ε',
        "zeta" => 'ζ',
        "eta" => 'η',
        "theta" => 'θ',
        "iota" => 'ι',
        "kappa" => 'κ',
        "lambda" => 'λ',
        "mu" => 'μ',
        "nu" => 'ν',
        "xi" => 'ξ',
        "omicron" => 'ο',
        "pi" => 'π',
        "rho" => 'ρ',
        "sigmaf" => 'ς',
        "sigma" => 'σ',
        "tau" => 'τ',
        "upsilon" => 'υ',
        "phi" => 'φ',
        "chi" => 'χ',
        "psi" => 'ψ',
        "omega" => 'ω',
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(s: &str) -> Option<(char, usize)> {
        parse(s.as_bytes())
    }

    #[test]
    fn named_references() {
        assert_eq!(decode("amp;x"), Some(('&', 4)));
        assert_eq!(decode("nbsp;"), Some(('\u{A0}', 5)));
        assert_eq!(decode("eacute;"), Some(('é', 7)));
        assert_eq!(decode("yuml;"), Some(('ÿ', 5)));
        assert_eq!(decode("mdash;"), Some(('—', 6)));
        assert_eq!(decode("rsquo;"), Some(('’', 6)));
    }

    #[test]
    fn numeric_references() {
        assert_eq!(decode("#8217;"), Some(('’', 6)));
        assert_eq!(decode("#x2019;"), Some(('’', 7)));
        assert_eq!(decode("#X2019;"), Some(('’', 7)));
        assert_eq!(decode("#146;"), Some(('’', 5)));
        assert_eq!(decode("#0000065;"), Some(('A', 9)));
        assert_eq!(decode("#128512;"), Some(('😀', 8)));
    }

    #[test]
    fn not_references() {
        for s in [
            "T",
            "T;",
            "copy 2019",
            "#;",
            "#x;",
            "#0;",
            "#xD800;",
            "#x110000;",
            "#123456789;",
            "nosuch;",
            "amp",
            "",
        ] {
            assert_eq!(decode(s), None, "{s:?}");
        }
    }
}
