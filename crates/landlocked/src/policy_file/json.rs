//! JSON through `serde_json`, keeping the span of every value and key: each value is read as a
//! `RawValue`, which borrows its exact text from the input, so its place in the file is where
//! that text starts. Duplicate keys are refused (landlockconfig's parser refuses them too).

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;

use super::tree::{Key, Node, SpanError, Value};

/// Nesting deeper than this is refused (a policy file needs 4 levels).
const MAX_DEPTH: usize = 64;

pub(crate) fn parse(text: &str) -> Result<Node, SpanError> {
    let raw: &RawValue = serde_json::from_str(text).map_err(|e| syntax_error(text, &e))?;
    convert(text, raw, 0)
}

/// A `serde_json` error (line and column of the fault) as an offset.
fn syntax_error(text: &str, e: &serde_json::Error) -> SpanError {
    let line_start: usize =
        text.split_inclusive('\n').take(e.line().saturating_sub(1)).map(str::len).sum();
    let offset = (line_start + e.column().saturating_sub(1)).min(text.len());
    // The message without serde_json's own " at line L column C": the caller says where.
    let message = e.to_string();
    let message = match message.rfind(" at line ") {
        Some(at) => message[..at].to_string(),
        None => message,
    };
    SpanError::new(offset, message)
}

/// Where `part`, borrowed from `text`, starts in it.
fn offset_in(text: &str, part: &str) -> Option<usize> {
    let (base, at) = (text.as_ptr() as usize, part.as_ptr() as usize);
    (at >= base && at + part.len() <= base + text.len()).then(|| at - base)
}

fn convert(text: &str, raw: &RawValue, depth: usize) -> Result<Node, SpanError> {
    let source = raw.get();
    let start = offset_in(text, source).unwrap_or(0);
    let span = start..start + source.len();
    if depth > MAX_DEPTH {
        return Err(SpanError::new(start, format!("nesting deeper than {MAX_DEPTH} levels")));
    }
    let inner = |e: serde_json::Error| {
        let mut e = syntax_error(source, &e);
        e.offset += start;
        e
    };
    let value = match source.as_bytes().first() {
        Some(b'{') => {
            let Entries(entries) = serde_json::from_str(source).map_err(inner)?;
            let mut table: Vec<(Key, Node)> = Vec::with_capacity(entries.len());
            for (name, value) in entries {
                // A key without escapes is borrowed from the text; one with escapes is not,
                // and then the value's place stands for it.
                let value = convert(text, value, depth + 1)?;
                let key_start = match &name {
                    Cow::Borrowed(k) => offset_in(text, k).map_or(value.span.start, |o| o - 1),
                    Cow::Owned(_) => value.span.start,
                };
                let key = Key { name: name.into_owned(), span: key_start..value.span.start };
                if table.iter().any(|(k, _)| k.name == key.name) {
                    return Err(SpanError::new(
                        key.span.start,
                        format!("duplicate key `{}`", key.name),
                    ));
                }
                table.push((key, value));
            }
            Value::Table(table)
        }
        Some(b'[') => {
            let items: Vec<&RawValue> = serde_json::from_str(source).map_err(inner)?;
            Value::Array(
                items.into_iter().map(|i| convert(text, i, depth + 1)).collect::<Result<_, _>>()?,
            )
        }
        Some(b'"') => Value::String(serde_json::from_str(source).map_err(inner)?),
        Some(b't' | b'f') => Value::Bool(serde_json::from_str(source).map_err(inner)?),
        Some(b'n') => Value::Null,
        _ if source.bytes().any(|b| matches!(b, b'.' | b'e' | b'E')) => Value::Float,
        _ => Value::Integer(source.parse().ok()),
    };
    Ok(Node { span, value })
}

/// The entries of a JSON object in document order, duplicates kept (for the caller to refuse).
struct Entries<'a>(Vec<(Cow<'a, str>, &'a RawValue)>);

impl<'de> Deserialize<'de> for Entries<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct EntriesVisitor;
        impl<'de> Visitor<'de> for EntriesVisitor {
            type Value = Entries<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Entries<'de>, A::Error> {
                let mut entries = Vec::new();
                while let Some(key) = map.next_key::<CowStr<'de>>()? {
                    entries.push((key.0, map.next_value::<&'de RawValue>()?));
                }
                Ok(Entries(entries))
            }
        }
        deserializer.deserialize_map(EntriesVisitor)
    }
}

/// A string borrowed from the input when it has no escapes, owned otherwise.
struct CowStr<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for CowStr<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct StrVisitor;
        impl<'de> Visitor<'de> for StrVisitor {
            type Value = CowStr<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a key in double quotes")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<CowStr<'de>, E> {
                Ok(CowStr(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<CowStr<'de>, E> {
                Ok(CowStr(Cow::Owned(v.to_owned())))
            }
        }
        deserializer.deserialize_str(StrVisitor)
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
        assert_eq!(entries[0].0.span.start, 2);
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
        // An escaped key is placed at its value.
        let node = parse(r#"{"\u0061": 7}"#).unwrap();
        let Value::Table(entries) = node.value else { panic!() };
        assert_eq!((entries[0].0.name.as_str(), entries[0].1.span.start), ("a", 11));
    }

    #[test]
    fn errors_point_at_the_fault() {
        assert_eq!(err(r#"{"a": 1, "a": 2}"#), (9, "duplicate key `a`".into()));
        for text in
            ["[1, 2", "[1 2]", r#"{"a" 1}"#, "{a: 1}", r#""abc"#, r#""\q""#, "01", "1.", "tru", ""]
        {
            let (offset, message) = err(text);
            assert!(offset <= text.len() && !message.is_empty(), "{text}: {offset} {message}");
            assert!(!message.contains(" at line "), "{message}");
        }
        assert_eq!(err("[1 2]").0, 3);
        let deep = format!("{}{}", "[".repeat(100), "]".repeat(100));
        assert_eq!(err(&deep).1, "nesting deeper than 64 levels");
        // Depth is also limited for objects.
        let deep = format!("{}1{}", "{\"a\":".repeat(70), "}".repeat(70));
        assert_eq!(err(&deep).1, "nesting deeper than 64 levels");
    }
}
