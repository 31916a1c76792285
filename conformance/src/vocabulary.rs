//! `vocabulary!`: an enum of unit variants, each with its words in feature text, declared once:
//! the enum, `ALL`, `name()` and `FromStr` (which step captures use) come from one list.

/// Declares a vocabulary: `vocabulary! { pub enum Kind { Array = "array", Object = "object", } }`.
#[macro_export]
macro_rules! vocabulary {
    ($(#[$meta:meta])* $vis:vis enum $name:ident {
        $($(#[$vmeta:meta])* $variant:ident = $text:literal,)*
    }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        $vis enum $name {
            $($(#[$vmeta])* $variant,)*
        }

        #[allow(dead_code)]
        impl $name {
            /// Every one, in declaration order.
            $vis const ALL: &'static [$name] = &[$($name::$variant,)*];

            /// Its words in feature text.
            $vis fn name(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)*
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.name())
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                Self::ALL.iter().copied().find(|v| v.name() == s).ok_or_else(|| {
                    let names: Vec<&str> = Self::ALL.iter().map(|v| v.name()).collect();
                    format!("{s:?} is none of {names:?}")
                })
            }
        }
    };
}
