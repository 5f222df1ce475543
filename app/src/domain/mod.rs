//! Parse, don't validate: everything past the boundary takes these types;
//! also the policy of who may do what (`Permission`). Shared by server and
//! browser, so nothing here may depend on `ssr`; it imports nothing of the
//! crate but `i18n` (to write dates in a language).
/// What every text newtype shares: `as_str`, `Display`, and serde through
/// `parse`, so a value arriving from outside is parsed, never trusted.
macro_rules! text_newtype {
    ($ty:ident, $err:ty) => {
        impl $ty {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
        impl TryFrom<String> for $ty {
            type Error = $err;
            fn try_from(value: String) -> Result<Self, $err> {
                Self::parse(&value)
            }
        }
        impl From<$ty> for String {
            fn from(value: $ty) -> Self {
                value.0
            }
        }
        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

mod availability;
mod consent;
mod delivery;
mod email;
mod line;
mod partial_date;
mod person_name;
mod rights;
mod role;
mod slug;
mod status;
mod status_event;
mod translation;

pub use availability::{ActionState, Availability, UnknownActionState};
pub use consent::{
    ConsentGiver, Coverage, Covered, RiskLevel, UnknownConsentGiver, UnknownRiskLevel,
};
pub use delivery::{DeliveryMethod, UnknownDeliveryMethod};
pub use email::{Email, EmailError};
pub use line::{Line, LineError};
pub use partial_date::{PartialDate, PartialDateError};
pub use person_name::{PersonName, PersonNameError};
pub use rights::{RightsCategory, UnknownRightsCategory};
pub use role::{Permission, Role, UnknownRole};
pub use slug::{Slug, SlugError};
pub use status::{Status, UnknownStatus};
pub use status_event::{StatusEventRecord, STATUS_EVENT_FIELDS};
pub use translation::{
    MissingTranslation, Translatable, Translation, PERSON_FIELDS, RICH_FIELDS,
    SUPPORT_ACTION_FIELDS,
};

/// ISO 3166-1 alpha-2 country code, e.g. `SA`; names come from the `countries` table.
#[derive(
    Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(try_from = "String", into = "String")]
pub struct CountryCode(String);

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("a country is given by its two-letter ISO code, such as BE")]
pub struct CountryCodeError;

impl CountryCode {
    /// What `parse` accepts, as a regular expression (ECMA-262, for the
    /// OpenAPI document).
    pub const PATTERN: &str = "^[A-Z]{2}$";

    pub fn parse(input: &str) -> Result<Self, CountryCodeError> {
        if input.len() == 2 && input.bytes().all(|b| b.is_ascii_uppercase()) {
            Ok(Self(input.to_owned()))
        } else {
            Err(CountryCodeError)
        }
    }
}

text_newtype!(CountryCode, CountryCodeError);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn country_codes_are_two_uppercase_letters() {
        assert_eq!(CountryCode::parse("SA").unwrap().as_str(), "SA");
        for bad in ["sa", "SAU", "S", "", "S1", "ÉT"] {
            assert!(CountryCode::parse(bad).is_err(), "{bad}");
        }
    }
}
