//! `Line`: one line of plain text (a title, an addressee), trimmed, with inner
//! whitespace collapsed, 1 to 200 characters, no control characters.
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Line(String);

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LineError {
    #[error("this cannot be empty")]
    Empty,
    #[error("this is at most {max} characters", max = Line::MAX_CHARS)]
    TooLong,
    #[error("this cannot contain control characters")]
    ControlCharacters,
}

impl Line {
    pub const MAX_CHARS: usize = 200;

    pub fn parse(input: &str) -> Result<Self, LineError> {
        let collapsed = input.split_whitespace().collect::<Vec<_>>().join(" ");
        if collapsed.is_empty() {
            return Err(LineError::Empty);
        }
        if collapsed.chars().count() > Self::MAX_CHARS {
            return Err(LineError::TooLong);
        }
        if collapsed.chars().any(char::is_control) {
            return Err(LineError::ControlCharacters);
        }
        Ok(Self(collapsed))
    }
}

text_newtype!(Line, LineError);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_and_bounds() {
        assert_eq!(
            Line::parse("  Free \n Loujain ").unwrap().as_str(),
            "Free Loujain"
        );
        assert_eq!(Line::parse(" \t"), Err(LineError::Empty));
        assert_eq!(Line::parse(&"x".repeat(201)), Err(LineError::TooLong));
        assert!(Line::parse(&"é".repeat(200)).is_ok());
        assert_eq!(Line::parse("a\u{7}b"), Err(LineError::ControlCharacters));
    }
}
