//! `PersonName`: a person's full name as it is written, trimmed and with its
//! inner whitespace collapsed; never empty, never control characters.
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PersonName(String);

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PersonNameError {
    #[error("a name cannot be empty")]
    Empty,
    #[error("a name is at most {max} characters", max = PersonName::MAX_CHARS)]
    TooLong,
    #[error("a name cannot contain control characters or markup")]
    ForbiddenCharacters,
}

impl PersonName {
    pub const MAX_CHARS: usize = 200;

    pub fn parse(input: &str) -> Result<Self, PersonNameError> {
        use unicode_normalization::UnicodeNormalization;
        // NFC: "é" typed as e + combining accent and "é" typed as one
        // character are the same name.
        let collapsed = input
            .nfc()
            .collect::<String>()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        if collapsed.is_empty() {
            return Err(PersonNameError::Empty);
        }
        if collapsed.chars().count() > Self::MAX_CHARS {
            return Err(PersonNameError::TooLong);
        }
        if collapsed
            .chars()
            .any(|c| c.is_control() || matches!(c, '<' | '>'))
        {
            return Err(PersonNameError::ForbiddenCharacters);
        }
        Ok(Self(collapsed))
    }
}

text_newtype!(PersonName, PersonNameError);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn keeps_names_as_written() {
        for n in [
            "Loujain al-Hathloul",
            "Dorgelesse N'guessan",
            "Vahid Afkari",
            "Hamid Babaei",
        ] {
            assert_eq!(PersonName::parse(n).unwrap().as_str(), n);
        }
        assert_eq!(
            PersonName::parse("  Raif \t Badawi \n").unwrap().as_str(),
            "Raif Badawi"
        );
    }

    #[test]
    fn names_are_unicode_normalised() {
        let decomposed = PersonName::parse("Andre\u{301}").unwrap();
        assert_eq!(decomposed.as_str(), "Andr\u{e9}");
        assert_eq!(decomposed, PersonName::parse("Andr\u{e9}").unwrap());
    }

    #[test]
    fn refuses_empty_long_or_hostile_names() {
        assert_eq!(PersonName::parse("   "), Err(PersonNameError::Empty));
        assert_eq!(
            PersonName::parse(&"a".repeat(201)),
            Err(PersonNameError::TooLong)
        );
        assert!(
            PersonName::parse(&"é".repeat(200)).is_ok(),
            "limit counts characters, not bytes"
        );
        assert_eq!(
            PersonName::parse("a\u{0}b"),
            Err(PersonNameError::ForbiddenCharacters)
        );
        assert_eq!(
            PersonName::parse("<script>"),
            Err(PersonNameError::ForbiddenCharacters)
        );
    }

    proptest! {
        #[test]
        fn parsing_is_idempotent(s in "\\PC{0,60}") {
            if let Ok(name) = PersonName::parse(&s) {
                prop_assert_eq!(PersonName::parse(name.as_str()), Ok(name.clone()));
            }
        }
    }
}
