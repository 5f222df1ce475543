//! `Status`: where a person's case stands. Stored and linked by its slug.
use serde::{Deserialize, Serialize};

macro_rules! statuses {
    ($($variant:ident => $slug:literal),+ $(,)?) => {
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub enum Status { $($variant),+ }

        impl Status {
            pub const ALL: &'static [Status] = &[$(Status::$variant),+];

            pub fn slug(self) -> &'static str {
                match self { $(Status::$variant => $slug),+ }
            }
        }
    };
}

statuses! {
    AtRisk => "at-risk",
    Arrested => "arrested",
    Detained => "detained",
    Charged => "charged",
    OnTrial => "on-trial",
    Sentenced => "sentenced",
    Released => "released",
    Acquitted => "acquitted",
    InExile => "in-exile",
    Disappeared => "disappeared",
    Deceased => "deceased",
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown status {0:?}")]
pub struct UnknownStatus(pub String);

impl Status {
    pub fn parse(input: &str) -> Result<Self, UnknownStatus> {
        Self::ALL
            .iter()
            .copied()
            .find(|s| s.slug() == input)
            .ok_or_else(|| UnknownStatus(input.to_owned()))
    }

    /// The interface-string key of this status's label.
    pub fn label_key(self) -> String {
        format!("status.{}", self.slug())
    }

    /// Whether the person is still deprived of liberty or in danger: drives the
    /// badge colour, never any wording.
    pub fn is_ongoing(self) -> bool {
        !matches!(
            self,
            Status::Released | Status::Acquitted | Status::Deceased
        )
    }
}

impl TryFrom<String> for Status {
    type Error = UnknownStatus;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Status> for String {
    fn from(status: Status) -> Self {
        status.slug().to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_round_trip_and_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for &s in Status::ALL {
            assert_eq!(Status::parse(s.slug()), Ok(s));
            assert!(seen.insert(s.slug()));
        }
        assert_eq!(Status::ALL.len(), 11);
    }

    #[test]
    fn unknown_statuses_are_refused() {
        assert!(Status::parse("free").is_err());
        assert!(Status::parse("Released").is_err());
        assert!(Status::parse("").is_err());
    }
}
