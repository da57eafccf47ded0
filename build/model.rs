//! Writes `builtin_model.rs`: the numbers of models/line-classifier.json as Rust constants
//! (included by src/model.rs), so that a process does not parse the JSON at start. Parsing
//! it took some 0.24M instructions, a twelfth of a process that cleans one page.
//!
//! The JSON's number tokens become `f32` literals as they are written. rustc rounds a
//! literal to the nearest `f32`; serde_json, which `Model::from_json` uses, reads an
//! `f64` and rounds that: the same value for every number a model file holds (each is
//! written as the shortest text of an `f32`), which the test
//! `builtin_model_is_the_json_bit_for_bit` checks.

use std::fmt::Write as _;
use std::path::Path;

/// The model file, from the crate's root.
const MODEL: &str = "models/line-classifier.json";

/// Writes `builtin_model.rs` into `dir`.
pub fn write_builtin_model(root: &Path, dir: &Path) {
    println!("cargo:rerun-if-changed={MODEL}");
    let path = root.join(MODEL);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let fail = |what: &str| -> ! { panic!("{MODEL}: {what}") };
    let json = Parser::new(&text).document().unwrap_or_else(|e| fail(&e));
    let field = |v: &'_ Json, key: &str| -> Json {
        match v {
            Json::Object(fields) => fields
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.clone())
                .unwrap_or_else(|| fail(&format!("no field {key:?}"))),
            _ => fail(&format!(
                "{key:?} is looked up in a value that is not an object"
            )),
        }
    };
    let number = |v: Json, key: &str| -> String {
        match v {
            Json::Number(n) => format!("{n}_f32"),
            _ => fail(&format!("{key:?} is not a number")),
        }
    };
    let numbers = |v: Json, key: &str| -> String {
        match v {
            Json::Array(items) => items
                .into_iter()
                .map(|n| number(n, key))
                .collect::<Vec<_>>()
                .join(", "),
            _ => fail(&format!("{key:?} is not an array")),
        }
    };
    let trained_on = match field(&json, "trained_on") {
        Json::String(s) => s,
        _ => fail("\"trained_on\" is not a string"),
    };
    let mut out = String::new();
    writeln!(out, "/// `Model::trained_on` of `{MODEL}`.").unwrap();
    writeln!(out, "const BUILTIN_TRAINED_ON: &str = {trained_on:?};").unwrap();
    for stage in ["stage1", "stage2"] {
        let lin = field(&json, stage);
        let name = stage.to_uppercase();
        writeln!(out, "/// `Model::{stage}` of `{MODEL}`.").unwrap();
        writeln!(out, "const BUILTIN_{name}: LinearParts = LinearParts {{").unwrap();
        for key in ["mean", "scale", "weights"] {
            writeln!(out, "    {key}: &[{}],", numbers(field(&lin, key), key)).unwrap();
        }
        writeln!(out, "    bias: {},", number(field(&lin, "bias"), "bias")).unwrap();
        writeln!(out, "}};").unwrap();
    }
    for key in ["switch_penalty", "threshold"] {
        let name = key.to_uppercase();
        writeln!(out, "/// `Model::{key}` of `{MODEL}`.").unwrap();
        writeln!(
            out,
            "const BUILTIN_{name}: f32 = {};",
            number(field(&json, key), key)
        )
        .unwrap();
    }
    super::write(&dir.join("builtin_model.rs"), &out);
}

/// A JSON value, numbers kept as their text.
#[derive(Clone)]
enum Json {
    Object(Vec<(String, Json)>),
    Array(Vec<Json>),
    String(String),
    Number(String),
    /// `true`, `false` or `null`.
    Word,
}

/// A reader of JSON text (RFC 8259), enough for a model file: errors say where.
struct Parser<'a> {
    text: &'a [u8],
    at: usize,
}

