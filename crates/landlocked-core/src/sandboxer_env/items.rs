//! The lists of the variables, split and parsed in place.

use super::List;

/// A port as `strtoull` reads it in the sample: optional leading white space and `+`, then
/// decimal digits and nothing else (a `-` sign, which `strtoull` would wrap around, is refused).
pub(super) fn parse_port(item: &[u8]) -> Result<u16, bool> {
    let start = item.iter().position(|b| !matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r'));
    let mut digits = &item[start.unwrap_or(item.len())..];
    if let [b'+', rest @ ..] = digits {
        digits = rest;
    }
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return Err(false);
    }
    let mut port: u32 = 0;
    for &d in digits {
        port = port.saturating_mul(10).saturating_add(u32::from(d - b'0'));
    }
    u16::try_from(port).map_err(|_| true)
}

/// The items of a colon-separated list.
pub(super) fn items(value: &[u8]) -> Items<'_> {
    Items(Some(value))
}

/// The iterator of [`items`]: what is left of the list, `None` after its last item.
///
/// `value.split(|&b| b == b':')` but for the inlining: `next` is one function here, where the
/// slice's `Split` would be copied into each of the eight loops over a list, a third of a
/// kilobyte in the static sandboxer.
pub(super) struct Items<'a>(Option<&'a [u8]>);

impl<'a> Iterator for Items<'a> {
    type Item = &'a [u8];

    #[inline(never)]
    fn next(&mut self) -> Option<&'a [u8]> {
        let rest = self.0?;
        let Some(at) = rest.iter().position(|&b| b == b':') else {
            self.0 = None;
            return Some(rest);
        };
        let (item, after) = rest.split_at(at);
        self.0 = after.get(1..);
        Some(item)
    }
}

/// The items of a list variable that make rules: for paths, none when the value is empty and
/// every item otherwise, even an empty one; for ports, the non-empty items.
pub(super) fn list_items(list: List, value: &[u8]) -> impl Iterator<Item = &[u8]> {
    let paths = matches!(list, List::Paths(_));
    let none = paths && value.is_empty();
    items(value).filter(move |i| !none && (paths || !i.is_empty()))
}
