//! A JSON (RFC 8259) parser that keeps the span of every value and key, and refuses duplicate
//! keys. Small on purpose: policy files are small, and the positions are the point.

use super::tree::{Key, Node, SpanError, Value};

/// Nesting deeper than this is refused (a policy file needs 4 levels).
const MAX_DEPTH: usize = 64;

pub(crate) fn parse(text: &str) -> Result<Node, SpanError> {
    let mut p = Parser { text, bytes: text.as_bytes(), pos: 0 };
    p.skip_ws();
    let node = p.value(0)?;
    p.skip_ws();
    if p.pos < p.bytes.len() {
        return Err(p.error("unexpected content after the JSON value"));
    }
    Ok(node)
}

struct Parser<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
}

impl Parser<'_> {
    fn error(&self, message: impl Into<String>) -> SpanError {
        SpanError::new(self.pos, message)
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    fn unexpected(&self, expected: &str) -> SpanError {
        match self.text[self.pos..].chars().next() {
            None => self.error(format!("unexpected end of file, expected {expected}")),
            Some(c) => self.error(format!("unexpected character {c:?}, expected {expected}")),
        }
    }

    fn value(&mut self, depth: usize) -> Result<Node, SpanError> {
        if depth > MAX_DEPTH {
            return Err(self.error(format!("nesting deeper than {MAX_DEPTH} levels")));
        }
        let start = self.pos;
        let value = match self.peek() {
            Some(b'{') => self.object(depth)?,
            Some(b'[') => self.array(depth)?,
            Some(b'"') => Value::String(self.string()?),
            Some(b'-' | b'0'..=b'9') => self.number()?,
            Some(b't') => self.literal("true", Value::Bool(true))?,
            Some(b'f') => self.literal("false", Value::Bool(false))?,
            Some(b'n') => self.literal("null", Value::Null)?,
            _ => return Err(self.unexpected("a value")),
        };
        Ok(Node { span: start..self.pos, value })
    }

    fn literal(&mut self, word: &str, value: Value) -> Result<Value, SpanError> {
        if self.bytes[self.pos..].starts_with(word.as_bytes()) {
            self.pos += word.len();
            Ok(value)
        } else {
            Err(self.unexpected("a value"))
        }
    }

    fn object(&mut self, depth: usize) -> Result<Value, SpanError> {
        self.pos += 1;
        let mut entries: Vec<(Key, Node)> = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(Value::Table(entries));
        }
        loop {
            self.skip_ws();
            if self.peek() != Some(b'"') {
                return Err(self.unexpected("a key in double quotes"));
            }
            let key_start = self.pos;
            let name = self.string()?;
            let key = Key { name, span: key_start..self.pos };
            if entries.iter().any(|(k, _)| k.name == key.name) {
                return Err(SpanError::new(key_start, format!("duplicate key `{}`", key.name)));
            }
            self.skip_ws();
            if self.peek() != Some(b':') {
                return Err(self.unexpected("`:`"));
            }
            self.pos += 1;
            self.skip_ws();
            let value = self.value(depth + 1)?;
            entries.push((key, value));
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(Value::Table(entries));
                }
                _ => return Err(self.unexpected("`,` or `}`")),
            }
        }
    }

    fn array(&mut self, depth: usize) -> Result<Value, SpanError> {
        self.pos += 1;
        let mut items = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(Value::Array(items));
        }
        loop {
            self.skip_ws();
            items.push(self.value(depth + 1)?);
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(Value::Array(items));
                }
                _ => return Err(self.unexpected("`,` or `]`")),
            }
        }
    }

    fn hex4(&mut self) -> Result<u32, SpanError> {
        let digits = self.bytes.get(self.pos..self.pos + 4).ok_or_else(|| {
            self.error("unexpected end of file in a \\u escape, expected 4 hex digits")
        })?;
        let mut v = 0;
        for &d in digits {
            let digit = (d as char)
                .to_digit(16)
                .ok_or_else(|| self.error("invalid \\u escape, expected 4 hex digits"))?;
            v = v * 16 + digit;
        }
        self.pos += 4;
        Ok(v)
    }

    fn string(&mut self) -> Result<String, SpanError> {
        let start = self.pos;
        self.pos += 1;
        let mut out = String::new();
        loop {
            let Some(b) = self.peek() else {
                return Err(SpanError::new(start, "unterminated string"));
            };
            match b {
                b'"' => {
                    self.pos += 1;
                    return Ok(out);
                }
                b'\\' => {
                    self.pos += 1;
                    let esc = self.peek();
                    self.pos += 1;
                    match esc {
                        Some(b'"') => out.push('"'),
                        Some(b'\\') => out.push('\\'),
                        Some(b'/') => out.push('/'),
                        Some(b'b') => out.push('\u{8}'),
                        Some(b'f') => out.push('\u{c}'),
                        Some(b'n') => out.push('\n'),
                        Some(b'r') => out.push('\r'),
                        Some(b't') => out.push('\t'),
                        Some(b'u') => {
                            let escape = self.pos - 2;
                            let high = self.hex4()?;
                            let code = if (0xd800..0xdc00).contains(&high) {
                                if !self.bytes[self.pos..].starts_with(b"\\u") {
                                    return Err(SpanError::new(escape, "unpaired surrogate"));
                                }
                                self.pos += 2;
                                let low = self.hex4()?;
                                if !(0xdc00..0xe000).contains(&low) {
                                    return Err(SpanError::new(escape, "unpaired surrogate"));
                                }
                                0x10000 + ((high - 0xd800) << 10) + (low - 0xdc00)
                            } else {
                                high
                            };
                            let c = char::from_u32(code)
                                .ok_or_else(|| SpanError::new(escape, "unpaired surrogate"))?;
                            out.push(c);
                        }
                        _ => {
                            return Err(SpanError::new(self.pos - 2, "invalid escape sequence"));
                        }
                    }
                }
                0..=0x1f => {
                    return Err(self.error("control character in a string (escape it)"));
                }
                _ => {
                    // Copy the run of plain characters up to the next quote or backslash.
                    let run = self.bytes[self.pos..]
                        .iter()
                        .position(|&c| c == b'"' || c == b'\\' || c < 0x20)
                        .map_or(self.bytes.len(), |n| self.pos + n);
                    out.push_str(&self.text[self.pos..run]);
                    self.pos = run;
                }
            }
        }
    }

    fn number(&mut self) -> Result<Value, SpanError> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => {
                while let Some(b'0'..=b'9') = self.peek() {
                    self.pos += 1;
                }
            }
            _ => return Err(self.unexpected("a digit")),
        }
        let mut float = false;
        if self.peek() == Some(b'.') {
            float = true;
            self.pos += 1;
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err(self.unexpected("a digit"));
            }
            while let Some(b'0'..=b'9') = self.peek() {
                self.pos += 1;
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            float = true;
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err(self.unexpected("a digit"));
            }
            while let Some(b'0'..=b'9') = self.peek() {
                self.pos += 1;
            }
        }
        if float {
            return Ok(Value::Float);
        }
        Ok(Value::Integer(self.text[start..self.pos].parse().ok()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> (usize, String) {
        let e = parse(text).unwrap_err();
        (e.offset, e.message)
    }

    #[test]
    fn values_and_spans() {
        let node = parse(r#" {"a": [1, -2, 3.5, true, null, "x\u00e9\ud83d\ude00\n"], "b": {}} "#)
            .unwrap();
        assert_eq!(node.span, 1..66);
        let Value::Table(entries) = node.value else { panic!() };
        assert_eq!(entries[0].0.name, "a");
        assert_eq!(entries[0].0.span, 2..5);
        let Value::Array(items) = &entries[0].1.value else { panic!() };
        assert_eq!(items[0].value, Value::Integer(Some(1)));
        assert_eq!(items[0].span, 8..9);
        assert_eq!(items[1].value, Value::Integer(Some(-2)));
        assert_eq!(items[2].value, Value::Float);
        assert_eq!(items[3].value, Value::Bool(true));
        assert_eq!(items[4].value, Value::Null);
        assert_eq!(items[5].value, Value::String("xé😀\n".into()));
        assert_eq!(entries[1].1.value, Value::Table(vec![]));
        let big = parse("340282366920938463463374607431768211456").unwrap();
        assert_eq!(big.value, Value::Integer(None));
    }

    #[test]
    fn errors_point_at_the_fault() {
        assert_eq!(err(r#"{"a": 1, "a": 2}"#), (9, "duplicate key `a`".into()));
        assert_eq!(err("[1, 2"), (5, "unexpected end of file, expected `,` or `]`".into()));
        assert_eq!(err("[1 2]"), (3, "unexpected character '2', expected `,` or `]`".into()));
        assert_eq!(err(r#"{"a" 1}"#), (5, "unexpected character '1', expected `:`".into()));
        assert_eq!(
            err(r#"{a: 1}"#),
            (1, "unexpected character 'a', expected a key in double quotes".into())
        );
        assert_eq!(err(r#""abc"#), (0, "unterminated string".into()));
        assert_eq!(err(r#""\q""#), (1, "invalid escape sequence".into()));
        assert_eq!(err(r#""\ud800""#), (1, "unpaired surrogate".into()));
        assert_eq!(err("\"a\nb\""), (2, "control character in a string (escape it)".into()));
        assert_eq!(err("01"), (1, "unexpected content after the JSON value".into()));
        assert_eq!(err("1."), (2, "unexpected end of file, expected a digit".into()));
        assert_eq!(err("tru"), (0, "unexpected character 't', expected a value".into()));
        assert_eq!(err(""), (0, "unexpected end of file, expected a value".into()));
        assert_eq!(err(&"[".repeat(100)).1, "nesting deeper than 64 levels");
    }
}