impl<'a> Parser<'a> {
    fn new(text: &'a str) -> Parser<'a> {
        Parser {
            text: text.as_bytes(),
            at: 0,
        }
    }

    /// One value and nothing after it but white space.
    fn document(&mut self) -> Result<Json, String> {
        let v = self.value()?;
        self.space();
        match self.text.get(self.at) {
            None => Ok(v),
            Some(_) => Err(self.error("text after the value")),
        }
    }

    fn error(&self, what: &str) -> String {
        format!("{what} at byte {}", self.at)
    }

    fn space(&mut self) {
        while matches!(self.text.get(self.at), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }

    /// Takes `b` after any white space.
    fn expect(&mut self, b: u8) -> Result<(), String> {
        self.space();
        if self.text.get(self.at) == Some(&b) {
            self.at += 1;
            Ok(())
        } else {
            Err(self.error(&format!("expected {:?}", b as char)))
        }
    }

    fn value(&mut self) -> Result<Json, String> {
        self.space();
        match self.text.get(self.at) {
            Some(b'{') => {
                self.at += 1;
                let mut fields = Vec::new();
                self.space();
                if self.text.get(self.at) == Some(&b'}') {
                    self.at += 1;
                    return Ok(Json::Object(fields));
                }
                loop {
                    self.space();
                    let key = self.string()?;
                    self.expect(b':')?;
                    fields.push((key, self.value()?));
                    self.space();
                    match self.text.get(self.at) {
                        Some(b',') => self.at += 1,
                        Some(b'}') => {
                            self.at += 1;
                            return Ok(Json::Object(fields));
                        }
                        _ => return Err(self.error("expected ',' or '}'")),
                    }
                }
            }
            Some(b'[') => {
                self.at += 1;
                let mut items = Vec::new();
                self.space();
                if self.text.get(self.at) == Some(&b']') {
                    self.at += 1;
                    return Ok(Json::Array(items));
                }
                loop {
                    items.push(self.value()?);
                    self.space();
                    match self.text.get(self.at) {
                        Some(b',') => self.at += 1,
                        Some(b']') => {
                            self.at += 1;
                            return Ok(Json::Array(items));
                        }
                        _ => return Err(self.error("expected ',' or ']'")),
                    }
                }
            }
            Some(b'"') => self.string().map(Json::String),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(_) => {
                for word in ["true", "false", "null"] {
                    if self.text[self.at..].starts_with(word.as_bytes()) {
                        self.at += word.len();
                        return Ok(Json::Word);
                    }
                }
                Err(self.error("expected a value"))
            }
            None => Err(self.error("the text ends before a value")),
        }
    }

    /// A number as JSON writes it: `-`, digits with no leading zero, a fraction, an
    /// exponent. Its text is also a Rust float literal once `_f32` follows it.
    fn number(&mut self) -> Result<Json, String> {
        let start = self.at;
        let digits = |p: &mut Parser| {
            let from = p.at;
            while p.text.get(p.at).is_some_and(u8::is_ascii_digit) {
                p.at += 1;
            }
            p.at > from
        };
        if self.text.get(self.at) == Some(&b'-') {
            self.at += 1;
        }
        let int = self.at;
        if !digits(self) || (self.text[int] == b'0' && self.at - int > 1) {
            return Err(self.error("a malformed number"));
        }
        if self.text.get(self.at) == Some(&b'.') {
            self.at += 1;
            if !digits(self) {
                return Err(self.error("a number without digits after '.'"));
            }
        }
        if matches!(self.text.get(self.at), Some(b'e' | b'E')) {
            self.at += 1;
            if matches!(self.text.get(self.at), Some(b'+' | b'-')) {
                self.at += 1;
            }
            if !digits(self) {
                return Err(self.error("a number without exponent digits"));
            }
        }
        let text = std::str::from_utf8(&self.text[start..self.at]).expect("ASCII");
        // Rust has no `+` in an exponent (`1e+5` is `1e5`).
        Ok(Json::Number(text.replace('+', "")))
    }

    /// A string, its escapes decoded.
    fn string(&mut self) -> Result<String, String> {
        if self.text.get(self.at) != Some(&b'"') {
            return Err(self.error("expected a string"));
        }
        self.at += 1;
        let mut out = Vec::new();
        loop {
            let Some(&b) = self.text.get(self.at) else {
                return Err(self.error("a string without its closing quote"));
            };
            self.at += 1;
            match b {
                b'"' => {
                    return String::from_utf8(out).map_err(|_| self.error("a string not UTF-8"))
                }
                b'\\' => {
                    let Some(&e) = self.text.get(self.at) else {
                        return Err(self.error("a string ends in an escape"));
                    };
                    self.at += 1;
                    let c = match e {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => self.unicode_escape()?,
                        _ => return Err(self.error("an unknown escape")),
                    };
                    out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
                }
                _ => out.push(b),
            }
        }
    }

    /// The character of a `\u` escape (its `u` taken), a surrogate pair's whole.
    fn unicode_escape(&mut self) -> Result<char, String> {
        let unit = |p: &mut Parser| -> Result<u32, String> {
            let hex = p
                .text
                .get(p.at..p.at + 4)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .ok_or_else(|| p.error("a malformed \\u escape"))?;
            p.at += 4;
            Ok(hex)
        };
        let first = unit(self)?;
        let code = if (0xD800..0xDC00).contains(&first) {
            if !self.text[self.at..].starts_with(b"\\u") {
                return Err(self.error("a lone surrogate"));
            }
            self.at += 2;
            let second = unit(self)?;
            if !(0xDC00..0xE000).contains(&second) {
                return Err(self.error("a lone surrogate"));
            }
            0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
        } else {
            first
        };
        char::from_u32(code).ok_or_else(|| self.error("a lone surrogate"))
    }
}
