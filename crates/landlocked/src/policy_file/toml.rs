//! TOML through the `toml` crate's span-keeping document parser.

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::tree::{Key, Node, SpanError, Value};

pub(crate) fn parse(text: &str) -> Result<Node, SpanError> {
    let table = DeTable::parse(text).map_err(|e| {
        let offset = e.span().map_or(0, |s| s.start);
        // The message may run over several lines; an error is one line.
        let message = e.message().trim().split('\n').collect::<Vec<_>>().join("; ");
        SpanError::new(offset, message)
    })?;
    let span = table.span();
    Ok(Node { span, value: convert_table(table.get_ref()) })
}

fn convert_table(table: &DeTable<'_>) -> Value {
    let mut entries: Vec<(Key, Node)> = table
        .iter()
        .map(|(k, v)| (Key { name: k.get_ref().to_string(), span: k.span() }, convert(v)))
        .collect();
    entries.sort_by_key(|(k, _)| k.span.start);
    Value::Table(entries)
}

fn convert(value: &Spanned<DeValue<'_>>) -> Node {
    let v = match value.get_ref() {
        DeValue::String(s) => Value::String(s.to_string()),
        DeValue::Integer(i) => Value::Integer(i128::from_str_radix(i.as_str(), i.radix()).ok()),
        DeValue::Float(_) => Value::Float,
        DeValue::Boolean(b) => Value::Bool(*b),
        DeValue::Datetime(_) => Value::Datetime,
        DeValue::Array(items) => Value::Array(items.iter().map(convert).collect()),
        DeValue::Table(t) => convert_table(t),
    };
    Node { span: value.span(), value: v }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn document_order_and_spans() {
        let text = "b = 1\na = [\"x\", 0x10]\n[[t]]\nk = true\n";
        let node = parse(text).unwrap();
        let Value::Table(entries) = node.value else { panic!() };
        let names: Vec<&str> = entries.iter().map(|(k, _)| k.name.as_str()).collect();
        assert_eq!(names, ["b", "a", "t"]);
        let Value::Array(items) = &entries[1].1.value else { panic!() };
        assert_eq!(items[1].value, Value::Integer(Some(16)));
        assert_eq!(&text[items[0].span.clone()], "\"x\"");
        let Value::Array(tables) = &entries[2].1.value else { panic!() };
        let Value::Table(t) = &tables[0].value else { panic!() };
        assert_eq!(t[0].1.value, Value::Bool(true));
    }

    #[test]
    fn syntax_errors_have_an_offset() {
        let e = parse("a = 1\na = 2\n").unwrap_err();
        assert!(e.message.contains("duplicate"), "{}", e.message);
        assert_eq!(e.offset, 6);
        let e = parse("a = [1,\n").unwrap_err();
        assert!(!e.message.contains('\n'));
    }
}
