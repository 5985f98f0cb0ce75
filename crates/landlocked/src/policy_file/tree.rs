//! The document both formats parse into: values with the byte span they came from, so that
//! every schema error can name a line and column.

use std::ops::Range;

/// A value and where it is in the text.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Node {
    pub span: Range<usize>,
    pub value: Value,
}

/// A key of a table, with its own span.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Key {
    pub name: String,
    pub span: Range<usize>,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Value {
    String(String),
    /// An integer; `None` when it does not fit an `i128`.
    Integer(Option<i128>),
    Float,
    Bool(bool),
    Null,
    /// A TOML date or time.
    Datetime,
    Array(Vec<Node>),
    /// Keys in document order.
    Table(Vec<(Key, Node)>),
}

impl Value {
    /// The name of the type, for "expected X, found Y".
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::String(_) => "a string",
            Value::Integer(_) => "an integer",
            Value::Float => "a float",
            Value::Bool(_) => "a boolean",
            Value::Null => "null",
            Value::Datetime => "a date-time",
            Value::Array(_) => "an array",
            Value::Table(_) => "a table",
        }
    }
}

/// An error at a byte offset, before it is turned into a line and column.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SpanError {
    pub offset: usize,
    pub message: String,
}

impl SpanError {
    pub fn new(offset: usize, message: impl Into<String>) -> SpanError {
        SpanError { offset, message: message.into() }
    }
}

/// The 1-based line and column (in characters) of byte `offset` of `text`.
pub(crate) fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_columns() {
        let text = "ab\ncdé\nf";
        assert_eq!(line_column(text, 0), (1, 1));
        assert_eq!(line_column(text, 2), (1, 3));
        assert_eq!(line_column(text, 3), (2, 1));
        // 'é' is two bytes but one column.
        assert_eq!(line_column(text, 7), (2, 4));
        assert_eq!(line_column(text, 8), (3, 1));
        assert_eq!(line_column(text, 100), (3, 2));
    }
}
