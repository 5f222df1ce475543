//! `Slug`: the URL-safe identifier of a person, municipality, category or action.
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Slug(String);

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SlugError {
    #[error("a slug cannot be empty")]
    Empty,
    #[error("a slug is at most {max} characters", max = Slug::MAX_LEN)]
    TooLong,
    #[error("a slug uses only lowercase letters a-z, digits and single hyphens between them")]
    InvalidCharacters,
}

impl Slug {
    pub const MAX_LEN: usize = 80;
    /// What `parse` accepts, as a regular expression (ECMA-262, for the
    /// OpenAPI document); its length at most `MAX_LEN`.
    pub const PATTERN: &str = "^[a-z0-9]+(?:-[a-z0-9]+)*$";

    pub fn parse(input: &str) -> Result<Self, SlugError> {
        if input.is_empty() {
            return Err(SlugError::Empty);
        }
        if input.len() > Self::MAX_LEN {
            return Err(SlugError::TooLong);
        }
        let allowed = input
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !allowed || input.starts_with('-') || input.ends_with('-') || input.contains("--") {
            return Err(SlugError::InvalidCharacters);
        }
        Ok(Self(input.to_owned()))
    }
}

text_newtype!(Slug, SlugError);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepts_the_demo_slugs() {
        for s in [
            "loujain-al-hathloul",
            "brussels",
            "dorgelesse-nguessan",
            "a1",
        ] {
            assert_eq!(Slug::parse(s).unwrap().as_str(), s);
        }
    }

    #[test]
    fn rejects_what_would_make_a_bad_url() {
        assert_eq!(Slug::parse(""), Err(SlugError::Empty));
        for s in ["Loujain", "a b", "-a", "a-", "a--b", "é", "a/b", "../x"] {
            assert_eq!(Slug::parse(s), Err(SlugError::InvalidCharacters), "{s}");
        }
        assert_eq!(Slug::parse(&"a".repeat(81)), Err(SlugError::TooLong));
    }

    proptest! {
        #[test]
        fn every_accepted_slug_is_url_safe(s in "[a-z0-9-]{0,90}") {
            if let Ok(slug) = Slug::parse(&s) {
                prop_assert!(!slug.as_str().is_empty() && slug.as_str().len() <= Slug::MAX_LEN);
                prop_assert!(!slug.as_str().contains("--"));
            }
        }
    }
}
