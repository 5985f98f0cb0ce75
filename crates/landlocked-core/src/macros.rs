//! The declaration of the named flag types.

use core::fmt;

/// Writes the set bits of a flag type as `name, name, ...` (or `none`).
pub(crate) fn write_names<I: Iterator<Item = &'static str>>(
    f: &mut fmt::Formatter<'_>,
    names: I,
) -> fmt::Result {
    let mut first = true;
    for name in names {
        if !first {
            f.write_str(", ")?;
        }
        f.write_str(name)?;
        first = false;
    }
    if first {
        f.write_str("none")?;
    }
    Ok(())
}

/// Declares a flag set with the lower-case names used in reports, policy files and the CLI.
macro_rules! named_flags {
    (
        $(#[doc = $doc:literal])*
        $name:ident: $ty:ty { $( $(#[doc = $fdoc:literal])* $flag:ident = $value:expr, $text:literal; )* }
    ) => {
        bitflags::bitflags! {
            $(#[doc = $doc])*
            #[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
            pub struct $name: $ty {
                $( $(#[doc = $fdoc])* const $flag = $value; )*
            }
        }

        impl $name {
            /// Every flag with its lower-case name, in bit order.
            pub const NAMED: &'static [(&'static str, $name)] = &[$(($text, $name::$flag)),*];

            /// The flag called `name` (`"read_file"`), if there is one.
            pub fn by_name(name: &str) -> Option<$name> {
                Self::NAMED.iter().find(|(n, _)| *n == name).map(|&(_, f)| f)
            }

            /// The names of the flags in this set, in bit order; unknown bits are left out.
            pub fn names(self) -> impl Iterator<Item = &'static str> {
                Self::NAMED.iter().filter(move |(_, f)| self.contains(*f)).map(|&(n, _)| n)
            }
        }

        impl core::fmt::Display for $name {
            /// `read_file, read_dir`, or `none` for the empty set.
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                $crate::macros::write_names(f, self.names())
            }
        }

        impl core::fmt::Debug for $name {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                write!(f, concat!(stringify!($name), "({})"), self)
            }
        }
    };
}
