//! `DeliveryMethod`: how a support action's signatures reached their
//! addressee. Stored by its slug.
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum DeliveryMethod {
    Letter,
    Meeting,
    Embassy,
    Email,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown delivery method {0:?}: use letter, meeting, embassy or email")]
pub struct UnknownDeliveryMethod(pub String);

impl DeliveryMethod {
    pub const ALL: [DeliveryMethod; 4] = [
        DeliveryMethod::Letter,
        DeliveryMethod::Meeting,
        DeliveryMethod::Embassy,
        DeliveryMethod::Email,
    ];

    pub fn slug(self) -> &'static str {
        match self {
            DeliveryMethod::Letter => "letter",
            DeliveryMethod::Meeting => "meeting",
            DeliveryMethod::Embassy => "embassy",
            DeliveryMethod::Email => "email",
        }
    }

    pub fn parse(input: &str) -> Result<Self, UnknownDeliveryMethod> {
        Self::ALL
            .into_iter()
            .find(|m| m.slug() == input.trim())
            .ok_or_else(|| UnknownDeliveryMethod(input.to_owned()))
    }

    /// The interface-string key of how the page says it ("by letter").
    pub fn label_key(self) -> String {
        format!("delivery.method_{}", self.slug())
    }
}

impl TryFrom<String> for DeliveryMethod {
    type Error = UnknownDeliveryMethod;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<DeliveryMethod> for String {
    fn from(value: DeliveryMethod) -> Self {
        value.slug().to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_round_trip_through_their_slugs() {
        for method in DeliveryMethod::ALL {
            assert_eq!(DeliveryMethod::parse(method.slug()), Ok(method));
        }
        assert!(DeliveryMethod::parse("pigeon").is_err());
        assert!(
            DeliveryMethod::parse("Letter").is_err(),
            "slugs are lowercase"
        );
    }
}
